"""What DispatchWorker does with each event it receives."""

from __future__ import annotations

from paotui.carriers import service as carriers
from paotui.dispatch import service
from paotui.orders.transitions import TERMINAL, Status
from paotui.platform import clock
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger


def handle(event: DomainEvent) -> None:
    data = event.data
    if event.type == EventType.ORDER_STATUS_CHANGED:
        _order_moved(event)
    elif event.type == EventType.DISPATCH_REQUESTED:
        service.dispatch(data["order_id"], reason=data.get("reason") or "requested", trigger=event.id)
    elif event.type == EventType.RIDER_ONLINE:
        service.dispatch_near_rider(float(data["lat"]), float(data["lng"]))
    elif event.type == EventType.DISPATCH_ASKED:
        service.dispatch_asked(data["zone"], data["asks"])
    else:
        raise ValueError(f"DispatchWorker does not handle {event.type}")


def _order_moved(event: DomainEvent) -> None:
    status, rider_id = event.data.get("status"), (event.data.get("order") or {}).get("rider_id")
    if status == Status.CONFIRMED:
        service.dispatch(event.subject, reason="confirmed", trigger=event.id)
    elif status == Status.CANCELLED:
        service.withdraw_offers(event.subject, at=clock.parse_iso(event.occurred_at))  # when it was cancelled
        carriers.withdraw(event.subject)
    if status in TERMINAL and rider_id:
        service.dispatch_near_freed_rider(rider_id)  # the order ended in its rider's hands: they have room again
    elif status not in (Status.CONFIRMED, Status.CANCELLED):
        logger.debug("status needs no dispatch", extra={"order_id": event.subject, "status": status})
