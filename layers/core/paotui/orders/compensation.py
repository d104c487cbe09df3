"""A late order: marked late, the customer told and compensated by rule, once.

The watchdog calls ``compensate_late`` when an order is still not delivered some grace after its ``promised_at``.
An order still on its way (or delivered after the promise) is marked (``late_at``: the order view's ``late``),
the customer hears it (alert ``late``) and gets what the ``late_compensation_rule`` setting says
(:class:`CompensationRule`): a coupon for a later order, or part of the money back (a refund of purpose
``late``). An order that was never paid has nothing to refund: it gets the coupon instead. Then the alert
``compensated`` says what was given. A failed or returned order is not compensated here: its refund follows
the return rules (orders.exceptions). The rider's on-time KPIs count late deliveries on their own (riders.kpis).

Every step is idempotent (a conditional mark, a coupon or refund id fixed per order, alerts once), and an order
whose ``compensated`` alert is recorded is done; so a repeated call, or one after a crash, compensates once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from paotui.orders import service
from paotui.orders.alerts import alert_id, record_alert
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.dynamo import update_if
from paotui.platform.ids import stable_id
from paotui.platform.models import Fen
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

LATE_PURPOSE = "late"
STILL_ON_ITS_WAY = frozenset({Status.PAID, Status.CONFIRMED, Status.ASSIGNED, Status.PICKING_UP, Status.DELIVERING})


class CompensationRule(BaseModel):
    """What a late order gets (the ``late_compensation_rule`` setting): a ``coupon`` or a ``refund`` of ``amount``
    fen, or of ``percent_of_delivery_fee``. A coupon asks for ``min_spend`` of goods and lasts ``valid_days``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["coupon", "refund"]
    amount: Fen | None = None
    percent_of_delivery_fee: int | None = Field(default=None, ge=1, le=100)
    min_spend: Fen = 0
    valid_days: int = Field(default=30, ge=1, le=366)

    @model_validator(mode="after")
    def _one_measure(self) -> Self:
        if (self.amount is None) == (self.percent_of_delivery_fee is None):
            raise ValueError("give either amount or percent_of_delivery_fee")
        return self

    def value(self, delivery_fee: int) -> int:
        """Fen given for an order whose delivery fee was ``delivery_fee``."""
        if self.amount is not None:
            return self.amount
        return delivery_fee * self.percent_of_delivery_fee // 100


@dataclass(frozen=True)
class Compensation:
    kind: Literal["coupon", "refund"]
    amount: int


def is_late(order: OrderRecord, now: datetime) -> bool:
    """Past its promise and ``late_grace_seconds`` and still on its way, or delivered after them (the watchdog's late
    timer may fire just before a delivery within the grace ends it: that one is on time)."""
    if not order.promised_at:
        return False
    deadline = clock.parse_iso(order.promised_at) + timedelta(seconds=get_settings().late_grace_seconds)
    status = Status(order.status)
    if status in STILL_ON_ITS_WAY:
        return now > deadline
    if status is Status.DELIVERED:
        delivered = next(
            (entry.at for entry in reversed(order.timeline) if entry.status == Status.DELIVERED.value), order.updated_at
        )
        return clock.parse_iso(delivered) > deadline
    return False


def compensate_late(order_id: str, providers=None) -> Compensation | None:
    """Mark a late order, tell the customer and compensate by rule, once; None when it is not late or nothing was
    given (a rule worth 0 fen, or compensated already). ``providers``: the payment channels, for a refund."""
    order = service.get_order(order_id)
    if not is_late(order, clock.now()):
        logger.info("not late", extra={"order_id": order_id, "status": order.status, "promised_at": order.promised_at})
        return None
    _mark_late(order)
    record_alert(order_id, "late", detail={"promised_at": order.promised_at})
    if alert_id(order_id, "compensated") in (order.alert_ids or set()):
        return None
    rule = CompensationRule.model_validate_json(get_settings().late_compensation_rule)
    amount = rule.value(int(order.amounts.delivery_fee))
    if amount <= 0:
        return None
    given = _refund(order, amount, providers) if rule.kind == "refund" else None
    given = given or _coupon(order, amount, rule)
    record_alert(order_id, "compensated", detail={"kind": given.kind, "amount": given.amount})
    metrics.add_metric(name="LateCompensations", unit="Count", value=1)
    logger.info("late order compensated", extra={"order_id": order_id, "kind": given.kind, "amount": given.amount})
    return given


def _mark_late(order: OrderRecord) -> None:
    """Set ``late_at`` once; like alerts it doesn't move ``version``, so it never conflicts with a status change."""
    update_if(order, [OrderRecord.late_at.set(clock.now_iso())], condition=OrderRecord.late_at.does_not_exist())


def _refund(order: OrderRecord, amount: int, providers) -> Compensation | None:
    from paotui.payments import refunds
    from paotui.payments.channels import default_providers

    refund = refunds.refund_for(
        order,
        purpose=LATE_PURPOSE,
        amount=amount,
        reason="late delivery compensation",
        by="system",
        providers=providers or default_providers(),
    )
    return Compensation("refund", int(refund.amount)) if refund else None


def _coupon(order: OrderRecord, amount: int, rule: CompensationRule) -> Compensation:
    from paotui.coupons.service import issue

    coupon, _ = issue(
        order.customer_id,
        stable_id("cpn_", order.id, LATE_PURPOSE),
        amount=amount,
        min_spend=rule.min_spend,
        valid_days=rule.valid_days,
        source="late_delivery",
        source_order_id=order.id,
    )
    return Compensation("coupon", int(coupon.amount))
