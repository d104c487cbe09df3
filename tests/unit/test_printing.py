"""Kitchen tickets for a 58 mm printer, and Feieyun's request signing and refusals (paotui.printing)."""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import pytest

from paotui.printing.feie import FeieConfig, refused_reason, signature, signed_form
from paotui.printing.ticket import WIDTH, bound_page, masked, plain, spread, ticket, width, wrap

TAG = re.compile(r"</?[A-Z]+>")


def printed_lines(content: str) -> list[str]:
    """The ticket's lines as the printer lays them out: markup off, one line per <BR>."""
    assert content.endswith("<BR>")
    return [TAG.sub("", line) for line in content.removesuffix("<BR>").split("<BR>")]


def order(**changes):
    fields = {
        "id": "ord_0123456789abcdef0123456789ab12cd",
        "channel": "mini_program",
        "created_at": "2026-11-28T03:05:00.000Z",
        "scheduled_for": None,
        "items": [
            SimpleNamespace(name="宫保鸡丁（大）", quantity=2, line_total=5600),
            SimpleNamespace(name="一道名字非常非常非常非常长的招牌菜（加辣）", quantity=1, line_total=3880),
        ],
        "amounts": SimpleNamespace(items_total=9480, delivery_fee=500, discount=300, total=9680, collect_on_delivery=0),
        "note": "少辣，<BR>别放香菜<CUT>",
        "address": SimpleNamespace(
            contact_name="陈女士", contact_phone="+8613912345678", detail="黄浦区南京东路100号 5 楼"
        ),
    }
    return SimpleNamespace(**{**fields, **changes})


def test_a_cjk_character_takes_two_columns_and_ascii_one():
    assert width("宫保鸡丁") == 8 and width("x2 56.00") == 8 and width("（）") == 4


def test_every_line_of_a_ticket_fits_the_roll_and_amounts_stand_right():
    lines = printed_lines(ticket(order(), "老王生煎"))
    assert all(width(line) <= WIDTH for line in lines), [line for line in lines if width(line) > WIDTH]
    dish = next(line for line in lines if line.startswith("宫保鸡丁"))
    assert dish.endswith("56.00") and width(dish) == WIDTH and "×2" in dish
    long_name = [line for line in lines if "招牌菜" in line or line.strip() == "38.80"]
    assert long_name[-1].strip() == "38.80", "a name too long for one line gets its amount on a line of its own"
    assert any(line.startswith("优惠") and line.endswith("-3.00") for line in lines)
    assert any(line.startswith("合计") and line.endswith("¥96.80") for line in lines)


def test_a_ticket_leads_with_the_reference_and_keeps_typed_text_from_being_markup():
    content = ticket(order(), "老王<B>生煎")
    assert content.startswith("<CB>#AB12CD</CB><BR><C>老王＜B＞生煎</C><BR>小程序  下单 11-28 11:05<BR>")
    assert "<CUT>" not in content and "别放香菜＜CUT" in content, "a customer's note can't cut the roll"
    assert content.count("<BOLD>") == content.count("</BOLD>") >= 2, "the total and the note in bold"
    assert "139****5678" in content and "13912345678" not in content


def test_a_scheduled_cash_order_says_when_it_is_wanted_and_what_the_rider_collects():
    lines = printed_lines(
        ticket(
            order(
                channel="phone",
                scheduled_for="2026-11-28T04:30:00.000Z",
                note=None,
                amounts=SimpleNamespace(
                    items_total=9480, delivery_fee=500, discount=0, total=9980, collect_on_delivery=9980
                ),
            ),
            "老王生煎",
        )
    )
    assert lines[2] == "电话  下单 11-28 11:05  预约 11-28 12:30"
    assert not any(line.startswith("优惠") or line.startswith("备注") for line in lines)
    assert any(line.startswith("货到付款") and line.endswith("99.80") for line in lines)


def test_text_helpers():
    assert plain("a\nb\tc ") == "a b c"
    assert masked("+8613912345678") == "139****5678" and masked("") == ""
    assert wrap("") == [] and wrap("x" * 40) == ["x" * 32, "x" * 8]
    assert spread("合计", "¥1.00") == ["合计" + " " * 23 + "¥1.00"]
    assert "打印机已绑定" in bound_page("老王生煎", "后厨")


def test_a_request_is_signed_with_the_sha1_of_user_ukey_and_time():
    config = FeieConfig(user="dev@example.com", ukey="ukeyukey", base_url="http://127.0.0.1/Api/Open/")
    form = signed_form(config, "Open_printMsg", {"sn": "960238952"}, 1_764_300_000)
    expected = hashlib.sha1(b"dev@example.comukeyukey1764300000").hexdigest()
    assert form == {
        "user": "dev@example.com",
        "stime": "1764300000",
        "sig": expected,
        "apiname": "Open_printMsg",
        "sn": "960238952",
    }
    assert signature("dev@example.com", "ukeyukey", "1764300000") == expected and len(expected) == 40
    assert "ukey" not in form, "the UKEY never goes on the wire"


def test_a_refused_printer_line_gives_feieyuns_reason():
    assert refused_reason("960238952#abc#后厨  （错误：识别码不正确）") == "识别码不正确"
    assert refused_reason("960238952#abc#后厨 (错误:已被添加过)") == "已被添加过"
    assert refused_reason("something else") == "something else"


def test_the_secret_is_read_strictly():
    assert FeieConfig.from_secret("{}") is None
    assert FeieConfig.from_secret('{"user": "u", "ukey": "k"}').base_url.startswith("https://api.feieyun.cn/")
    with pytest.raises(ValueError, match="unexpected keys"):
        FeieConfig.from_secret('{"user": "u", "ukey": "k", "baseurl": "x"}')
    with pytest.raises(ValueError, match="ukey is required"):
        FeieConfig.from_secret('{"user": "u", "ukey": ""}')
