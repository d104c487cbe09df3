"""Message templates: pure functions in zh-CN and en (an order's parties: test_notify_order_templates)."""

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


def test_an_offer_paid_at_the_door_tells_the_rider_the_cash_to_take_before_they_accept():
    at = "2026-11-25T04:00:30.000Z"
    zh = templates.offer_message(pickup_name="老王生煎", fee=650, expires_at=at, collect=3850)
    assert zh.body == "取货：老王生煎，配送费 ¥6.50，货到付款，到门收现金 ¥38.50，请在 12:00:30 前接单。"
    en = templates.offer_message(pickup_name="Wang's", fee=650, expires_at=at, collect=3850, locale="en")
    assert en.body == "Pick up at Wang's, fee ¥6.50. Collect ¥38.50 in cash at the door. Accept by 12:00:30."


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


def test_an_applicant_reads_the_decision_on_the_shop_and_why_it_was_declined():
    declined = templates.shop_application_message(shop_name="阿婆馄饨", approved=False, reason="执照不清晰")
    assert declined.body == "您的店铺「阿婆馄饨」未通过审核：执照不清晰。您可修改后重新申请。"
    approved = templates.shop_application_message(shop_name="Apo", approved=True, reason=None, locale="en")
    assert approved.body == "Your shop Apo is approved. Sign in again to run it."
    rider = templates.rider_application_message(approved=False, locale="en-US")
    assert rider.body == "Your application to ride was declined. Contact us to know more."


def test_a_shop_owner_reads_when_the_food_permit_lapses_and_what_to_do():
    ahead = templates.food_permit_message(shop_name="阿婆馄饨", valid_until="2026-12-05", lapsed=False)
    assert ahead.body == (
        "您的店铺「阿婆馄饨」的食品经营许可证将于 2026-12-05 到期，请尽快在商家后台上传新证，到期后店铺将暂停接单。"
    )
    lapsed = templates.food_permit_message(shop_name="Apo", valid_until="2026-11-27", lapsed=True, locale="en")
    assert lapsed.body == (
        "The food permit of Apo lapsed on 2026-11-27: the shop takes no orders until a renewed one is approved. "
        "Upload it in the merchant console."
    )


@pytest.mark.parametrize(
    ("tag", "locale"), [(None, "zh-CN"), ("zh", "zh-CN"), ("en", "en"), ("EN_gb", "en"), ("fr", "zh-CN")]
)
def test_locale_tags(tag, locale):
    assert templates.locale_of(tag) == locale


def test_money_in_yuan():
    assert [templates.yuan(f) for f in (0, 5, 100, 1234)] == ["¥0.00", "¥0.05", "¥1.00", "¥12.34"]
