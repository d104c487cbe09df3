"""Who hears about what, and how: NotifyWorker's one handler.

Channels per audience:

- customer: a WeChat subscribe message if they signed in with WeChat and
  the message has a template, else an SMS to the order's contact phone (also
  when WeChat refuses); every message also in their inbox
  (``paotui.notify.customers``; nothing for another platform's orders);
- merchant: a console alert, a push to the owner that the console reads
  back (``paotui.notify.merchant_alerts``);
- rider: a push (inbox and devices, ``paotui.notify.push``).

Who hears each change of an order (statuses upper case, alerts of
``paotui.orders.alerts`` lower case; wording in
``paotui.notify.order_templates``):

=============================================  ===========  ===========  ========
change                                         customer     merchant     rider
=============================================  ===========  ===========  ========
PAID                                           ✓            ✓ new order
CONFIRMED (the first time), ASSIGNED,          ✓
PICKING_UP, DELIVERING (with the 收货码),
DELIVERED
CANCELLED (why: payment_timeout,               ✓            ✓ if paid,   ✓ if one
merchant_confirm_timeout, the merchant,                     unless it    had it
the customer, a request approved)                           did or a
                                                            timeout
``confirm_timeout`` {action}                                ✓
``no_rider`` {level, eta}                      ✓ new ETA
``escalated`` {level, step}                                 ✓
``pickup_overdue`` {minutes, reason}                        ✓            ✓
``rider_reassigned``                           ✓            ✓
``late`` {promised_at}                         ✓
``compensated`` {kind, amount}                 ✓
``delivery_failed`` {reason, contact_until}    ✓ and SMS
``delivery_retry`` {attempt, note}                                       ✓
``returning`` {reason}                         ✓            ✓
``returned`` {amount}                          ✓ refund
``operations``, unknown kinds                  nobody
=============================================  ===========  ===========  ========

DELIVERY_FAILED, RETURNING and RETURNED are told by the alerts the exception
workflow records with them (``paotui.orders.exceptions``), which say more: by
when to answer the rider, what is refunded. A merchant-confirm timeout is told
the customer by the CANCELLED (or CONFIRMED) it led to, the merchant by the
alert. ``delivery_failed`` goes to the customer by subscribe message (or
inbox) AND by SMS: they must answer within minutes.

Low stock is a console alert to the merchant. An offer is a push to its
rider and, if still unanswered a little later, one SMS
(``paotui.notify.offer_reminders``).

Once per event: the consumer is idempotent on the event id, pushes carry it
as their message id, with the audience (a retry adds no second inbox item; one
user may be the customer, the merchant's owner and its rider, and hears each
as each), and a customer's SMS or subscribe message is sent once per event
(``paotui.notify.customers``); a worker killed in the moment between a send
and its receipt's confirmation sends it again rather than never
(``paotui.notify.inbox.claim_once``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paotui.notify import offer_reminders, templates
from paotui.notify.customers import tell_customer
from paotui.notify.merchant_alerts import LOW_STOCK, ORDER_ALERT, tell_merchant
from paotui.notify.order_templates import (
    CUSTOMER,
    MERCHANT,
    RIDER,
    Audience,
    cancel_cause,
    cancelled_by_actor,
    order_message,
    was_paid,
)
from paotui.notify.push import get_push_sender
from paotui.platform import clock
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger, metrics
from paotui.riders.service import find_rider

AUDIENCES: dict[str, tuple[Audience, ...]] = {
    "PAID": (CUSTOMER, MERCHANT),
    "CONFIRMED": (CUSTOMER,),
    "ASSIGNED": (CUSTOMER,),
    "PICKING_UP": (CUSTOMER,),
    "DELIVERING": (CUSTOMER,),
    "DELIVERED": (CUSTOMER,),
    "CANCELLED": (CUSTOMER, MERCHANT, RIDER),
    "confirm_timeout": (MERCHANT,),
    "no_rider": (CUSTOMER,),
    "escalated": (MERCHANT,),
    "pickup_overdue": (MERCHANT, RIDER),
    "rider_reassigned": (CUSTOMER, MERCHANT),
    "late": (CUSTOMER,),
    "compensated": (CUSTOMER,),
    "delivery_failed": (CUSTOMER,),
    "delivery_retry": (RIDER,),
    "returning": (CUSTOMER, MERCHANT),
    "returned": (CUSTOMER,),
}
"""Who hears each kind of change (the table above); a kind not here is told nobody."""

ALSO_SMS = frozenset({"delivery_failed"})
"""Kinds the customer is texted about even when a subscribe message went: they must act within minutes."""


def handle(event: DomainEvent) -> None:
    if event.type == EventType.OFFER_CREATED:
        notify_offer(event.data["offer"])
    elif event.type == EventType.OFFER_REMINDER:
        offer_reminders.remind(event.data["offer_id"])
    elif event.type == EventType.ORDER_STATUS_CHANGED:
        notify_order(event.data["order"], event.data["status"], event_id=event.id)
    elif event.type == EventType.ORDER_ALERT:
        alert = event.data["alert"]
        notify_order(event.data["order"], alert["kind"], detail=alert.get("detail"), event_id=event.id)
    elif event.type == EventType.PRODUCT_LOW_STOCK:
        notify_low_stock(event.data["product"], event.data["available"], event.data["threshold"], event_id=event.id)
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
    collect = int(offer.get("collect") or 0)  # offers made before the field: none paid at the door were marked
    message = templates.offer_message(
        pickup_name=offer["pickup"]["name"],
        fee=offer["fee"],
        expires_at=offer["expires_at"],
        collect=collect,
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
            "collect": collect,
        },
        message_id=f"offer:{offer['id']}",
    )
    metrics.add_metric(name="OfferPushes", unit="Count", value=1)
    return True


def notify_order(
    order: Mapping[str, Any], kind: str, *, event_id: str, detail: Mapping[str, Any] | None = None
) -> list[Audience]:
    """Tell each party that hears of ``kind`` (a status the order reached, or an alert on it); who was told."""
    told = []
    for audience in AUDIENCES.get(kind, ()):
        if _hears(audience, order, kind) and _tell(audience, order, kind, detail or {}, event_id):
            told.append(audience)
    if kind not in AUDIENCES:
        logger.info("nobody is told of this", extra={"order_id": order.get("id"), "kind": kind})
    return told


def _hears(audience: Audience, order: Mapping[str, Any], kind: str) -> bool:
    """Whether this order has that party, and they need telling: a merchant isn't told what it did itself, nor a
    cancellation its confirm_timeout alert tells; a customer hears CONFIRMED once (again, it is a rider that went
    offline, which the rider_reassigned alert tells)."""
    if audience == MERCHANT:
        if not order.get("merchant_id"):
            return False  # an errand
        if kind == "CANCELLED":
            told_otherwise = (
                cancelled_by_actor(order) == "merchant" or cancel_cause(order) == "merchant_confirm_timeout"
            )
            return was_paid(order) and not told_otherwise
    if audience == RIDER:
        return bool(order.get("rider_id"))
    if audience == CUSTOMER and kind == "CONFIRMED":
        return sum(entry.get("status") == "CONFIRMED" for entry in order.get("timeline") or []) <= 1
    return True


def _tell(audience: Audience, order: Mapping[str, Any], kind: str, detail: Mapping[str, Any], event_id: str) -> bool:
    data = {"type": ORDER_ALERT, "order_id": order["id"], "kind": kind}
    if audience == CUSTOMER:
        rider_name = _rider_name(order) if kind == "ASSIGNED" else None
        message = order_message(kind, CUSTOMER, order, detail=detail, rider_name=rider_name)
        if message is None:
            return False
        sent = tell_customer(order, message, kind=kind, event_id=event_id, data=data, also_sms=kind in ALSO_SMS)
        return bool(sent)
    if audience == MERCHANT:
        message = order_message(kind, MERCHANT, order, detail=detail)
        if message is None:
            return False
        return tell_merchant(order["merchant_id"], message, data=data, event_id=event_id) is not None
    rider = find_rider(order["rider_id"])
    message = order_message(kind, RIDER, order, detail=detail, locale=rider.locale if rider else None)
    if message is None:
        return False
    get_push_sender().send(order["rider_id"], message.title, message.body, data=data, message_id=f"{RIDER}:{event_id}")
    return True


def _rider_name(order: Mapping[str, Any]) -> str | None:
    rider = find_rider(order["rider_id"]) if order.get("rider_id") else None
    return rider.name if rider else None


def notify_low_stock(product: dict[str, Any], available: int, threshold: int, *, event_id: str) -> None:
    """Alert the merchant's owner, in the console, that a product crossed its low-stock threshold."""
    message = templates.low_stock_message(product_name=product["name"], available=available, threshold=threshold)
    data = {"type": LOW_STOCK, "product_id": product["id"], "available": available}
    tell_merchant(product["merchant_id"], message, data=data, event_id=event_id)
    metrics.add_metric(name="LowStockAlerts", unit="Count", value=1)
