"""What SettlementWorker does with each event its queue's filter lets through (template.yaml
SettlementSubscription): an order delivered or returned, a refund succeeded. Either settles the order's
unwritten part (settlement.ledger), so the order of the two events does not matter; a delivery also puts the cash
its rider took at the door on the rider's balance (settlement.cash)."""

from __future__ import annotations

from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger
from paotui.settlement import cash, ledger


def handle(event: DomainEvent) -> None:
    data = event.data
    if event.type == EventType.ORDER_STATUS_CHANGED:
        order_id = data["order"]["id"]
        if data["status"] not in ledger.SETTLING:
            return
    elif event.type == EventType.REFUND_STATUS_CHANGED:
        order_id = data["refund"]["order_id"]
        if data["status"] != "SUCCEEDED":
            return
    else:
        raise ValueError(f"SettlementWorker does not handle {event.type}")
    written = ledger.settle(order_id, event.id)
    if event.type == EventType.ORDER_STATUS_CHANGED:
        written = cash.collect(order_id, event.id) or written
    logger.debug("settlement event", extra={"order_id": order_id, "type": event.type, "written": written})
