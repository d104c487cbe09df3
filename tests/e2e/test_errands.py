"""Errands over HTTP, each type from the customer's quote to DELIVERED: no merchant anywhere on the way.

A paid errand is confirmed by the platform on payment (docs/adr/0008), then
dispatched from its pick-up to a seeded rider, who is woken by a push.
"""

from __future__ import annotations

import uuid

import pytest

from paotui_local.harness import HAPPY_PATH, User, wait_for

pytestmark = pytest.mark.e2e

SHOP = {"lat": 31.2360, "lng": 121.4800, "detail": "南京东路 300 号", "name": "全家便利店"}
FRIEND = {"lat": 31.2450, "lng": 121.4900, "detail": "北外滩 8 号 1201", "contact_name": "刘先生"}
OFFICE = {"lat": 31.2400, "lng": 121.4700, "detail": "福州路 88 号前台", "contact_name": "周小姐"}


def errand_body(type_: str, home: dict) -> dict:
    """帮送 from home to a friend; 帮买 at a shop near the riders; 帮取 from an office; both back home."""
    contact = {"contact_phone": "+8613800000409"}
    home_contact = {key: home[key] for key in ("contact_name", "contact_phone")}
    bodies = {
        "send": {"item": "一把钥匙", "pickup": {**home, **home_contact}, "dropoff": {**FRIEND, **contact}},
        "buy": {"item": "两瓶农夫山泉 550ml", "pickup": SHOP, "dropoff": home, "goods_estimate": 500},
        "fetch": {"item": "一份合同", "pickup": {**OFFICE, **contact}, "dropoff": home, "weight_g": 300},
    }
    return {"type": type_, **bodies[type_]}


def points(body: dict) -> dict:
    """The quote request for an errand body."""
    quote = {
        "type": body["type"],
        **{end: {"lat": body[end]["lat"], "lng": body[end]["lng"]} for end in ("pickup", "dropoff")},
    }
    return {**quote, **({"weight_g": body["weight_g"]} if "weight_g" in body else {})}


def offered(riders: dict[str, User], order_id: str):
    """(rider id, offer) of the rider the order is offered to, or None yet."""
    for rider_id, rider in riders.items():
        offers = [offer for offer in rider.offers() if offer["order_id"] == order_id]
        if offers:
            return rider_id, offers[0]
    return None


@pytest.mark.parametrize("type_", ["send", "buy", "fetch"])
def test_an_errand_is_delivered_end_to_end(cloud, type_):
    seed = cloud.seed()
    home = seed["customers"][0]["address"]
    customer = cloud.login(seed["customers"][0]["phone"])
    riders = {spec["id"]: cloud.login(spec["phone"]) for spec in seed["riders"]}
    body = errand_body(type_, home)

    quoted = customer.post("/errands/quotes", json=points(body))
    assert quoted.status_code == 200, quoted.text
    quote = quoted.json()
    assert quote["total"] == quote["delivery_fee"] == sum(line["amount"] for line in quote["breakdown"])

    key = uuid.uuid4().hex
    placed = customer.post("/errands", json=body, headers={"Idempotency-Key": key})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["kind"], order["merchant_id"], order["errand"]["type"]) == ("errand", None, type_)
    assert order["amounts"] == {
        **order["amounts"],
        "items_total": 0,
        "delivery_fee": quote["delivery_fee"],
        "total": quote["total"],
        "collect_on_delivery": 0,
    }
    assert customer.post("/errands", json=body, headers={"Idempotency-Key": key}).json()["id"] == order["id"]

    paid = customer.post(f"/orders/{order['id']}/pay", json={"channel": "sandbox"})
    assert paid.status_code == 200, paid.text
    wait_for(lambda: customer.order(order["id"])["status"] == "CONFIRMED", what="the platform's confirmation")

    rider_id, offer = wait_for(lambda: offered(riders, order["id"]), what="an offer to a rider")
    assert (offer["pickup"]["lat"], offer["pickup"]["lng"]) == (body["pickup"]["lat"], body["pickup"]["lng"])
    assert offer["fee"] == order["amounts"]["delivery_fee"]
    pushes = wait_for(
        lambda: [m for m in cloud.outbox(rider_id) if m["data"].get("order_id") == order["id"]], what="offer push"
    )
    assert pushes[0]["channel"] == "push" and pushes[0]["data"]["offer_id"] == offer["id"]

    rider = riders[rider_id]
    accepted = rider.post(f"/offers/{offer['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["rider_id"]) == ("ASSIGNED", rider_id)

    rider.pick_up(order["id"])
    settlement = {"goods_amount": 460} if type_ == "buy" else {}
    rider.hand_over(order["id"], code=customer.order(order["id"])["delivery_code"], **settlement)

    final = customer.order(order["id"])
    assert [entry["status"] for entry in final["timeline"]] == HAPPY_PATH
    assert final["errand"]["goods_amount"] == settlement.get("goods_amount")
    assert order["id"] in [o["id"] for o in customer.get("/orders", params={"role": "customer"}).json()["items"]]
    assert order["id"] in [o["id"] for o in rider.get("/orders", params={"role": "rider"}).json()["items"]]
