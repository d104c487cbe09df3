"""What PrintWorker does with each event its queue's filter lets through (template.yaml PrintSubscription): an order
its shop confirmed has its kitchen ticket printed on the shop's cloud printer."""

from __future__ import annotations

from paotui.orders.transitions import Status
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger
from paotui.printing.kitchen import print_ticket


def handle(event: DomainEvent) -> None:
    if event.type != EventType.ORDER_STATUS_CHANGED or event.data["status"] != Status.CONFIRMED:
        raise ValueError(f"PrintWorker does not handle {event.type} {event.data.get('status')}")
    logger.info("kitchen ticket", extra={"order_id": event.subject, "outcome": print_ticket(event.subject)})
