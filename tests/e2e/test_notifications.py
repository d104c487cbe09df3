"""Notifications over HTTP: a WeChat customer hears by subscribe message, a customer without WeChat by SMS, and the
merchant reads its console alerts."""

from __future__ import annotations

import pytest

from paotui_local.harness import wait_for

pytestmark = pytest.mark.e2e

OPENID = "oE2EsubscribeCustomer01"
WECHAT_CONTACT = "+8613800000777"


def test_customers_merchant_and_console_each_hear_their_way(cloud):
    seed = cloud.seed()
    shop = seed["merchants"][0]
    line = [{"product_id": shop["products"][0]["id"], "quantity": 1}]
    address = seed["customers"][0]["address"]
    owner = cloud.login(shop["phone"])
    by_wechat = cloud.login_with_wechat(OPENID)
    by_phone = cloud.login(seed["customers"][0]["phone"])

    first = by_wechat.place_order(shop["id"], line, {**address, "contact_phone": WECHAT_CONTACT}).json()
    second = by_phone.place_order(shop["id"], line, address).json()
    for customer, order in ((by_wechat, first), (by_phone, second)):
        paid = customer.post(f"/orders/{order['id']}/pay", json={"channel": "sandbox"})
        assert paid.status_code == 200, paid.text
    assert owner.post(f"/orders/{first['id']}/transitions", json={"to": "CONFIRMED"}).status_code == 200
    assert by_phone.post(f"/orders/{second['id']}/cancel", json={"reason": "买错了"}).status_code == 200

    def subscribe_messages():
        about = [m for m in cloud.outbox(OPENID) if first["id"] in (m["data"].get("page") or "")]
        return about if {m["title"] for m in about} >= {"已支付", "商家已接单"} else None

    messages = wait_for(subscribe_messages, what="the WeChat customer's subscribe messages")
    assert {m["channel"] for m in messages} == {"wechat"}
    assert messages[0]["data"]["character_string1"] == first["id"][-6:].upper()
    assert not [m for m in cloud.outbox(WECHAT_CONTACT) if m["channel"] == "sms"], "nothing texted to them"

    def texts():
        about = [m for m in cloud.outbox(address["contact_phone"]) if m["data"].get("order_id") == second["id"]]
        return about if {m["data"]["kind"] for m in about} >= {"PAID", "CANCELLED"} else None

    cancelled = next(m for m in wait_for(texts, what="the SMS customer's texts") if m["data"]["kind"] == "CANCELLED")
    assert cancelled["channel"] == "sms" and "您取消了订单" in cancelled["body"]

    def console():
        items = owner.get(f"/merchants/{shop['id']}/alerts").json()["items"]
        kinds = {(item["data"]["order_id"], item["data"]["kind"]) for item in items if "order_id" in item["data"]}
        wanted = {(first["id"], "PAID"), (second["id"], "PAID"), (second["id"], "CANCELLED")}
        return items if kinds >= wanted else None

    items = wait_for(console, what="the merchant's console alerts")
    assert not any(item["read"] for item in items)
    read = owner.post(f"/merchants/{shop['id']}/alerts/read", json={"up_to": items[0]["sent_at"]})
    assert read.status_code == 200, read.text
    assert all(item["read"] for item in owner.get(f"/merchants/{shop['id']}/alerts").json()["items"])
    assert by_phone.get(f"/merchants/{shop['id']}/alerts").status_code == 403
