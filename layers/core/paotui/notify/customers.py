"""How a customer hears about their order: a WeChat subscribe message where one can go, else an SMS.

1. An order that came from another platform (Ele.me): nothing. That
   platform tells its own customers; their phone numbers are its.
2. The message lands in the customer's inbox (the mini-program's message
   list), once per event.
3. A customer who signed in with WeChat (an openid among their identities)
   gets a subscribe message, if the message has a template
   (``settings.wechat_subscribe_templates``). When WeChat won't deliver it
   (43101: refused, or no subscription left), the customer is texted instead.
4. Anyone else is texted at the order's delivery contact phone.
5. ``also_sms`` (a failed delivery: the customer must act within minutes):
   texted first, and sent the subscribe message as well.

Each send is made once per event (a receipt in the customer's inbox), so an
event retried after another recipient's failure repeats nothing that went
out; a send that failed, or whose worker was killed before it was confirmed,
is tried again (at least once: ``paotui.notify.inbox.claim_once``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paotui.accounts.users import wechat_openid
from paotui.notify import inbox, wechat_subscribe
from paotui.notify.channels import PushMessage
from paotui.notify.sms import get_sms_sender
from paotui.notify.templates import Message
from paotui.platform import clock
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

PLATFORM_CHANNELS = frozenset({"eleme"})
"""Order channels whose customers are another platform's (``paotui.orders.channels``)."""

SMS_SIGNATURE = "【跑腿】"


def tell_customer(
    order: Mapping[str, Any],
    message: Message,
    *,
    kind: str,
    event_id: str,
    data: Mapping[str, Any],
    also_sms: bool = False,
) -> list[str]:
    """Tell the order's customer ``message`` about ``kind`` (a status or alert kind); the channels it went by."""
    if order.get("channel") in PLATFORM_CHANNELS:
        return []
    customer_id = order["customer_id"]
    inbox.record(customer_id, PushMessage.of(message.title, message.body, data), message_id=event_id)
    phone = (order.get("address") or {}).get("contact_phone")
    sent: list[str] = []

    def text() -> None:
        sms = f"{SMS_SIGNATURE}{message.body}"
        inbox.send_once(customer_id, f"sms:{event_id}", lambda: get_sms_sender().send(phone, sms, data=data))
        sent.append("sms")

    if also_sms and phone:  # first: whatever WeChat does, the text goes
        text()
    if _subscribe(order, message, kind=kind, event_id=event_id):
        sent.append("wechat")
    elif not sent and phone:
        text()
    if not sent:
        logger.warning("no way to reach the customer", extra={"order_id": order["id"], "kind": kind})
    metrics.add_metric(name="CustomerNotifications", unit="Count", value=1)
    return sent


def _subscribe(order: Mapping[str, Any], message: Message, *, kind: str, event_id: str) -> bool:
    """Send the WeChat subscribe message, once per event; False when it can't go (then the customer is texted)."""
    settings = get_settings()
    template_id = wechat_subscribe.template_for(kind, settings)
    openid = wechat_openid(order["customer_id"]) if template_id else None
    if not template_id or not openid:
        return False
    payload = wechat_subscribe.subscribe_payload(  # a customer's language is not known: zh-CN, as their messages
        openid, template_id, message, order_id=order["id"], at=clock.now_iso(), locale=None, settings=settings
    )
    client = wechat_subscribe.client_from(settings)
    try:
        inbox.send_once(order["customer_id"], f"wechat:{event_id}", lambda: client.send(payload))
    except wechat_subscribe.SubscriptionRefused as refused:
        logger.info("subscribe message refused; texting", extra={"order_id": order["id"], "reason": str(refused)})
        metrics.add_metric(name="SubscribeMessagesRefused", unit="Count", value=1)
        return False
    return True
