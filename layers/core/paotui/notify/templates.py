"""What the messages say, in zh-CN (the default) and en. Pure functions.

Times are shown in China Standard Time (UTC+8, no daylight saving), money as
yuan from integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

from paotui.platform.clock import parse_iso

ZH, EN = "zh-CN", "en"
DEFAULT_LOCALE = ZH
CHINA_TIME = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def locale_of(tag: str | None) -> str:
    """``en``, ``en-US``, ``en_GB`` → ``en``; anything else → ``zh-CN``."""
    return EN if tag and tag.lower().replace("_", "-").split("-")[0] == "en" else ZH


def yuan(fen: int) -> str:
    return f"¥{int(fen) // 100}.{int(fen) % 100:02d}"


def local_time(iso: str) -> str:
    return parse_iso(iso).astimezone(CHINA_TIME).strftime("%H:%M:%S")


def order_ref(order_id: str) -> str:
    """The short reference people read out: the last six characters of the id."""
    return order_id[-6:].upper()


def offer_message(*, pickup_name: str, fee: int, expires_at: str, locale: str | None = None) -> Message:
    """The push that wakes a rider for an offer."""
    if locale_of(locale) == EN:
        return Message(
            "New order",
            f"Pick up at {pickup_name}, fee {yuan(fee)}. Accept by {local_time(expires_at)}.",
        )
    return Message("新订单", f"取货：{pickup_name}，配送费 {yuan(fee)}，请在 {local_time(expires_at)} 前接单。")


def offer_reminder_message(*, pickup_name: str, fee: int, expires_at: str, locale: str | None = None) -> Message:
    """The SMS a rider gets once when an offer's push went unanswered (the push may never have arrived)."""
    if locale_of(locale) == EN:
        return Message(
            "Offer waiting",
            f"An order is waiting for you: pick up at {pickup_name}, fee {yuan(fee)}. "
            f"Open the rider app to accept by {local_time(expires_at)}.",
        )
    return Message(
        "订单待接",
        f"您有一个新订单待接：取货 {pickup_name}，配送费 {yuan(fee)}，"
        f"请在 {local_time(expires_at)} 前打开骑手 App 接单。",
    )


_CANCEL_REASONS = {
    "payment_timeout": ("支付超时", "payment was not received in time"),
    "merchant_confirm_timeout": ("商家未及时接单", "the merchant did not confirm in time"),
}

_STATUS_MESSAGES = {
    "PAID": (
        ("支付成功", "订单 {ref} 已支付，等待商家接单。"),
        ("Payment received", "Order {ref} is paid; waiting for the merchant."),
    ),
    "CONFIRMED": (
        ("商家已接单", "订单 {ref} 已确认，正在为您安排骑手。"),
        ("Order confirmed", "The merchant confirmed order {ref}; we are finding a rider."),
    ),
    "ASSIGNED": (
        ("骑手已接单", "骑手{rider}已接单，正在前往商家。"),
        ("Rider assigned", "{rider} has taken order {ref} and is on the way to the merchant."),
    ),
    "PICKING_UP": (
        ("骑手已到店", "骑手正在取货（订单 {ref}）。"),
        ("Rider at the store", "Your rider is picking up order {ref}."),
    ),
    "DELIVERING": (
        ("配送中", "骑手已取货，正在为您配送（订单 {ref}）。"),
        ("On the way", "Your rider has picked up order {ref} and is on the way."),
    ),
    "DELIVERED": (
        ("已送达", "订单 {ref} 已送达，感谢使用跑腿。"),
        ("Delivered", "Order {ref} has been delivered. Thank you!"),
    ),
    "CANCELLED": (
        ("订单已取消", "订单 {ref} 已取消{reason}。"),
        ("Order cancelled", "Order {ref} was cancelled{reason}."),
    ),
}


# An errand has no merchant: the platform confirms it on payment and the rider goes to its pick-up.
_ERRAND_MESSAGES = {
    "PAID": (
        ("支付成功", "跑腿订单 {ref} 已支付。"),
        ("Payment received", "Errand {ref} is paid."),
    ),
    "CONFIRMED": (
        ("正在安排骑手", "跑腿订单 {ref} 已确认，正在为您安排骑手。"),
        ("Finding a rider", "Errand {ref} is confirmed; we are finding a rider."),
    ),
    "ASSIGNED": (
        ("骑手已接单", "骑手{rider}已接单，正在前往取件地点。"),
        ("Rider assigned", "{rider} has taken errand {ref} and is on the way to the pick-up."),
    ),
    "PICKING_UP": (
        ("骑手已到达", "骑手已到达取件地点（订单 {ref}）。"),
        ("Rider at the pick-up", "Your rider has reached the pick-up of errand {ref}."),
    ),
}


_DELIVERY_CODE_NOTE = (
    "收货码 {code}，收货时请告诉骑手。",
    " Your delivery code is {code}: tell it to the rider at the door.",
)


def order_status_message(
    status: str,
    *,
    order_id: str,
    rider_name: str | None = None,
    reason: str | None = None,
    locale: str | None = None,
    errand: bool = False,
    delivery_code: str | None = None,
) -> Message | None:
    """What the customer is told when their order (or errand) reaches ``status``; None if nothing.

    ``delivery_code``: the order's 收货码, told with DELIVERING (the rider asks for it at the door)."""
    texts = (errand and _ERRAND_MESSAGES.get(str(status))) or _STATUS_MESSAGES.get(str(status))
    if texts is None:
        return None
    english = locale_of(locale) == EN
    title, body = texts[1] if english else texts[0]
    if reason:
        zh_reason, en_reason = _CANCEL_REASONS.get(reason, (reason, reason))
        reason_text = f": {en_reason}" if english else f"：{zh_reason}"
    else:
        reason_text = ""
    rider = rider_name or ("Your rider" if english else "")
    body = body.format(ref=order_ref(order_id), rider=rider, reason=reason_text)
    if delivery_code and str(status) == "DELIVERING":
        body += _DELIVERY_CODE_NOTE[1 if english else 0].format(code=delivery_code)
    return Message(title, body)


def low_stock_message(*, product_name: str, available: int, threshold: int, locale: str | None = None) -> Message:
    """The alert a merchant gets once when a product's available stock drops below its threshold."""
    if locale_of(locale) == EN:
        return Message("Low stock", f"{product_name}: {available} left (alert below {threshold}). Restock soon.")
    return Message("库存不足", f"{product_name} 仅剩 {available} 份（低于提醒值 {threshold}），请及时补货。")


def presence_offline_message(*, silent_minutes: float, locale: str | None = None) -> Message:
    """The push a rider gets when the presence job took them offline for sending no location."""
    if locale_of(locale) == EN:
        return Message(
            "You are offline",
            f"We had no location from you for {silent_minutes:g} minutes, so you were set offline. "
            "Go online again to get orders.",
        )
    return Message(
        "已自动下线", f"您已 {silent_minutes:g} 分钟未上报位置，系统已将您设为下线。如需继续接单，请重新上线。"
    )
