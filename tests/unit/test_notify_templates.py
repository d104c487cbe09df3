"""Message templates: pure functions in zh-CN and en."""

from __future__ import annotations

import pytest

from paotui.notify import templates


def test_offer_message_in_chinese_by_default():
    message = templates.offer_message(pickup_name="老王生煎", fee=650, expires_at="2026-11-25T04:00:30.000Z")
    assert message.title == "新订单"
    assert "老王生煎" in message.body
    assert "¥6.50" in message.body
    assert "12:00:30" in message.body  # China Standard Time


def test_offer_message_in_english():
    message = templates.offer_message(
        pickup_name="Wang's", fee=500, expires_at="2026-11-25T15:59:59.000Z", locale="en-US"
    )
    assert message.title == "New order"
    assert message.body == "Pick up at Wang's, fee ¥5.00. Accept by 23:59:59."


def test_the_offer_reminder_sms_says_where_and_by_when_in_both_languages():
    zh = templates.offer_reminder_message(pickup_name="老王生煎", fee=650, expires_at="2026-03-01T04:00:30.000Z")
    assert "老王生煎" in zh.body and "¥6.50" in zh.body and "12:00:30" in zh.body and "骑手 App" in zh.body
    en = templates.offer_reminder_message(
        pickup_name="Lao Wang", fee=650, expires_at="2026-03-01T04:00:30.000Z", locale="en-US"
    )
    assert (
        en.body
        == "An order is waiting for you: pick up at Lao Wang, fee ¥6.50. Open the rider app to accept by 12:00:30."
    )


@pytest.mark.parametrize(
    ("status", "zh_title", "en_title"),
    [
        ("PAID", "支付成功", "Payment received"),
        ("CONFIRMED", "商家已接单", "Order confirmed"),
        ("ASSIGNED", "骑手已接单", "Rider assigned"),
        ("PICKING_UP", "骑手已到店", "Rider at the store"),
        ("DELIVERING", "配送中", "On the way"),
        ("DELIVERED", "已送达", "Delivered"),
        ("CANCELLED", "订单已取消", "Order cancelled"),
    ],
)
def test_every_customer_status_has_a_message_in_both_languages(status, zh_title, en_title):
    zh = templates.order_status_message(status, order_id="ord_0123456789abcdef")
    en = templates.order_status_message(status, order_id="ord_0123456789abcdef", locale="en")
    assert (zh.title, en.title) == (zh_title, en_title)
    assert "{" not in zh.body + en.body


def test_order_reference_is_the_short_tail_of_the_id():
    message = templates.order_status_message("PAID", order_id="ord_0123456789abcdef")
    assert "ABCDEF" in message.body


def test_assigned_names_the_rider():
    zh = templates.order_status_message("ASSIGNED", order_id="ord_1", rider_name="李师傅")
    en = templates.order_status_message("ASSIGNED", order_id="ord_1", rider_name="Li", locale="en")
    assert zh.body.startswith("骑手李师傅已接单")
    assert en.body.startswith("Li has taken order")
    assert templates.order_status_message("ASSIGNED", order_id="ord_1", locale="en").body.startswith("Your rider")


def test_cancelled_explains_known_reasons_and_repeats_others():
    timeout = templates.order_status_message("CANCELLED", order_id="ord_1", reason="payment_timeout")
    assert timeout.body.endswith("已取消：支付超时。")
    en = templates.order_status_message("CANCELLED", order_id="ord_1", reason="merchant_confirm_timeout", locale="en")
    assert en.body.endswith("was cancelled: the merchant did not confirm in time.")
    own = templates.order_status_message("CANCELLED", order_id="ord_1", reason="买错了")
    assert own.body.endswith("已取消：买错了。")
    bare = templates.order_status_message("CANCELLED", order_id="ord_1")
    assert bare.body.endswith("已取消。")


def test_an_errand_is_worded_without_a_merchant():
    paid = templates.order_status_message("PAID", order_id="ord_abcdef", errand=True)
    assert (paid.title, paid.body) == ("支付成功", "跑腿订单 ABCDEF 已支付。")
    assigned = templates.order_status_message("ASSIGNED", order_id="ord_1", rider_name="李师傅", errand=True)
    assert "取件地点" in assigned.body and "商家" not in assigned.body
    english = templates.order_status_message("PICKING_UP", order_id="ord_1", locale="en", errand=True)
    assert english.title == "Rider at the pick-up"
    delivered = templates.order_status_message("DELIVERED", order_id="ord_1", errand=True)
    assert delivered == templates.order_status_message("DELIVERED", order_id="ord_1")


def test_statuses_without_a_customer_message():
    assert templates.order_status_message("PENDING_PAYMENT", order_id="ord_1") is None
    assert templates.order_status_message("RETURNING", order_id="ord_1") is None


@pytest.mark.parametrize(
    ("tag", "locale"), [(None, "zh-CN"), ("zh", "zh-CN"), ("en", "en"), ("EN_gb", "en"), ("fr", "zh-CN")]
)
def test_locale_tags(tag, locale):
    assert templates.locale_of(tag) == locale


def test_money_in_yuan():
    assert [templates.yuan(f) for f in (0, 5, 100, 1234)] == ["¥0.00", "¥0.05", "¥1.00", "¥12.34"]
