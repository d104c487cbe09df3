"""Who hears about what: offers go to the rider, order progress to the customer, low stock to the merchant.

Channels per order status (the customer's side):

========================================  =======
PAID, CONFIRMED, ASSIGNED, PICKING_UP,    push to the customer (``to`` = customer id)
DELIVERING
DELIVERED, CANCELLED                      SMS to the delivery contact phone
anything else                             nothing
========================================  =======

An errand's customer hears the same, worded for an errand; an errand has no
merchant, and merchants hear nothing of orders here anyway. DELIVERING tells
the order's 收货码 (orders.proof), by SMS to the delivery contact phone for an
order a merchant entered (phone, walk-in): that customer has no app.

A low-stock alert is a push to the merchant's owner (``to`` = owner user id).

An offer is a push to its rider and, if still unanswered a little later, one
SMS (``paotui.notify.offer_reminders``). Every push also lands in the
recipient's inbox (``paotui.notify.push``).

Senders come from settings (SNS in AWS, the outbox locally). A message is
sent at most once per event: the consumer is idempotent on the event id.
"""

from __future__ import annotations

from typing import Any, Literal

from paotui.notify import offer_reminders, templates
from paotui.notify.push import get_push_sender
from paotui.notify.sms import get_sms_sender
from paotui.platform import clock
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger, metrics
from paotui.riders.service import find_rider

CUSTOMER_CHANNELS: dict[str, Literal["push", "sms"]] = {
    "PAID": "push",
    "CONFIRMED": "push",
    "ASSIGNED": "push",
    "PICKING_UP": "push",
    "DELIVERING": "push",
    "DELIVERED": "sms",
    "CANCELLED": "sms",
}
APPLESS_CHANNELS = frozenset({"phone", "walk_in"})
"""Orders a merchant entered: their customer has a phone, not our app, so the 收货码 (DELIVERING) goes by SMS."""


def handle(event: DomainEvent) -> None:
    if event.type == EventType.OFFER_CREATED:
        notify_offer(event.data["offer"])
    elif event.type == EventType.OFFER_REMINDER:
        offer_reminders.remind(event.data["offer_id"])
    elif event.type == EventType.ORDER_STATUS_CHANGED:
        notify_order_status(event.data["order"], event.data["status"])
    elif event.type == EventType.PRODUCT_LOW_STOCK:
        notify_low_stock(event.data["product"], event.data["available"], event.data["threshold"])
    else:
        raise ValueError(f"NotifyWorker does not handle {event.type}")


def notify_offer(offer: dict[str, Any]) -> bool:
    """Push a new offer to its rider, with an SMS fallback if it goes unanswered; True if sent.

    An offer already expired is not worth a push. The fallback is scheduled
    first: if the push keeps failing, the rider is still texted.
    """
    if offer["expires_at"] <= clock.now_iso():
        logger.info("offer expired before its push", extra={"offer_id": offer["id"]})
        return False
    rider = find_rider(offer["rider_id"])
    message = templates.offer_message(
        pickup_name=offer["pickup"]["name"],
        fee=offer["fee"],
        expires_at=offer["expires_at"],
        locale=rider.locale if rider else None,
    )
    offer_reminders.schedule(offer)
    get_push_sender().send(
        offer["rider_id"],
        message.title,
        message.body,
        data={
            "type": "offer",
            "offer_id": offer["id"],
            "order_id": offer["order_id"],
            "expires_at": offer["expires_at"],
            "fee": offer["fee"],
        },
        message_id=f"offer:{offer['id']}",
    )
    metrics.add_metric(name="OfferPushes", unit="Count", value=1)
    return True


def notify_order_status(order: dict[str, Any], status: str) -> bool:
    """Tell the customer their order moved; True if a message went out."""
    channel = CUSTOMER_CHANNELS.get(status)
    if channel is None:
        return False
    if status == "DELIVERING" and order.get("channel") in APPLESS_CHANNELS:
        channel = "sms"
    rider_name = None
    if status == "ASSIGNED" and order.get("rider_id"):
        rider = find_rider(order["rider_id"])
        rider_name = rider.name if rider else None
    message = templates.order_status_message(
        status,
        order_id=order["id"],
        rider_name=rider_name,
        reason=order.get("cancel_reason"),
        errand=order.get("kind") == "errand",
        delivery_code=order.get("delivery_code"),
    )
    if message is None:
        return False
    data = {"type": "order_status", "order_id": order["id"], "status": status}
    if channel == "sms":
        phone = (order.get("address") or {}).get("contact_phone")
        if not phone:
            logger.warning("no phone to text", extra={"order_id": order["id"], "status": status})
            return False
        get_sms_sender().send(phone, f"【跑腿】{message.body}", data=data)
    else:
        # Customers (a WeChat mini-program) have no SNS push endpoint yet: SNS skips, the outbox records.
        get_push_sender().send(order["customer_id"], message.title, message.body, data=data)
    metrics.add_metric(name="CustomerNotifications", unit="Count", value=1)
    return True


def notify_low_stock(product: dict[str, Any], available: int, threshold: int) -> None:
    """Alert the merchant's owner that a product crossed its low-stock threshold."""
    from paotui.catalog.service import get_merchant  # the catalog (~50 ms to import) only for this rare event

    owner_id = get_merchant(product["merchant_id"]).owner_id
    message = templates.low_stock_message(product_name=product["name"], available=available, threshold=threshold)
    data = {
        "type": "low_stock",
        "merchant_id": product["merchant_id"],
        "product_id": product["id"],
        "available": available,
    }
    get_push_sender().send(owner_id, message.title, message.body, data=data)
    metrics.add_metric(name="LowStockAlerts", unit="Count", value=1)
