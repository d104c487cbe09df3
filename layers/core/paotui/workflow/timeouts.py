"""What the platform does when the order watchdog stops waiting (``watchdog.timeout``), one action per timer.

Each action re-reads the order and acts only if it is still where the timer
found it, so a timeout that races the move it waited for does nothing, and a
redelivered timeout acts once: moves are compare-and-set, alerts are recorded
once per key and incidents once per kind while open.

==================  ===========================================================
timer               action
==================  ===========================================================
payment             close the open trades; cancel the unpaid order
confirmation        the merchant's ``on_confirm_timeout``: cancel (refunded in
                    full by RefundWorker) or confirm for them; alert both ways
pickup              a rider gone offline: the order goes back to dispatch
                    (unless another rider holds it by then); otherwise
                    alert the rider and the merchant
pickup_escalation   the same, then operations are paged (``pickup_overdue``)
late                paotui.orders.compensation marks it late and compensates
delivery            picked up and still not delivered: ``delivery_overdue``
contact             paotui.orders.exceptions sends a failed delivery back
return              the merchant has not confirmed the return: ``return_overdue``
==================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable

from paotui.ops.incidents import raise_incident
from paotui.orders import compensation, exceptions
from paotui.orders import service as orders
from paotui.orders.alerts import record_alert
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.observability import logger, metrics
from paotui.riders.records import RiderState
from paotui.riders.service import find_rider

WATCHDOG = "watchdog"  # who the timeline says made the platform's moves
AWAITING_PICKUP = (Status.ASSIGNED, Status.PICKING_UP)


def payment(order_id: str) -> None:
    from paotui.payments.channels import default_providers  # only a payment timeout talks to the providers
    from paotui.payments.service import close_unpaid

    if close_unpaid(order_id, default_providers()):
        return  # paid after all: the payment was applied instead
    orders.system_transition(
        order_id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout", by=WATCHDOG
    )


def confirmation(order_id: str) -> None:
    """Cancel or confirm the paid order the merchant left unconfirmed, as the merchant chose; both are told."""
    from paotui.catalog.service import get_merchant

    order = orders.get_order(order_id)
    confirms = order.merchant_id is not None and get_merchant(order.merchant_id).on_confirm_timeout == "confirm"
    target, reason = (
        (Status.CONFIRMED, "confirm_timeout") if confirms else (Status.CANCELLED, "merchant_confirm_timeout")
    )
    orders.system_transition(order_id, target, expected={Status.PAID}, reason=reason, by=WATCHDOG)
    if _moved_by_watchdog(orders.get_order(order_id), target, reason):  # also when a crash left the alert out
        record_alert(order_id, "confirm_timeout", detail={"action": "confirmed" if confirms else "cancelled"})


def pickup(order_id: str) -> None:
    _pickup_overdue(order_id, escalate=False)


def pickup_escalation(order_id: str) -> None:
    _pickup_overdue(order_id, escalate=True)


def late(order_id: str) -> None:
    compensation.compensate_late(order_id)  # decides whether it is late: a delivery on time gets nothing


def delivery(order_id: str) -> None:
    order = orders.get_order(order_id)
    if order.status != Status.DELIVERING.value:
        return
    logger.warning("delivery overdue", extra={"order_id": order_id})
    metrics.add_metric(name="DeliveryOverdue", unit="Count", value=1)
    detail = {"since": _entered(order, Status.DELIVERING), "promised_at": order.promised_at, "rider_id": order.rider_id}
    raise_incident(order_id, "delivery_overdue", detail)


def contact(order_id: str) -> None:
    exceptions.contact_window_lapsed(order_id)


def return_overdue(order_id: str) -> None:
    order = orders.get_order(order_id)
    if order.status != Status.RETURNING.value:
        return
    raise_incident(order_id, "return_overdue", {"since": _entered(order, Status.RETURNING), "rider_id": order.rider_id})


ACTIONS: dict[str, Callable[[str], None]] = {
    "payment": payment,
    "confirmation": confirmation,
    "pickup": pickup,
    "pickup_escalation": pickup_escalation,
    "late": late,
    "delivery": delivery,
    "contact": contact,
    "return": return_overdue,
}
"""The action for each ``step`` a ``watchdog.timeout`` names."""


def _pickup_overdue(order_id: str, *, escalate: bool) -> None:
    """The rider has not picked the order up in time: hand it to another rider if theirs went offline, else tell
    the rider and the merchant (the second time, operations too)."""
    order = orders.get_order(order_id)
    if Status(order.status) not in AWAITING_PICKUP:
        if order.status == Status.CONFIRMED.value:
            _tell_reassigned(order)  # a repeated timeout: the alert may be what a crash left out
        return
    if order.rider_id and _gone(order.rider_id):
        moved = orders.system_transition(
            order_id,
            Status.CONFIRMED,
            expected=set(AWAITING_PICKUP),
            rider_id=order.rider_id,  # the rider found gone: a rider who took it over since keeps it
            reason="rider_offline",
            by=WATCHDOG,
        )
        _tell_reassigned(moved or orders.get_order(order_id))
        return
    waited = clock.now() - clock.parse_iso(_entered(order, Status.ASSIGNED))
    reason = "rider_not_arrived" if order.status == Status.ASSIGNED.value else "food_not_ready"
    detail = {"minutes": int(waited.total_seconds() // 60), "reason": reason}
    record_alert(order_id, "pickup_overdue", key=f"{order.rider_id or 'carrier'}:{int(escalate) + 1}", detail=detail)
    if escalate:
        raise_incident(order_id, "pickup_overdue", {**detail, "rider_id": order.rider_id})


def _gone(rider_id: str) -> bool:
    """The rider went offline (or no longer exists): nobody is coming for the order. A break is still on duty."""
    rider = find_rider(rider_id)
    return rider is None or rider.current_state is RiderState.OFFLINE


def _tell_reassigned(order: OrderRecord) -> None:
    """Tell the customer and the merchant, once per reassignment (keyed by when it happened)."""
    if _moved_by_watchdog(order, Status.CONFIRMED, "rider_offline"):
        record_alert(order.id, "rider_reassigned", key=order.timeline[-1].at, detail={"reason": "rider_offline"})


def _moved_by_watchdog(order: OrderRecord, status: Status, reason: str) -> bool:
    """Whether the order's latest move is the watchdog's to ``status`` for ``reason``."""
    last = order.timeline[-1]
    return order.status == status.value and last.by == WATCHDOG and last.reason == reason


def _entered(order: OrderRecord, status: Status) -> str:
    """When the order last entered ``status`` (its latest timeline entry for it)."""
    return next((entry.at for entry in reversed(order.timeline) if entry.status == status.value), order.updated_at)
