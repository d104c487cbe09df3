"""Customers rate their delivered orders and complain about deliveries; admins uphold or dismiss complaints.

Each is a conditional write on the order's ``version``, like every change of
an order, so a rating is given once and a complaint decided once however many
requests race. The Orders stream turns a rating given and a complaint decided
into ``order.rated`` / ``order.complaint_decided``, which the earnings worker
applies to the rider's KPIs and ledger (paotui.riders.earnings).
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.expressions.update import Action

from paotui.orders import service
from paotui.orders.records import ComplaintMap, OrderRecord, RatingMap
from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.dynamo import update_if
from paotui.platform.errors import Conflict, Forbidden

_RETRIES_ON_RACE = 3
PENDING, UPHELD, DISMISSED = "PENDING", "UPHELD", "DISMISSED"


def rate(order_id: str, caller: Principal, stars: int, comment: str | None) -> OrderRecord:
    """The customer rates a delivered order, once: 409 ``ORDER_NOT_DELIVERED`` / ``ALREADY_RATED``."""

    def rating(order: OrderRecord) -> list[Action]:
        _own(order, caller)
        if order.status != Status.DELIVERED.value:
            raise Conflict(
                "Only a delivered order can be rated.", code="ORDER_NOT_DELIVERED", details={"status": order.status}
            )
        if order.rating is not None:
            raise Conflict("This order is rated already.", code="ALREADY_RATED")
        return [OrderRecord.rating.set(RatingMap(stars=stars, comment=comment, at=clock.now_iso()))]

    return _change(order_id, caller, rating)


def complain(order_id: str, caller: Principal, reason: str) -> OrderRecord:
    """The customer complains about the delivery of an order a rider was assigned, once:
    409 ``ORDER_NOT_ASSIGNED`` / ``ALREADY_COMPLAINED``. The complaint names its rider, the one an upheld
    complaint penalises, whoever has the order by then."""

    def complaint(order: OrderRecord) -> list[Action]:
        _own(order, caller)
        rider_id = _complained_of(order)
        if not rider_id:
            raise Conflict("No rider was assigned to this order yet.", code="ORDER_NOT_ASSIGNED")
        if order.complaint is not None:
            raise Conflict("This order has a complaint already.", code="ALREADY_COMPLAINED")
        filed = ComplaintMap(reason=reason, at=clock.now_iso(), rider_id=rider_id, status=PENDING)
        return [OrderRecord.complaint.set(filed)]

    return _change(order_id, caller, complaint)


def _complained_of(order: OrderRecord) -> str | None:
    """The order's rider; once the watchdog took the order from them, the last rider its timeline says took it
    (None when that was a carrier's)."""
    if order.rider_id:
        return order.rider_id
    for entry in reversed(order.timeline or []):
        if entry.status == Status.ASSIGNED.value:
            actor, _, rider_id = entry.by.partition(":")  # "rider:<id>", as dispatch signs it
            return rider_id if actor == Actor.RIDER else None
    return None


def decide(order_id: str, caller: Principal, upheld: bool, note: str | None) -> OrderRecord:
    """An admin upholds (the rider is penalised) or dismisses the order's complaint, once:
    409 ``NO_COMPLAINT`` / ``COMPLAINT_ALREADY_DECIDED``."""

    def decision(order: OrderRecord) -> list[Action]:
        if not caller.is_admin:
            raise Forbidden("Only an admin decides complaints.", code="ADMIN_ONLY")
        if order.complaint is None:
            raise Conflict("This order has no complaint.", code="NO_COMPLAINT")
        if order.complaint.status != PENDING:
            raise Conflict(
                "This complaint is decided already.",
                code="COMPLAINT_ALREADY_DECIDED",
                details={"status": order.complaint.status},
            )
        actions = [
            OrderRecord.complaint.status.set(UPHELD if upheld else DISMISSED),
            OrderRecord.complaint.decided_at.set(clock.now_iso()),
            OrderRecord.complaint.decided_by.set(caller.user_id),
        ]
        if note:
            actions.append(OrderRecord.complaint.note.set(note))
        return actions

    return _change(order_id, caller, decision)


def _own(order: OrderRecord, caller: Principal) -> None:
    if order.customer_id != caller.user_id:
        raise Forbidden("Only the order's customer rates it or complains about it.", code="NOT_YOUR_ORDER")


def _change(order_id: str, caller: Principal, actions_for: Callable[[OrderRecord], list[Action]]) -> OrderRecord:
    """Check the order as read and write ``actions_for(order)`` if it is unchanged (its ``version``); on a lost
    race read it again and check again. 404 ``ORDER_NOT_FOUND`` when the caller can't see the order."""
    for _ in range(_RETRIES_ON_RACE):
        order = service.get_visible_order(order_id, caller)
        actions = actions_for(order)
        if not update_if(
            order,
            actions=[*actions, OrderRecord.version.add(1), OrderRecord.updated_at.set(clock.now_iso())],
            condition=OrderRecord.version == order.version,
        ):
            continue
        return order
    raise Conflict("The order changed while we were updating it; try again.", code="CONCURRENT_UPDATE")
