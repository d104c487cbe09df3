"""Merchant console alerts: pushes to a merchant's owner that the console reads back, per merchant.

What a merchant must hear about (a new order, a cancelled one, a confirm
timeout, an escalation, an overdue pickup, a new rider, a return; low stock)
is a push to its owner: it lands in the owner's inbox and reaches their
devices. Its data names the merchant and the alert's type (:data:`CONSOLE_TYPES`):
``order_alert`` (with ``order_id`` and ``kind``, a status or alert kind) or
``low_stock`` (with ``product_id`` and ``available``).

The console reads them with ``GET /merchants/{merchantId}/alerts``: the
owner's inbox items of those types for that merchant, newest first (the rest
of the owner's inbox, another of their shops, their own orders as a customer,
is left out), read against a read mark of that merchant's own
(``POST /merchants/{merchantId}/alerts/read``). Only the owner reads them:
another merchant, and an admin too, is refused (it is the owner's inbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from paotui.notify import inbox
from paotui.notify.push import get_push_sender
from paotui.notify.records import InboxRecord
from paotui.notify.templates import Message
from paotui.platform.auth import Principal
from paotui.platform.errors import Forbidden, NotFound
from paotui.platform.observability import logger, metrics

if TYPE_CHECKING:
    from paotui.catalog.records import MerchantRecord

ORDER_ALERT, LOW_STOCK = "order_alert", "low_stock"
CONSOLE_TYPES = frozenset({ORDER_ALERT, LOW_STOCK})


def tell_merchant(merchant_id: str, message: Message, *, data: Mapping[str, Any], event_id: str) -> str | None:
    """Push ``message`` to the merchant's owner as a console alert (``data`` names its type); the owner's id, or
    None for a merchant that no longer exists (nobody to tell)."""
    try:
        owner_id = _merchant(merchant_id).owner_id
    except NotFound:
        logger.warning("no such merchant to alert", extra={"merchant_id": merchant_id, "type": data.get("type")})
        return None
    alert = {**data, "merchant_id": merchant_id}
    message_id = f"merchant:{event_id}"  # not the event's own: the owner may have had it as the order's customer
    get_push_sender().send(owner_id, message.title, message.body, data=alert, message_id=message_id)
    metrics.add_metric(name="MerchantAlerts", unit="Count", value=1)
    return owner_id


def console_merchant(caller: Principal, merchant_id: str) -> MerchantRecord:
    """The merchant whose alerts ``caller`` reads: 404 ``MERCHANT_NOT_FOUND``; 403 ``NOT_YOUR_MERCHANT`` unless
    the caller owns it."""
    merchant = _merchant(merchant_id)
    if merchant.owner_id != caller.user_id:
        raise Forbidden("Only the merchant's owner reads its alerts.", code="NOT_YOUR_MERCHANT")
    return merchant


def alerts_page(merchant: MerchantRecord, *, cursor: str | None = None) -> inbox.InboxPage:
    """One page of the merchant's console alerts, newest first."""
    return inbox.page(
        merchant.owner_id,
        cursor=cursor,
        matching=lambda item: is_console_alert(item, merchant.id),
        read_scope=merchant.id,
    )


def mark_alerts_read(merchant: MerchantRecord, up_to: datetime) -> str:
    """The merchant's alerts sent at or before ``up_to`` are read (its owner's other messages are left alone)."""
    return inbox.mark_read(merchant.owner_id, up_to, scope=merchant.id)


def is_console_alert(item: InboxRecord, merchant_id: str) -> bool:
    data = item.data or {}
    return data.get("type") in CONSOLE_TYPES and data.get("merchant_id") == merchant_id


def _merchant(merchant_id: str) -> MerchantRecord:
    from paotui.catalog.service import get_merchant  # the catalog (~50 ms to import) only when a merchant is told

    return get_merchant(merchant_id)
