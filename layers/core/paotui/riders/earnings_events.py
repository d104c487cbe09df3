"""What EarningsWorker does with each event its queue's filter lets through (template.yaml EarningsSubscription).

Orders delivered by a third-party carrier have no rider of ours and are
skipped; so are cancellations of orders nobody was assigned to and complaint
decisions that dismiss. A complaint is about the rider it names, whoever has
the order when it is decided.
"""

from __future__ import annotations

from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger
from paotui.riders import earnings


def handle(event: DomainEvent) -> None:
    data = event.data
    if event.type == EventType.OFFER_STATUS_CHANGED:
        if data["status"] in earnings.OFFER_ANSWERS:
            earnings.record_offer_answer(data["offer"], event.id)
        return
    if event.type not in (EventType.ORDER_STATUS_CHANGED, EventType.ORDER_RATED, EventType.ORDER_COMPLAINT_DECIDED):
        raise ValueError(f"EarningsWorker does not handle {event.type}")
    order = data["order"]
    decided = event.type == EventType.ORDER_COMPLAINT_DECIDED
    if not (earnings.complained_of(order) if decided else order.get("rider_id")):
        logger.debug("no rider of ours on the order", extra={"order_id": order["id"], "type": event.type})
        return
    if event.type == EventType.ORDER_RATED:
        earnings.record_rating(order, event.id)
    elif decided:
        if data["status"] == "UPHELD":
            earnings.record_upheld_complaint(order, event.id)
    elif data["status"] == "DELIVERED":
        earnings.record_delivery(order, event.id)
    elif data["status"] in earnings.ORDER_OUTCOMES:
        earnings.record_order_outcome(order, data["status"], event.id)
