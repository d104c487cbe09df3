"""Ele.me pushes: the signature as Ele.me computes it, and a type-10 message as our ExternalOrder (orders.eleme)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from paotui.orders import eleme
from paotui.orders.eleme import ElemeConfig
from paotui.platform.errors import Unauthorized, Unprocessable
from paotui_local.fakes.eleme import FakeEleme

APP = ElemeConfig(app_id="27394562", secret="eleme-test-secret")
ADDRESS = {
    "lat": 31.2304,
    "lng": 121.4737,
    "detail": "人民广场 1 号楼",
    "contact_name": "陈女士",
    "contact_phone": "+8613800000301",
}

# Ele.me's documented push (消息推送) shape, a type-12 status change.
DOC_PUSH = {
    "requestId": "10135",
    "type": 12,
    "appId": 27394562,
    "message": '{"orderId":"100027500485933656","state":"settled","shopId":968861,"updateTime":1482161481,"role":3}',
    "shopId": 968861,
    "timestamp": 1482161482053,
    "userId": 62864532,
}

MESSAGE = """{
  "id": "1200896812087498063", "shopId": 968861, "userId": 62864532,
  "consignee": "陈女士", "phoneList": ["13800000301"], "address": "人民广场 1 号楼 1201",
  "deliveryGeo": "121.4737,31.2304", "deliverFee": 5.1, "totalPrice": 41.3, "description": "少放辣",
  "groups": [
    {"name": "1号篮子", "type": "normal", "items": [
      {"name": "生煎包 (4只)", "quantity": 2, "price": 18.1, "total": 36.2, "extendCode": "prd_shengjian"},
      {"name": "赠品", "quantity": 1, "price": 0, "total": 0, "extendCode": ""}]},
    {"name": "其它费用", "type": "extra", "items": [{"name": "餐盒", "quantity": 1, "price": 1, "total": 1}]},
    {"name": "优惠", "type": "discount", "items": [{"name": "满减", "quantity": 1, "price": -1, "total": -1}]}],
  "createdAt": "2030-05-01T12:00:00", "deliverTime": "2030-05-01T12:30:00", "onlinePaid": true
}"""


def documented_signature(push: dict, secret: str) -> str:
    """Ele.me's own Python example: "k=v" of every field but the signature, sorted, joined, the secret, MD5."""
    data = ["{}={}".format(k, v) for k, v in push.items() if k != "signature"]  # noqa: UP032 (as documented)
    data.sort()
    return hashlib.md5(("".join(data) + secret).encode("utf-8")).hexdigest().upper()


def signed(push: dict, secret: str = APP.secret) -> dict:
    return {**push, "signature": documented_signature(push, secret)}


def message(**changes) -> dict:
    return {**eleme.json_object(MESSAGE, "message"), **changes}


# --- signature ------------------------------------------------------------------------------------------------


def test_the_signature_is_the_documented_one():
    assert eleme.signature(DOC_PUSH, APP.secret) == documented_signature(DOC_PUSH, APP.secret)
    assert eleme.signature(signed(DOC_PUSH), APP.secret) == documented_signature(DOC_PUSH, APP.secret)


def test_a_well_signed_push_verifies():
    eleme.verify(signed(DOC_PUSH), APP)
    eleme.verify({**signed(DOC_PUSH), "signature": signed(DOC_PUSH)["signature"].lower()}, APP)


@pytest.mark.parametrize(
    "change",
    [
        {"message": DOC_PUSH["message"].replace("settled", "invalid")},
        {"shopId": 968862},
        {"newField": "added after signing"},
    ],
)
def test_a_tampered_push_is_refused(change):
    with pytest.raises(Unauthorized) as refused:
        eleme.verify({**signed(DOC_PUSH), **change}, APP)
    assert refused.value.code == "INVALID_SIGNATURE"


def test_another_secret_or_app_is_refused():
    with pytest.raises(Unauthorized) as wrong_secret:
        eleme.verify(signed(DOC_PUSH, "another-secret"), APP)
    assert wrong_secret.value.code == "INVALID_SIGNATURE"
    with pytest.raises(Unauthorized) as other_app:
        eleme.verify(signed({**DOC_PUSH, "appId": 11111111}), APP)
    assert other_app.value.code == "UNKNOWN_APP"
    unsigned = dict(DOC_PUSH)
    with pytest.raises(Unauthorized):
        eleme.verify(unsigned, APP)


def test_the_fakes_pushes_verify_and_its_forgeries_do_not():
    with FakeEleme(app_id=APP.app_id) as fake:  # only builds pushes here; its shop authorization is not called
        config = ElemeConfig(fake.app_id, fake.secret)
        push = fake.new_order("968861", [{"extend_code": "prd_1", "quantity": 1, "price": 1890}], ADDRESS)
    eleme.verify(json.loads(push.body), config)
    for forged in (fake.forged(push), fake.tampered(push, shopId=1)):
        with pytest.raises(Unauthorized):
            eleme.verify(json.loads(forged.body), config)


# --- the type-10 message -------------------------------------------------------------------------------------


def test_a_new_order_maps_to_an_external_order():
    order = eleme.to_external(message())
    assert (order.channel, order.external_id, order.shop_id) == ("eleme", "1200896812087498063", "968861")
    assert order.customer_ref == "user-62864532"
    assert [(line.product_id, line.quantity, line.unit_price, line.line_total) for line in order.lines] == [
        ("prd_shengjian", 2, 1810, 3620),
        (None, 1, 0, 0),
    ], "goods groups only; an item without a code names no product"
    assert (order.delivery_fee, order.total) == (510, 4130)
    assert (order.address.lat, order.address.lng) == (31.2304, 121.4737), "deliveryGeo is lng,lat"
    assert order.address.contact_phone == "+8613800000301"
    assert order.scheduled_for == datetime(2030, 5, 1, 4, 30, tzinfo=UTC), "Ele.me's times are Beijing time"
    assert order.note == "少放辣" and order.paid_online


@pytest.mark.parametrize(
    ("written", "fen"),
    [
        ("0.1", 10),
        ("0.3", 30),
        ("18.9", 1890),
        ("18.90", 1890),
        ("5", 500),
        ('"12.34"', 1234),
        ("1234567.89", 123456789),
    ],
)
def test_yuan_become_fen_exactly(written, fen):
    parsed = eleme.json_object(MESSAGE.replace('"totalPrice": 41.3', f'"totalPrice": {written}'), "message")
    assert eleme.to_external(parsed).total == fen


def test_an_asap_order_from_an_unknown_buyer():
    order = eleme.to_external(message(deliverTime=None, userId=None, description=""))
    assert order.scheduled_for is None and order.note is None
    assert order.customer_ref == "order-1200896812087498063"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("13800138000,1234", "+8613800138000,1234"),
        ("13800138000_1234", "+8613800138000,1234"),
        ("021-63218888", "021-63218888"),
    ],
)
def test_phones_are_e164_where_they_are_mobiles(raw, e164):
    assert eleme.phone(raw) == e164


@pytest.mark.parametrize(
    "change",
    [
        {"deliveryGeo": "31.2304,121.4737"},  # lat,lng swapped: latitude 121 is nowhere
        {"deliveryGeo": "121.4737"},
        {"totalPrice": "41.333"},  # no such amount in yuan
        {"deliverFee": "-1"},
        {"phoneList": []},
        {"groups": []},
        {"groups": [{"type": "normal", "items": [{"name": "x", "quantity": 0, "price": "1", "extendCode": "p"}]}]},
        {"groups": [{"type": "extra", "items": [{"name": "餐盒", "quantity": 1, "price": "1"}]}]},  # nothing ordered
        {"consignee": None},
    ],
)
def test_a_message_without_what_an_order_needs_is_refused(change):
    with pytest.raises(Unprocessable) as refused:
        eleme.to_external(message(**change))
    assert refused.value.code == "INVALID_MESSAGE"
    assert refused.value.details["errors"]


@pytest.mark.parametrize("text", ["", "[]", "not json", '"a string"', None, '{"a": ' + "[" * 100_000])  # too deep
def test_a_body_that_is_not_a_json_object_is_refused(text):
    if not text:
        assert eleme.json_object(text, "push") == {}, "an empty push is Ele.me checking the URL"
        return
    with pytest.raises(Unprocessable):
        eleme.json_object(text, "push")


def test_a_cancellation_says_why_or_who():
    assert eleme.cancel_reason({"orderId": "1", "role": 1}) == "cancelled on Ele.me by the customer"
    assert eleme.cancel_reason({"orderId": "1", "role": 99}) == "cancelled on Ele.me by Ele.me"
    assert eleme.cancel_reason({"orderId": "1", "reason": "商家缺货"}) == "商家缺货"
