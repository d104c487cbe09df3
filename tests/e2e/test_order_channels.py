"""Intake channels over HTTP (docs/adr/0010): a phone order the merchant enters and an order Ele.me pushes (through
the local Ele.me fake), each taken, paid, confirmed and delivered by a seeded rider."""

from __future__ import annotations

import uuid

import pytest

from paotui_local.harness import HAPPY_PATH, Cloud, User, take_offer, wait_for

pytestmark = pytest.mark.e2e

ELEME_SHOP = "968861"
NEW_CUSTOMER = "+8613800000388"  # not in the fixture: the phone order makes them a customer
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def rider_picks_up(cloud: Cloud, seed: dict, order_id: str) -> User:
    """A seeded rider gets the offer, accepts it and takes the order through 取餐中 to 配送中."""
    rider = take_offer((cloud.login(spec["phone"]) for spec in seed["riders"]), order_id)
    rider.pick_up(order_id)
    return rider


def stock_of(cloud: Cloud, merchant_id: str, product_id: str) -> int:
    return next(p["stock"] for p in cloud.get(f"/merchants/{merchant_id}/products").json() if p["id"] == product_id)


def test_a_phone_order_goes_from_the_merchants_console_to_the_door(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    product = merchant["products"][0]
    owner = cloud.login(merchant["phone"])
    address = {**seed["customers"][0]["address"], "contact_name": "周先生", "contact_phone": NEW_CUSTOMER}
    stock_before = stock_of(cloud, merchant["id"], product["id"])

    body = {
        "channel": "phone",
        "payment": "cash_on_delivery",
        "items": [{"product_id": product["id"], "quantity": 2}],
        "address": address,
        "note": "电话下单",
    }
    key = uuid.uuid4().hex
    placed = owner.post(f"/merchants/{merchant['id']}/orders", json=body, headers={"Idempotency-Key": key})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["status"], order["channel"]) == ("PAID", "phone")
    assert order["amounts"]["items_total"] == 2 * product["price"]
    assert order["amounts"]["collect_on_delivery"] == order["amounts"]["total"], "the rider collects the cash"
    again = owner.post(f"/merchants/{merchant['id']}/orders", json=body, headers={"Idempotency-Key": key})
    assert (again.status_code, again.json()["id"], again.headers["Idempotent-Replayed"]) == (201, order["id"], "true")

    wait_for(lambda: stock_of(cloud, merchant["id"], product["id"]) == stock_before - 2, what="stock committed")
    confirmed = owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"})
    assert confirmed.status_code == 200, confirmed.text
    rider = rider_picks_up(cloud, seed, order["id"])
    rider.hand_over(order["id"], code=cloud.texted_delivery_code(NEW_CUSTOMER, order["id"]))  # no app: an SMS

    customer = cloud.login(NEW_CUSTOMER)
    assert customer.id == order["customer_id"], "the phone's new account owns the order"
    final = customer.order(order["id"])
    assert [entry["status"] for entry in final["timeline"]] == HAPPY_PATH
    assert final["timeline"][1]["reason"] == "cash on delivery"

    def collected() -> dict | None:  # SettlementWorker puts the cash the rider took on the rider's balance
        return next((m for m in rider.get("/riders/me/cash").json()["moves"] if m["order_id"] == order["id"]), None)

    assert wait_for(collected, what="the cash on the rider's balance")["amount"] == order["amounts"]["total"]
    held = rider.get("/riders/me/cash").json()["held"]
    admin = cloud.login(seed["admin"]["phone"])
    handed = admin.post(
        f"/admin/riders/{rider.id}/cash-handins",
        json={"amount": held, "note": "站点收款"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert (handed.status_code, handed.json()["held"]) == (201, 0), handed.text
    assert rider.get("/riders/me/cash").json()["held"] == 0


def test_an_ele_me_order_goes_from_the_push_to_the_door(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    product = merchant["products"][1]
    owner = cloud.login(merchant["phone"])
    started = owner.post(f"/merchants/{merchant['id']}/channels/eleme/authorizations")
    assert started.status_code == 201, started.text
    back = cloud.eleme_grant(started.json()["authorize_url"], {ELEME_SHOP: merchant["name"]})
    granted = cloud.http.get(back, timeout=15)  # the owner's browser, sent back by Ele.me: no token
    assert granted.status_code == 200, granted.text
    assert [(shop["shop_id"], shop["proof"]) for shop in granted.json()["shops"]] == [(ELEME_SHOP, "granted")]
    stock_before = stock_of(cloud, merchant["id"], product["id"])

    items = [{"extend_code": product["id"], "quantity": 1, "price": product["price"], "name": product["name"]}]
    pushed = cloud.eleme_order(ELEME_SHOP, items, seed["customers"][1]["address"], deliver_fee=400)
    assert pushed["acknowledged"], pushed

    def taken():
        mine = owner.get("/orders", params={"role": "merchant", "merchant_id": merchant["id"]}).json()["items"]
        return next((o for o in mine if o.get("external_id") == pushed["eleme_order_id"]), None)

    order = wait_for(taken, what="the Ele.me order in the merchant's list")
    assert (order["status"], order["channel"]) == ("PAID", "eleme")
    assert order["amounts"] == {
        **order["amounts"],
        "items_total": product["price"],
        "delivery_fee": 400,
        "total": product["price"] + 400,
        "collect_on_delivery": 0,
    }
    wait_for(lambda: stock_of(cloud, merchant["id"], product["id"]) == stock_before - 1, what="stock committed")

    confirmed = owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"})
    assert confirmed.status_code == 200, confirmed.text
    rider = rider_picks_up(cloud, seed, order["id"])
    rider.hand_over(order["id"], photo=JPEG)  # Ele.me's customer never sees our 收货码: a photo proves it
    final = owner.get(f"/orders/{order['id']}").json()
    assert final["status"] == "DELIVERED" and final["rider_id"] == rider.id
    assert final["timeline"][1] == {**final["timeline"][1], "status": "PAID", "reason": "paid on eleme"}
