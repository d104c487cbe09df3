"""What an order's parties are told: every kind and variant, for every audience that hears it, in zh-CN and en."""

from __future__ import annotations

import re

import pytest

from paotui.notify import order_templates
from paotui.notify.order_templates import CUSTOMER, MERCHANT, RIDER, WORDING, order_message, variant_of
from paotui.notify.service import AUDIENCES

ORDER = {
    "id": "ord_0123456789abcdef",
    "customer_id": "usr_c",
    "merchant_id": "mer_1",
    "rider_id": "rdr_1",
    "promised_at": "2026-11-25T04:30:00.000Z",
    "timeline": [
        {"status": "PENDING_PAYMENT", "by": "customer:usr_c"},
        {"status": "PAID", "by": "system"},
    ],
}

SAMPLES: dict[str, tuple[str, dict, dict]] = {  # variant → (kind, order fields, detail) that select it
    "DELIVERING:code": ("DELIVERING", {"delivery_code": "0421"}, {}),
    "PAID:errand": ("PAID", {"kind": "errand"}, {}),
    "CONFIRMED:errand": ("CONFIRMED", {"kind": "errand"}, {}),
    "ASSIGNED:errand": ("ASSIGNED", {"kind": "errand"}, {}),
    "PICKING_UP:errand": ("PICKING_UP", {"kind": "errand"}, {}),
    "CANCELLED": ("CANCELLED", {"cancel_reason": "merchant_confirm_timeout"}, {}),
    "confirm_timeout:cancelled": ("confirm_timeout", {}, {"action": "cancelled"}),
    "confirm_timeout:confirmed": ("confirm_timeout", {}, {"action": "confirmed"}),
    "no_rider": ("no_rider", {}, {"level": 4, "eta": "2026-11-25T05:10:00.000Z"}),
    "escalated:widen": ("escalated", {}, {"level": 1, "step": "widen"}),
    "escalated:bonus": ("escalated", {}, {"level": 2, "step": "bonus"}),
    "escalated:carrier": ("escalated", {}, {"level": 3, "step": "carrier"}),
    "escalated:operations": ("escalated", {}, {"level": 4, "step": "operations"}),
    "pickup_overdue:rider_not_arrived": ("pickup_overdue", {}, {"minutes": 12, "reason": "rider_not_arrived"}),
    "pickup_overdue:food_not_ready": ("pickup_overdue", {}, {"minutes": 7.6, "reason": "food_not_ready"}),
    "late": ("late", {}, {"promised_at": "2026-11-25T04:30:00.000Z"}),
    "compensated:coupon": ("compensated", {}, {"kind": "coupon", "amount": 500}),
    "compensated:refund": ("compensated", {}, {"kind": "refund", "amount": 350}),
    "delivery_failed": (
        "delivery_failed",
        {},
        {"reason": "unreachable", "contact_until": "2026-11-25T04:40:00.000Z", "attempt": 1},
    ),
    "delivery_retry": ("delivery_retry", {}, {"attempt": 2, "note": "在楼下了"}),
    "returning": ("returning", {}, {"reason": "buyer_refused"}),
    "returned:refunded": ("returned", {}, {"amount": 2550, "rule": "full", "reason": "unreachable"}),
    "returned:kept": ("returned", {}, {"amount": 0, "rule": "none", "reason": "buyer_refused"}),
}


def sample(variant: str) -> tuple[str, dict, dict]:
    kind, fields, detail = SAMPLES.get(variant, (variant, {}, {}))
    return kind, {**ORDER, **fields}, detail


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize(("variant", "audience"), sorted(WORDING))
def test_every_wording_renders_whole_in_both_languages(variant, audience, locale):
    kind, order, detail = sample(variant)
    assert variant_of(kind, order, detail) == variant
    message = order_message(kind, audience, order, detail=detail, rider_name="Li", locale=locale)
    shown = (message.title, message.body, message.brief) if audience == CUSTOMER else (message.title, message.body)
    for text in shown:
        assert text and "{" not in text and "—" not in text, (text, variant, audience, locale)
    if audience == CUSTOMER:  # what a subscribe message shows: its thing, and its phrase (1-5 Chinese characters)
        assert len(message.brief) <= 20, message.brief
        assert re.fullmatch(r"[\u4e00-\u9fff]{1,5}", message.label), message.label
    chinese = bool(re.search(r"[\u4e00-\u9fff]", message.title + message.body))
    assert chinese == (locale == "zh-CN") or variant == "delivery_retry"  # a customer's note is theirs


@pytest.mark.parametrize(("kind", "audiences"), sorted(AUDIENCES.items()))
def test_every_kind_has_wording_for_every_audience_that_hears_it(kind, audiences):
    for audience in audiences:
        variants = [variant for variant, heard_by in WORDING if heard_by == audience]
        assert kind in variants or any(variant.startswith(f"{kind}:") for variant in variants), (kind, audience)


def test_statuses_told_by_their_alerts_or_not_at_all_have_no_customer_wording():
    for status in ("PENDING_PAYMENT", "DELIVERY_FAILED", "RETURNING", "RETURNED"):
        assert order_message(status, CUSTOMER, ORDER) is None
    assert order_message("operations", CUSTOMER, ORDER) is None
    assert order_message("late", MERCHANT, ORDER) is None


def test_the_order_reference_is_the_short_tail_of_the_id():
    assert "ABCDEF" in order_message("PAID", CUSTOMER, ORDER).body


def test_assigned_names_the_rider_or_says_your_rider():
    assert order_message("ASSIGNED", CUSTOMER, ORDER, rider_name="李师傅").body.startswith("骑手李师傅已接单")
    assert order_message("ASSIGNED", CUSTOMER, ORDER, rider_name="Li", locale="en").body.startswith("Li has taken")
    assert order_message("ASSIGNED", CUSTOMER, ORDER, locale="en").body.startswith("Your rider has taken")


def test_an_errand_is_worded_without_a_merchant():
    errand = {**ORDER, "kind": "errand", "id": "ord_abcdef"}
    paid = order_message("PAID", CUSTOMER, errand)
    assert (paid.title, paid.body) == ("支付成功", "跑腿订单 ABCDEF 已支付。")
    assigned = order_message("ASSIGNED", CUSTOMER, errand, rider_name="李师傅")
    assert "取件地点" in assigned.body and "商家" not in assigned.body
    assert order_message("DELIVERED", CUSTOMER, errand) == order_message("DELIVERED", CUSTOMER, ORDER)


def cancelled(by: str, reason: str | None = None, **fields) -> dict:
    timeline = [*ORDER["timeline"], {"status": "CANCELLED", "by": by, "reason": reason}]
    return {**ORDER, "timeline": timeline, "cancel_reason": reason, **fields}


@pytest.mark.parametrize(
    ("order", "zh_end", "en_end", "brief"),
    [
        (
            cancelled("watchdog", "payment_timeout", timeline=[{"status": "CANCELLED", "by": "watchdog"}]),
            "已取消：支付超时。",
            "was cancelled: payment was not received in time.",
            "支付超时，订单已取消",
        ),
        (
            cancelled("watchdog", "merchant_confirm_timeout"),
            "已取消：商家未及时接单。已支付的款项将原路退回。",
            "was cancelled: the merchant did not confirm in time. What you paid goes back the way it came.",
            "商家未接单，订单已取消",
        ),
        (
            cancelled("merchant:usr_owner", "备料不足"),
            "已取消：商家取消了订单（备料不足）。已支付的款项将原路退回。",
            "was cancelled: the merchant cancelled it (备料不足). What you paid goes back the way it came.",
            "商家取消了订单",
        ),
        (
            cancelled("customer:usr_c", "买错了"),
            "已取消：您取消了订单。已支付的款项将原路退回。",
            "was cancelled: you cancelled it. What you paid goes back the way it came.",
            "您已取消订单",
        ),
        (
            cancelled("merchant:usr_owner", "顾客申请", cancel_request={"status": "APPROVED"}),
            "已取消：商家同意了您的取消申请。已支付的款项将原路退回。",
            "was cancelled: the merchant accepted your request to cancel. What you paid goes back the way it came.",
            "取消申请已通过",
        ),
        (
            cancelled("admin:usr_ops", "地址超出范围"),
            "已取消：地址超出范围。已支付的款项将原路退回。",
            "was cancelled: 地址超出范围. What you paid goes back the way it came.",
            "订单已取消",
        ),
    ],
)
def test_a_cancellation_says_why(order, zh_end, en_end, brief):
    zh = order_message("CANCELLED", CUSTOMER, order)
    assert zh.body.endswith(zh_end) and zh.brief == brief and zh.label == "已取消"
    assert order_message("CANCELLED", CUSTOMER, order, locale="en").body.endswith(en_end)


def test_the_merchant_and_the_rider_hear_a_cancellation_their_way():
    by_customer = cancelled("customer:usr_c", "买错了")
    assert order_message("CANCELLED", MERCHANT, by_customer).body == "订单 ABCDEF 已取消（顾客取消），请停止备餐。"
    assert "no need to carry on" in order_message("CANCELLED", RIDER, by_customer, locale="en").body


def test_a_failed_delivery_tells_by_when_to_answer_in_china_time():
    detail = {"reason": "buyer_refused", "contact_until": "2026-11-25T04:40:00.000Z"}
    message = order_message("delivery_failed", CUSTOMER, ORDER, detail=detail)
    assert "（您拒收了订单）" in message.body and "请在 12:40 前联系骑手" in message.body
    assert message.brief == "请在12:40前联系骑手"
    unknown = order_message("delivery_failed", CUSTOMER, ORDER, detail={**detail, "reason": "flat_tyre"})
    assert "未说明原因" in unknown.body


def test_a_return_tells_the_refund():
    assert "已为您退款 ¥25.50" in order_message("returned", CUSTOMER, ORDER, detail={"amount": 2550}).body
    assert "不予退款" in order_message("returned", CUSTOMER, ORDER, detail={"amount": 0}).body


def test_values_an_alert_did_not_carry_show_as_a_dash():
    message = order_message("no_rider", CUSTOMER, ORDER, detail={"level": 4})
    assert "预计 — 送达" in message.body


def test_unknown_variants_have_no_wording():
    assert order_message("escalated", MERCHANT, ORDER, detail={"step": "teleport"}) is None
    assert order_message("compensated", CUSTOMER, ORDER, detail={"kind": "flowers", "amount": 1}) is None


def test_who_cancelled_comes_from_the_last_cancellation_in_the_timeline():
    assert order_templates.cancelled_by_actor(cancelled("merchant:usr_owner")) == "merchant"
    assert order_templates.cancelled_by_actor(ORDER) is None
    assert order_templates.was_paid(ORDER) and not order_templates.was_paid({"timeline": []})
