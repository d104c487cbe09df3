"""What StockWorker does with order events: a reservation becomes a decrement or goes back.

A cancelled scheduled order also gives its delivery slot place back.

Each call is conditional on the reservation's ledger state (see stock.py), so
redelivered or reordered events change stock once and never the wrong way.
"""

from __future__ import annotations

from paotui.catalog import stock
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger


def handle(event: DomainEvent) -> None:
    if event.type != EventType.ORDER_STATUS_CHANGED:
        raise ValueError(f"StockWorker does not handle {event.type}")
    order = event.data["order"]
    status = event.data["status"]
    if status == "PAID":
        apply = stock.commit_reservation
    elif status == "CANCELLED":
        apply = stock.release_reservation
    else:
        return
    for item in order["items"]:
        changed = apply(order["merchant_id"], item["product_id"], order["id"])
        logger.info(
            "stock reservation settled",
            extra={"order_id": order["id"], "product_id": item["product_id"], "status": status, "changed": changed},
        )
    if status == "CANCELLED" and order.get("slot_start"):
        from paotui.catalog import slot_bookings  # only scheduled orders hold a slot; keeps the worker's start lean

        released = slot_bookings.release_booking(order["merchant_id"], order["slot_start"], order["id"])
        logger.info("slot place settled", extra={"order_id": order["id"], "released": released})
