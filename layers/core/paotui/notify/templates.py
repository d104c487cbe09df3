"""What the messages say, in zh-CN (the default) and en. Pure functions.

Times are shown in China Standard Time (UTC+8, no daylight saving), money as
yuan from integer fen. What an order's parties are told is in
``paotui.notify.order_templates``.
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
    """A push or SMS is ``title`` and ``body``; a WeChat subscribe message shows ``label`` and ``brief`` instead."""

    title: str
    body: str
    label: str = ""  # the status in at most 5 Chinese characters (a subscribe message's ``phrase``)
    brief: str = ""  # the gist in at most 20 characters (a subscribe message's ``thing``)


def locale_of(tag: str | None) -> str:
    """``en``, ``en-US``, ``en_GB`` → ``en``; anything else → ``zh-CN``."""
    return EN if tag and tag.lower().replace("_", "-").split("-")[0] == "en" else ZH


def yuan(fen: int) -> str:
    return f"¥{int(fen) // 100}.{int(fen) % 100:02d}"


def local_time(iso: str) -> str:
    return parse_iso(iso).astimezone(CHINA_TIME).strftime("%H:%M:%S")


def clock_time(iso: str) -> str:
    """Hours and minutes in China time: when something is due, as people say it."""
    return parse_iso(iso).astimezone(CHINA_TIME).strftime("%H:%M")


def offer_message(
    *, pickup_name: str, fee: int, expires_at: str, collect: int = 0, locale: str | None = None
) -> Message:
    """The push that wakes a rider for an offer. An order paid at the door says how much cash to take, so the
    rider knows before accepting (and brings change)."""
    if locale_of(locale) == EN:
        cash = f" Collect {yuan(collect)} in cash at the door." if collect else ""
        return Message(
            "New order",
            f"Pick up at {pickup_name}, fee {yuan(fee)}.{cash} Accept by {local_time(expires_at)}.",
        )
    cash = f"货到付款，到门收现金 {yuan(collect)}，" if collect else ""
    return Message("新订单", f"取货：{pickup_name}，配送费 {yuan(fee)}，{cash}请在 {local_time(expires_at)} 前接单。")


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


def shop_application_message(
    *, shop_name: str, approved: bool, reason: str | None, locale: str | None = None
) -> Message:
    """The SMS an applicant gets once the platform decided their application to open a shop."""
    if locale_of(locale) == EN:
        if approved:
            return Message("Shop approved", f"Your shop {shop_name} is approved. Sign in again to run it.")
        return Message("Shop declined", f"Your shop {shop_name} was declined: {reason}. You may apply again.")
    if approved:
        return Message("开店申请已通过", f"您的店铺「{shop_name}」已通过审核，请重新登录商家后台开始营业。")
    return Message("开店申请未通过", f"您的店铺「{shop_name}」未通过审核：{reason}。您可修改后重新申请。")


def food_permit_message(*, shop_name: str, valid_until: str, lapsed: bool, locale: str | None = None) -> Message:
    """The SMS a shop's owner gets as its food permit nears its date, and once it lapsed (catalog.permit_reminders)."""
    if locale_of(locale) == EN:
        if lapsed:
            return Message(
                "Food permit lapsed",
                f"The food permit of {shop_name} lapsed on {valid_until}: the shop takes no orders until a renewed "
                "one is approved. Upload it in the merchant console.",
            )
        return Message(
            "Food permit lapsing",
            f"The food permit of {shop_name} is valid until {valid_until}. Upload the renewed one in the merchant "
            "console: the shop takes no orders once it lapses.",
        )
    if lapsed:
        return Message(
            "食品经营许可证已到期",
            f"您的店铺「{shop_name}」的食品经营许可证已于 {valid_until} 到期，店铺已暂停接单；"
            "请在商家后台上传新证，审核通过后恢复接单。",
        )
    return Message(
        "食品经营许可证即将到期",
        f"您的店铺「{shop_name}」的食品经营许可证将于 {valid_until} 到期，请尽快在商家后台上传新证，"
        "到期后店铺将暂停接单。",
    )


def rider_application_message(*, approved: bool, locale: str | None = None) -> Message:
    """The SMS an applicant gets once the platform decided their application to ride."""
    if locale_of(locale) == EN:
        if approved:
            return Message("Rider approved", "You are approved to ride. Sign in to the rider app again to go on duty.")
        return Message("Rider declined", "Your application to ride was declined. Contact us to know more.")
    if approved:
        return Message("骑手申请已通过", "您的骑手申请已通过审核，请重新登录骑手 App 上线接单。")
    return Message("骑手申请未通过", "您的骑手申请未通过审核，如有疑问请联系平台。")
