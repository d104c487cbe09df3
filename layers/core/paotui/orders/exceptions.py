"""A delivery gone wrong: the customer is told, waits to be reached, and the order is tried again or returned.

1. The rider reports DELIVERY_FAILED, with a ``failure_reason`` (orders.proof). The customer hears it by push
   and SMS (alert ``delivery_failed``, with until when they can make contact). A carrier's failure comes without
   a reason and goes straight on to RETURNING.
2. For ``delivery_contact_window_seconds`` (the watchdog's AwaitContact) the rider may try again
   (DELIVERY_FAILED → DELIVERING, ``POST /orders/{id}/transitions``), or the customer may ask for another try
   (``ask_retry``, ``POST /orders/{id}/delivery-retry``: the rider hears it, alert ``delivery_retry``), as long
   as fewer than ``delivery_max_attempts`` deliveries failed (``proof.check_retry_left``, for both). The rider
   may also take the order back at once (DELIVERY_FAILED → RETURNING).
3. When the window lapses with the order still DELIVERY_FAILED, the watchdog calls ``contact_window_lapsed``:
   the order goes RETURNING (by the system). Every move to RETURNING tells the merchant and the customer
   (alert ``returning``).
4. The merchant confirms it has the goods back (RETURNING → RETURNED). RefundWorker then refunds by rule, once
   (``refund_return``; the rules are orders.refund_rules), and the customer hears how much (alert ``returned``).

Alerts are recorded right after the move that calls for them (``announce``, from orders.service), each once,
and again from the Orders stream by WatchdogWorker (``announce_current``): an alert the request's process died
before recording is recorded then, and none twice.
"""

from __future__ import annotations

from datetime import timedelta

from paotui.orders import service
from paotui.orders.alerts import record_alert
from paotui.orders.proof import check_retry_left, failed_attempts
from paotui.orders.records import OrderRecord
from paotui.orders.refund_rules import (
    RETURN_PURPOSE,
    UNSPECIFIED,
    RefundRule,
    parse_reasons,
    parse_rules,
    refund_amount,
    rule_for,
)
from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.errors import Conflict, Forbidden
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings


def failure_reason(order: OrderRecord) -> str:
    return order.delivery_failure.reason if order.delivery_failure else UNSPECIFIED


def announce(order: OrderRecord, status: Status) -> None:
    """Tell the parties that ``order`` just moved to DELIVERY_FAILED or RETURNING (each once).

    A carrier's failure (no rider of ours) is only a step on its way to RETURNING: there is no rider to reach, so
    the customer hears of the return instead.
    """
    if status is Status.DELIVERY_FAILED and order.rider_id:
        attempt = failed_attempts(order)
        failed_at = order.delivery_failure.at if order.delivery_failure else order.updated_at
        contact_until = clock.parse_iso(failed_at) + timedelta(seconds=get_settings().delivery_contact_window_seconds)
        detail = {"reason": failure_reason(order), "contact_until": clock.iso(contact_until), "attempt": attempt}
        if record_alert(order.id, "delivery_failed", key=str(attempt), detail=detail):
            metrics.add_metric(name="DeliveryFailures", unit="Count", value=1)
    elif status is Status.RETURNING:
        record_alert(order.id, "returning", detail={"reason": failure_reason(order)})


def announce_current(order_id: str, status: str | None) -> None:
    """``announce`` again for a status change read from the stream, if the order is still in that status (news of
    a failure the order has moved past is stale; the next move's alert says what happened)."""
    if status not in (Status.DELIVERY_FAILED.value, Status.RETURNING.value):
        return
    order = service.get_order(order_id)
    if order.status == status:
        announce(order, Status(status))


def ask_retry(order_id: str, caller: Principal, note: str | None) -> OrderRecord:
    """The customer can be reached after all: the order goes back on its way (DELIVERY_FAILED → DELIVERING, made by
    the system on the customer's word) and the rider is told.

    403 ``NOT_YOUR_ORDER`` for anyone but the order's customer (or an admin); 409 ``DELIVERY_NOT_FAILED`` unless
    the order is DELIVERY_FAILED, ``RETRY_LIMIT_REACHED`` once ``delivery_max_attempts`` deliveries failed.
    """
    order = service.get_visible_order(order_id, caller)
    actors = service.actors_for(order, caller)
    if not actors & {Actor.CUSTOMER, Actor.ADMIN}:
        raise Forbidden("Only the order's customer asks for another try.", code="NOT_YOUR_ORDER")
    if order.status != Status.DELIVERY_FAILED.value:
        raise _not_failed(order)
    attempts = check_retry_left(order)
    reason = f"customer asked for another try: {note}" if note else "customer asked for another try"
    by = f"{(Actor.CUSTOMER if Actor.CUSTOMER in actors else Actor.ADMIN).value}:{caller.user_id}"
    moved = service.system_transition(
        order_id, Status.DELIVERING, expected={Status.DELIVERY_FAILED}, reason=reason, by=by
    )
    if moved is None:  # the rider, or the lapsing window, moved it first
        raise _not_failed(service.get_order(order_id))
    detail = {"attempt": attempts + 1, **({"note": note} if note else {})}
    record_alert(order_id, "delivery_retry", key=str(attempts), detail=detail)
    logger.info("delivery retry asked", extra={"order_id": order_id, "attempt": attempts + 1})
    return moved


def _not_failed(order: OrderRecord) -> Conflict:
    return Conflict(
        f"An order that is {order.status} is not waiting to be delivered again.",
        code="DELIVERY_NOT_FAILED",
        details={"status": order.status},
    )


def contact_window_lapsed(order_id: str) -> OrderRecord | None:
    """Nobody reached anyone in time (the watchdog's ``contact`` timeout): a still-failed order goes back to the
    store. Returns the moved order; None when it had moved on already (tried again, or returning)."""
    moved = service.system_transition(
        order_id, Status.RETURNING, expected={Status.DELIVERY_FAILED}, reason="contact_window_lapsed", by="watchdog"
    )
    if moved is None:
        order = service.get_order(order_id)
        if order.status == Status.RETURNING.value:  # a repeated timeout: the alert may be what a crash left out
            announce(order, Status.RETURNING)
    return moved


def refund_return(order_id: str, providers) -> int:
    """A RETURNED order's refund by rule, once; the customer is told the amount. Returns the fen refunded."""
    from paotui.payments import refunds  # RefundWorker's: the watchdog and the API never refund a return

    order = service.get_order(order_id)
    if order.status != Status.RETURNED.value:
        logger.warning("not a returned order", extra={"order_id": order_id, "status": order.status})
        return 0
    reason = failure_reason(order)
    rule = return_rule(order, reason)
    amount = refund_amount(rule, total=int(order.amounts.total), delivery_fee=int(order.amounts.delivery_fee))
    refund = refunds.refund_for(
        order,
        purpose=RETURN_PURPOSE,
        amount=amount,
        reason=f"order returned ({reason}): {rule}",
        by="system",
        providers=providers,
    )
    refunded = int(refund.amount) if refund else 0
    record_alert(order_id, "returned", detail={"amount": refunded, "rule": rule, "reason": reason})
    logger.info("return refunded", extra={"order_id": order_id, "rule": rule, "amount": refunded})
    return refunded


def return_rule(order: OrderRecord, reason: str) -> RefundRule:
    """The refund rule of ``order``'s return (orders.refund_rules): the settings', over which its merchant's."""
    settings = get_settings()
    merchant_rules = None
    if order.merchant_id:
        from paotui.catalog.service import get_merchant

        merchant_rules = get_merchant(order.merchant_id).refund_rules
    return rule_for(
        reason,
        merchant_fault=parse_reasons(settings.merchant_fault_failure_reasons),
        merchant_rules=merchant_rules,
        defaults=parse_rules(settings.delivery_failure_refund_rules),
    )
