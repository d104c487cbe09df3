"""The subscribe message's shape: WeChat's fields, and each keyword's value within WeChat's limit for its type."""

from __future__ import annotations

import pytest

from paotui.notify.order_templates import order_message
from paotui.notify.templates import Message
from paotui.notify.wechat_subscribe import (
    character_string,
    phrase,
    subscribe_payload,
    template_for,
    thing,
    wechat_time,
)
from paotui.platform.settings import Settings

ORDER = {"id": "ord_0123456789abcdef", "delivery_code": "0421"}


def test_the_payload_has_wechats_fields_and_the_templates_keywords():
    settings = Settings(wechat_subscribe_page="pages/order/detail?id={order_id}", wechat_miniprogram_state="trial")
    message = order_message("DELIVERING", "customer", ORDER)
    payload = subscribe_payload(
        "oOPENID",
        "tmpl-1",
        message,
        order_id=ORDER["id"],
        at="2026-11-25T04:05:09.000Z",
        locale=None,
        settings=settings,
    )
    assert payload == {
        "touser": "oOPENID",
        "template_id": "tmpl-1",
        "page": "pages/order/detail?id=ord_0123456789abcdef",
        "miniprogram_state": "trial",
        "lang": "zh_CN",
        "data": {
            "character_string1": {"value": "ABCDEF"},
            "phrase2": {"value": "配送中"},
            "thing3": {"value": "收货码0421，请告知骑手"},
            "time4": {"value": "2026年11月25日 12:05"},
        },
    }
    english = order_message("DELIVERING", "customer", ORDER, locale="en")
    payload = subscribe_payload(
        "o", "t", english, order_id=ORDER["id"], at="2026-11-25T04:05:09.000Z", locale="en-US", settings=settings
    )
    assert payload["lang"] == "en_US"
    assert payload["data"]["thing3"] == {"value": "Code 0421 for rider"}
    assert payload["data"]["phrase2"] == {"value": "配送中"}, "WeChat's phrase is Chinese whatever the language"


def test_a_thing_is_at_most_twenty_characters_on_one_line():
    assert thing("骑手已取货，正在配送") == "骑手已取货，正在配送"
    long = thing("一二三四五六七八九十一二三四五六七八九十一")
    assert len(long) == 20 and long.endswith("…")
    assert thing("two\nlines") == "two lines"


def test_a_character_string_is_visible_ascii_up_to_32():
    assert character_string("ABC 123-中") == "ABC123-"
    assert len(character_string("x" * 40)) == 32


@pytest.mark.parametrize("text", ["", "配送中了吗吗吗", "Late", "配送 中"])
def test_a_phrase_that_wechat_would_refuse_is_a_bug_raised_here(text):
    with pytest.raises(ValueError, match="phrase"):
        phrase(text)


def test_times_are_china_time_with_the_date():
    assert wechat_time("2026-03-01T16:30:00.000Z") == "2026年3月2日 00:30"


def test_a_message_takes_its_own_template_else_the_default_else_none():
    settings = Settings(wechat_subscribe_templates='{"DELIVERING": "tmpl-d", "late": "", "*": "tmpl-any"}')
    assert template_for("DELIVERING", settings) == "tmpl-d"
    assert template_for("PAID", settings) == "tmpl-any"
    assert template_for("late", settings) is None, "mapped to '': texted instead"
    assert template_for("PAID", Settings(wechat_subscribe_templates='{"DELIVERING": "tmpl-d"}')) is None
    assert template_for("PAID", Settings()) is None


def test_a_malformed_template_map_is_an_error_not_silence():
    with pytest.raises(ValueError):
        template_for("PAID", Settings(wechat_subscribe_templates='["tmpl"]'))


def test_a_message_without_a_brief_shows_its_title():
    payload = subscribe_payload(
        "o",
        "t",
        Message("已送达", "body", "已送达"),
        order_id="ord_1",
        at="2026-11-25T04:05:09Z",
        locale=None,
        settings=Settings(),
    )
    assert payload["data"]["thing3"] == {"value": "已送达"}
