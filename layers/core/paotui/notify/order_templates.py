"""What the parties of an order are told when it changes, per kind and audience, in zh-CN and en. Pure functions.

A kind is an order status (upper case: the order moved there) or an alert
kind (lower case: ``paotui.orders.alerts``). :func:`order_message` words one
kind for one audience, or answers None when that audience has no wording for
it (who hears what, and how, is ``paotui.notify.service``'s table). Some
kinds have variants, chosen from the order and the alert's detail: an
errand's wording, the 收货码 with DELIVERING, the cause of a cancellation,
the action of a confirm timeout, a compensation's kind, and so on.

Every wording has a title and body (push, SMS); a customer's also a
``label`` of at most 5 Chinese characters and a ``brief`` of at most 20
characters (what a WeChat subscribe message shows instead:
``paotui.notify.wechat_subscribe``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from paotui.notify.templates import EN, Message, clock_time, locale_of, yuan
from paotui.platform.ids import short_ref

Audience = Literal["customer", "merchant", "rider"]
CUSTOMER: Audience = "customer"
MERCHANT: Audience = "merchant"
RIDER: Audience = "rider"


@dataclass(frozen=True)
class Wording:
    """Title and body in zh-CN and en (``str.format`` fields from :func:`_values`); a customer's, also what a
    subscribe message shows: the ``label`` and the ``brief`` (zh-CN, en)."""

    zh: tuple[str, str]
    en: tuple[str, str]
    label: str = ""
    brief: tuple[str, str] = ("", "")


_PAID_CANCEL = ("已支付的款项将原路退回。", " What you paid goes back the way it came.")

WORDING: dict[tuple[str, Audience], Wording] = {
    # --- the customer: order statuses
    ("PAID", CUSTOMER): Wording(
        ("支付成功", "订单 {ref} 已支付，等待商家接单。"),
        ("Payment received", "Order {ref} is paid; waiting for the merchant."),
        label="已支付",
        brief=("已支付，等待商家接单", "Paid; awaiting shop"),
    ),
    ("PAID:errand", CUSTOMER): Wording(
        ("支付成功", "跑腿订单 {ref} 已支付。"),
        ("Payment received", "Errand {ref} is paid."),
        label="已支付",
        brief=("跑腿订单已支付", "Errand paid"),
    ),
    ("CONFIRMED", CUSTOMER): Wording(
        ("商家已接单", "订单 {ref} 已确认，正在为您安排骑手。"),
        ("Order confirmed", "The merchant confirmed order {ref}; we are finding a rider."),
        label="商家已接单",
        brief=("正在为您安排骑手", "Finding a rider"),
    ),
    ("CONFIRMED:errand", CUSTOMER): Wording(
        ("正在安排骑手", "跑腿订单 {ref} 已确认，正在为您安排骑手。"),
        ("Finding a rider", "Errand {ref} is confirmed; we are finding a rider."),
        label="已确认",
        brief=("正在为您安排骑手", "Finding a rider"),
    ),
    ("ASSIGNED", CUSTOMER): Wording(
        ("骑手已接单", "骑手{rider}已接单，正在前往商家。"),
        ("Rider assigned", "{rider} has taken order {ref} and is on the way to the merchant."),
        label="骑手已接单",
        brief=("骑手正在前往商家", "Rider on the way"),
    ),
    ("ASSIGNED:errand", CUSTOMER): Wording(
        ("骑手已接单", "骑手{rider}已接单，正在前往取件地点。"),
        ("Rider assigned", "{rider} has taken errand {ref} and is on the way to the pick-up."),
        label="骑手已接单",
        brief=("骑手正在前往取件地点", "Rider on the way"),
    ),
    ("PICKING_UP", CUSTOMER): Wording(
        ("骑手已到店", "骑手正在取货（订单 {ref}）。"),
        ("Rider at the store", "Your rider is picking up order {ref}."),
        label="骑手已到店",
        brief=("骑手已到店，正在取货", "Rider picking up"),
    ),
    ("PICKING_UP:errand", CUSTOMER): Wording(
        ("骑手已到达", "骑手已到达取件地点（订单 {ref}）。"),
        ("Rider at the pick-up", "Your rider has reached the pick-up of errand {ref}."),
        label="骑手已到达",
        brief=("骑手已到达取件地点", "Rider at the pick-up"),
    ),
    ("DELIVERING", CUSTOMER): Wording(
        ("配送中", "骑手已取货，正在为您配送（订单 {ref}）。"),
        ("On the way", "Your rider has picked up order {ref} and is on the way."),
        label="配送中",
        brief=("骑手已取货，正在配送", "Rider on the way"),
    ),
    ("DELIVERING:code", CUSTOMER): Wording(
        ("配送中", "骑手已取货，正在为您配送（订单 {ref}）。收货码 {code}，收货时请告诉骑手。"),
        (
            "On the way",
            "Your rider has picked up order {ref} and is on the way. "
            "Your delivery code is {code}: tell it to the rider at the door.",
        ),
        label="配送中",
        brief=("收货码{code}，请告知骑手", "Code {code} for rider"),
    ),
    ("DELIVERED", CUSTOMER): Wording(
        ("已送达", "订单 {ref} 已送达，感谢使用跑腿。"),
        ("Delivered", "Order {ref} has been delivered. Thank you!"),
        label="已送达",
        brief=("订单已送达，感谢使用", "Delivered, thank you"),
    ),
    ("CANCELLED", CUSTOMER): Wording(
        ("订单已取消", "订单 {ref} 已取消{why}。{refund}"),
        ("Order cancelled", "Order {ref} was cancelled{why}.{refund}"),
        label="已取消",
        brief=("{why_brief}", "{why_brief}"),
    ),
    # --- the customer: alerts
    ("no_rider", CUSTOMER): Wording(
        ("正在加紧安排骑手", "订单 {ref} 暂时没有骑手接单，我们正在加紧安排，预计 {eta} 送达。"),
        ("Still finding a rider", "No rider has taken order {ref} yet; we are on it. New estimated arrival: {eta}."),
        label="等待骑手",
        brief=("预计{eta}送达", "New ETA {eta}"),
    ),
    ("rider_reassigned", CUSTOMER): Wording(
        ("已为您更换骑手", "订单 {ref} 的原骑手无法继续配送，已为您更换骑手。"),
        ("New rider", "Your first rider could not go on, so order {ref} has a new rider."),
        label="已换骑手",
        brief=("已为您更换骑手", "A new rider is on it"),
    ),
    ("late", CUSTOMER): Wording(
        ("订单配送延迟", "抱歉，订单 {ref} 未能在承诺的 {promised} 前送达，我们将按规则为您补偿。"),
        ("Running late", "Sorry: order {ref} missed its promised time of {promised}. We will make it up to you."),
        label="配送延迟",
        brief=("未能按时送达，抱歉", "Sorry, running late"),
    ),
    ("compensated:coupon", CUSTOMER): Wording(
        ("补偿券已到账", "为补偿订单 {ref} 给您带来的不便，已向您发放 {amount} 优惠券。"),
        ("A coupon for you", "We are sorry about order {ref}: here is a {amount} coupon."),
        label="已补偿",
        brief=("已发放{amount}优惠券", "{amount} coupon added"),
    ),
    ("compensated:refund", CUSTOMER): Wording(
        ("补偿退款", "为补偿订单 {ref} 给您带来的不便，已为您退款 {amount}，将原路退回。"),
        ("Partial refund", "We are sorry about order {ref}: {amount} is refunded to you."),
        label="已补偿",
        brief=("已退款{amount}", "{amount} refunded"),
    ),
    ("delivery_failed", CUSTOMER): Wording(
        (
            "配送异常",
            "骑手未能送达订单 {ref}（{why}）。请在 {until} 前联系骑手，或在小程序中申请再次配送，逾时订单将退回商家。",
        ),
        (
            "Delivery failed",
            "Your rider could not deliver order {ref} ({why}). Contact the rider or ask for another try in the "
            "app by {until}; after that the order goes back to the store.",
        ),
        label="配送异常",
        brief=("请在{until}前联系骑手", "Reply by {until}"),
    ),
    ("returning", CUSTOMER): Wording(
        ("订单退回中", "订单 {ref} 未能送达，正在退回商家，退款将按规则处理。"),
        (
            "Going back to the store",
            "Order {ref} could not be delivered and is going back to the store; any refund follows our rules.",
        ),
        label="退回中",
        brief=("订单正在退回商家", "Going back to store"),
    ),
    ("returned:refunded", CUSTOMER): Wording(
        ("订单已退回", "订单 {ref} 已退回商家，已为您退款 {amount}，将原路退回。"),
        ("Order returned", "Order {ref} is back at the store; {amount} is refunded to you."),
        label="已退回",
        brief=("已退款{amount}", "{amount} refunded"),
    ),
    ("returned:kept", CUSTOMER): Wording(
        ("订单已退回", "订单 {ref} 已退回商家，按规则本单不予退款。"),
        ("Order returned", "Order {ref} is back at the store; under our rules it is not refunded."),
        label="已退回",
        brief=("订单已退回商家", "Back at the store"),
    ),
    # --- the merchant (console alerts)
    ("PAID", MERCHANT): Wording(
        ("新订单", "您有新订单 {ref}，请及时处理。"), ("New order", "New order {ref}: please see to it.")
    ),
    ("CANCELLED", MERCHANT): Wording(
        ("订单已取消", "订单 {ref} 已取消（{why}），请停止备餐。"),
        ("Order cancelled", "Order {ref} was cancelled ({why}); stop preparing it."),
    ),
    ("confirm_timeout:cancelled", MERCHANT): Wording(
        ("超时未接单", "订单 {ref} 超时未接单，已自动取消并全额退款。"),
        ("Order not confirmed", "Order {ref} was not confirmed in time: it is cancelled and fully refunded."),
    ),
    ("confirm_timeout:confirmed", MERCHANT): Wording(
        ("已自动接单", "订单 {ref} 超时未接单，已按您的设置自动接单，请尽快备餐。"),
        (
            "Order auto-confirmed",
            "Order {ref} was not confirmed in time, so it was confirmed for you (your setting). Please prepare it.",
        ),
    ),
    ("escalated:widen", MERCHANT): Wording(
        ("正在加派骑手", "订单 {ref} 暂无骑手接单，已扩大骑手搜索范围。"),
        ("Looking further", "No rider has taken order {ref} yet; we are searching further out."),
    ),
    ("escalated:bonus", MERCHANT): Wording(
        ("正在加派骑手", "订单 {ref} 暂无骑手接单，平台已为骑手加价。"),
        ("Bonus for riders", "No rider has taken order {ref} yet; riders are now offered a bonus."),
    ),
    ("escalated:carrier", MERCHANT): Wording(
        ("转第三方配送", "订单 {ref} 暂无骑手接单，已按您的设置转交第三方配送。"),
        ("Handed to a carrier", "No rider has taken order {ref}, so your carrier delivers it (your setting)."),
    ),
    ("escalated:operations", MERCHANT): Wording(
        ("运营介入", "订单 {ref} 仍无骑手接单，运营人员正在处理。"),
        ("Operations on it", "Still no rider for order {ref}: our operations team is on it."),
    ),
    ("pickup_overdue:rider_not_arrived", MERCHANT): Wording(
        ("骑手到店超时", "订单 {ref} 的骑手已超时 {minutes} 分钟仍未到店，我们正在跟进。"),
        ("Rider late", "The rider of order {ref} is {minutes} min late at your store; we are on it."),
    ),
    ("pickup_overdue:food_not_ready", MERCHANT): Wording(
        ("出餐超时", "订单 {ref} 的骑手已等候 {minutes} 分钟，请尽快出餐。"),
        ("Food not ready", "The rider has waited {minutes} min for order {ref}: please hand it over soon."),
    ),
    ("rider_reassigned", MERCHANT): Wording(
        ("已更换骑手", "订单 {ref} 已更换骑手，请将餐品交给新骑手。"),
        ("New rider", "Order {ref} has a new rider: hand it to them."),
    ),
    ("returning", MERCHANT): Wording(
        ("订单退回中", "订单 {ref} 未能送达（{why}），骑手正在送回，收到后请确认收货。"),
        (
            "Order coming back",
            "Order {ref} could not be delivered ({why}); it is coming back to you. Confirm when you have it.",
        ),
    ),
    # --- the rider (push)
    ("CANCELLED", RIDER): Wording(
        ("订单已取消", "订单 {ref} 已取消，无需继续配送。"),
        ("Order cancelled", "Order {ref} was cancelled: no need to carry on."),
    ),
    ("pickup_overdue:rider_not_arrived", RIDER): Wording(
        ("到店超时", "订单 {ref} 已超时 {minutes} 分钟，请尽快到店取货。"),
        ("Pick-up overdue", "Order {ref} is {minutes} min overdue for pick-up: please get to the store."),
    ),
    ("pickup_overdue:food_not_ready", RIDER): Wording(
        ("出餐较慢", "订单 {ref} 商家出餐已超时 {minutes} 分钟，已提醒商家，请稍候。"),
        ("Food not ready yet", "The store is {minutes} min late with order {ref}; we reminded them. Please wait."),
    ),
    ("delivery_retry", RIDER): Wording(
        ("请再次配送", "订单 {ref} 的顾客已可以收货，请再次配送。{note}"),
        ("Deliver again", "The customer of order {ref} can take it now: please deliver again.{note}"),
    ),
}

_CANCEL_CAUSES = {  # cause → (zh why, en why, zh brief, en brief)
    "payment_timeout": ("支付超时", "payment was not received in time", "支付超时，订单已取消", "Unpaid; cancelled"),
    "merchant_confirm_timeout": (
        "商家未及时接单",
        "the merchant did not confirm in time",
        "商家未接单，订单已取消",
        "Shop didn't confirm",
    ),
    "request_approved": (
        "商家同意了您的取消申请",
        "the merchant accepted your request to cancel",
        "取消申请已通过",
        "Cancel request OK",
    ),
    "customer": ("您取消了订单", "you cancelled it", "您已取消订单", "You cancelled it"),
    "merchant": ("商家取消了订单", "the merchant cancelled it", "商家取消了订单", "Shop cancelled it"),
}

_FAILURE_REASONS = {  # a delivery's failure reason (orders.proof) → (zh, en)
    "buyer_refused": ("您拒收了订单", "you refused it"),
    "unreachable": ("骑手联系不上您", "the rider could not reach you"),
    "wrong_address": ("地址有误", "the address was wrong"),
}

_MERCHANT_FAILURE_REASONS = {
    "buyer_refused": ("顾客拒收", "the customer refused it"),
    "unreachable": ("联系不上顾客", "the customer could not be reached"),
    "wrong_address": ("地址有误", "the address was wrong"),
}


def order_message(
    kind: str,
    audience: Audience,
    order: Mapping[str, Any],
    *,
    detail: Mapping[str, Any] | None = None,
    rider_name: str | None = None,
    locale: str | None = None,
) -> Message | None:
    """What ``audience`` is told of ``kind`` happening to ``order`` (its image as plain JSON); None if nothing."""
    detail = detail or {}
    wording = WORDING.get((variant_of(kind, order, detail), audience)) or WORDING.get((kind, audience))
    if wording is None:
        return None
    english = locale_of(locale) == EN
    title, body = wording.en if english else wording.zh
    brief = wording.brief[1 if english else 0]
    values = _Values(_values(kind, audience, order, detail, english=english, rider_name=rider_name))
    return Message(title.format_map(values), body.format_map(values).strip(), wording.label, brief.format_map(values))


def variant_of(kind: str, order: Mapping[str, Any], detail: Mapping[str, Any]) -> str:
    """The wording variant of ``kind`` for this order and detail (``kind`` itself when it has none)."""
    if kind == "DELIVERING" and order.get("delivery_code"):
        return "DELIVERING:code"
    if kind in ("PAID", "CONFIRMED", "ASSIGNED", "PICKING_UP") and order.get("kind") == "errand":
        return f"{kind}:errand"
    by_detail = {"confirm_timeout": "action", "compensated": "kind", "pickup_overdue": "reason", "escalated": "step"}
    if kind in by_detail:
        return f"{kind}:{detail.get(by_detail[kind])}"
    if kind == "returned":
        return "returned:refunded" if int(detail.get("amount") or 0) > 0 else "returned:kept"
    return kind


def cancel_cause(order: Mapping[str, Any]) -> str | None:
    """Why an order was cancelled, as its wording tells it: a known reason code, else who cancelled it."""
    reason = order.get("cancel_reason")
    if reason in _CANCEL_CAUSES:
        return reason
    if (order.get("cancel_request") or {}).get("status") == "APPROVED":
        return "request_approved"
    cancelled_by = cancelled_by_actor(order)
    return cancelled_by if cancelled_by in ("customer", "merchant") else None


def cancelled_by_actor(order: Mapping[str, Any]) -> str | None:
    """Who made the order's (last) CANCELLED move: ``customer``, ``merchant``, ``system``, ``watchdog``, ..."""
    moves = [entry for entry in order.get("timeline") or [] if entry.get("status") == "CANCELLED"]
    if not moves:
        return None
    return str(moves[-1].get("by") or "").split(":", 1)[0] or None


def was_paid(order: Mapping[str, Any]) -> bool:
    return any(entry.get("status") == "PAID" for entry in order.get("timeline") or [])


class _Values(dict):
    """Format values; one a wording asks for that the alert did not carry shows as a dash, not an error."""

    def __missing__(self, key: str) -> str:
        return "—"


def _values(
    kind: str,
    audience: Audience,
    order: Mapping[str, Any],
    detail: Mapping[str, Any],
    *,
    english: bool,
    rider_name: str | None,
) -> dict[str, Any]:
    pick = 1 if english else 0
    values: dict[str, Any] = {
        "ref": short_ref(str(order.get("id") or "")),
        "rider": rider_name or ("Your rider" if english else ""),
        "code": order.get("delivery_code") or "",
    }
    for name in ("eta", "promised_at", "contact_until"):
        moment = detail.get(name) or (order.get(name) if name == "promised_at" else None)
        if moment:
            values[{"promised_at": "promised", "contact_until": "until"}.get(name, name)] = clock_time(str(moment))
    if detail.get("amount") is not None:
        values["amount"] = yuan(int(detail["amount"]))
    if detail.get("minutes") is not None:
        values["minutes"] = round(float(detail["minutes"]))
    note = detail.get("note")
    values["note"] = (f" Note: {note}" if english else f"备注：{note}") if note else ""
    if kind in ("delivery_failed", "returning"):
        reasons = _MERCHANT_FAILURE_REASONS if audience == MERCHANT else _FAILURE_REASONS
        reason = str(detail.get("reason") or "")
        values["why"] = reasons[reason][pick] if reason in reasons else ("no reason given" if english else "未说明原因")
    if kind == "CANCELLED":
        values.update(_cancellation(order, audience, english=english))
    return values


def _cancellation(order: Mapping[str, Any], audience: Audience, *, english: bool) -> dict[str, str]:
    """``why`` (and the customer's ``why_brief``, ``refund``) of a cancelled order."""
    pick = 1 if english else 0
    cause = cancel_cause(order)
    reason = order.get("cancel_reason")
    if audience == MERCHANT:
        if cause in ("customer", "request_approved"):
            return {"why": "the customer cancelled it" if english else "顾客取消"}
        return {"why": reason or ("cancelled by the platform" if english else "平台取消")}
    why, brief = (_CANCEL_CAUSES[cause][pick], _CANCEL_CAUSES[cause][2 + pick]) if cause else (reason, None)
    if cause == "merchant" and reason:
        why = f"{why} ({reason})" if english else f"{why}（{reason}）"
    return {
        "why": (f": {why}" if english else f"：{why}") if why else "",
        "why_brief": brief or ("Order cancelled" if english else "订单已取消"),
        "refund": _PAID_CANCEL[pick] if was_paid(order) else "",
    }
