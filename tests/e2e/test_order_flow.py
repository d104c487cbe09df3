"""The core flow over HTTP: a customer orders, pays, the merchant confirms, a rider delivers; the operators' and
the merchant's analytics count it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from paotui.platform.clock import CHINA
from paotui_local.harness import HAPPY_PATH, wait_for

pytestmark = pytest.mark.e2e


def around_today() -> dict[str, str]:
    """Yesterday to tomorrow, China time: analytics ranges that hold the test's moves whatever the hour."""
    today = datetime.now(CHINA).date()
    return {"from": f"{today - timedelta(days=1)}", "to": f"{today + timedelta(days=1)}"}


def test_order_is_delivered_end_to_end(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    customer_spec = seed["customers"][0]
    address = customer_spec["address"]

    customer = cloud.login(customer_spec["phone"])
    merchant_user = cloud.login(merchant["phone"])
    riders = {spec["id"]: cloud.login(spec["phone"]) for spec in seed["riders"]}
    admin = cloud.login(seed["admin"]["phone"])
    reports = {
        "platform": lambda: admin.get("/admin/analytics", params=around_today()),
        "merchant": lambda: merchant_user.get(f"/merchants/{merchant['id']}/analytics", params=around_today()),
    }
    before = {name: report().json()["totals"] for name, report in reports.items()}

    nearby = cloud.get("/merchants", params={"lat": address["lat"], "lng": address["lng"]}).json()
    assert merchant["id"] in [m["id"] for m in (nearby["items"] if isinstance(nearby, dict) else nearby)]
    products = cloud.get(f"/merchants/{merchant['id']}/products").json()
    product = next(p for p in products if p["id"] == merchant["products"][0]["id"])
    stock_before = product["stock"]

    quote = cloud.http.post(
        cloud.url("/quotes"),
        json={
            "merchant_id": merchant["id"],
            "items": [{"product_id": product["id"], "quantity": 2}],
            "address": {"lat": address["lat"], "lng": address["lng"]},
        },
        timeout=15,
    ).json()
    assert quote["items_total"] == 2 * product["price"]
    assert quote["total"] == quote["items_total"] + quote["delivery_fee"]

    placed = customer.place_order(merchant["id"], [{"product_id": product["id"], "quantity": 2}], address)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "PENDING_PAYMENT"
    assert order["amounts"] == {**order["amounts"], **{k: quote[k] for k in ("items_total", "delivery_fee", "total")}}
    assert order["amounts"]["collect_on_delivery"] == 0, "paid online: nothing to collect at the door"

    paid = customer.post(f"/orders/{order['id']}/pay", json={"channel": "sandbox"})
    assert paid.status_code == 200, paid.text
    assert customer.order(order["id"])["status"] == "PAID"

    confirmed = merchant_user.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"})
    assert confirmed.status_code == 200, confirmed.text

    def offered_rider():
        for rider_id, rider in riders.items():
            offers = [o for o in rider.offers() if o["order_id"] == order["id"]]
            if offers:
                return rider_id, offers[0]
        return None

    rider_id, offer = wait_for(offered_rider, what="an offer to a rider")
    # the three seeded riders stand within 350 m of the store and each would be there before the food is ready,
    # so the engine may send any of them (a rider's waiting counts as much as their driving: docs/benchmarks.md)
    offered = [rid for rid, r in riders.items() for o in r.offers() if o["order_id"] == order["id"]]
    assert offered == [rider_id], "one rider at a time is offered the order"
    assert offer["fee"] == order["amounts"]["delivery_fee"]
    pushes = wait_for(lambda: [m for m in cloud.outbox(rider_id) if m["channel"] == "push"], what="offer push")
    assert pushes[0]["data"]["order_id"] == order["id"]

    rider = riders[rider_id]
    accepted = rider.post(f"/offers/{offer['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "ASSIGNED"
    assert accepted.json()["rider_id"] == rider_id

    assert rider.pick_up(order["id"])["status"] == "DELIVERING"
    code = customer.order(order["id"])["delivery_code"]  # the customer tells the rider at the door
    assert rider.hand_over(order["id"], code=code)["status"] == "DELIVERED"

    final = customer.order(order["id"])
    assert [entry["status"] for entry in final["timeline"]] == HAPPY_PATH

    after = next(p for p in cloud.get(f"/merchants/{merchant['id']}/products").json() if p["id"] == product["id"])
    assert after["stock"] == stock_before - 2, "the two sold items stay out of stock"
    assert order["id"] in [o["id"] for o in customer.get("/orders", params={"role": "customer"}).json()["items"]]
    assert order["id"] in [o["id"] for o in rider.get("/orders", params={"role": "rider"}).json()["items"]]
    assert order["id"] in [o["id"] for o in merchant_user.get("/orders", params={"role": "merchant"}).json()["items"]]

    for name, report in reports.items():  # AnalyticsWorker counts from the events, a moment later
        earlier = before[name]
        totals = wait_for(
            lambda report=report, earlier=earlier: (
                t if (t := report().json()["totals"])["delivered"] == earlier["delivered"] + 1 else None
            ),
            what=f"the delivery in the {name}'s analytics",
        )
        assert totals["orders"] == earlier["orders"] + 1, name
        assert totals["gmv"] == earlier["gmv"] + order["amounts"]["total"], name
        assert (totals["confirmed"], totals["assigned"]) == (earlier["confirmed"] + 1, earlier["assigned"] + 1), name
        assert totals["click_to_door_minutes_mean"] is not None


def test_a_confirmed_order_is_cancelled_only_with_the_merchants_consent_and_refunded(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][1]
    customer_spec = seed["customers"][1]
    customer = cloud.login(customer_spec["phone"])
    owner = cloud.login(merchant["phone"])
    order_id = customer.confirmed_order(merchant, customer_spec["address"])

    asked = customer.post(f"/orders/{order_id}/cancel", json={"reason": "临时有事"})
    assert asked.status_code == 202, asked.text
    assert (asked.json()["status"], asked.json()["cancel_request"]["status"]) == ("CONFIRMED", "PENDING")
    pending = owner.get("/orders", params={"role": "merchant", "status": "CONFIRMED"}).json()["items"]
    assert order_id in [o["id"] for o in pending]

    approved = owner.post(f"/orders/{order_id}/cancel-request", json={"approve": True})
    assert approved.status_code == 200 and approved.json()["status"] == "CANCELLED", approved.text
    refunded = wait_for(
        lambda: (o := customer.order(order_id)).get("refund") and o["refund"]["status"] == "REFUNDED" and o,
        what="the refund of the cancelled order",
    )
    assert refunded["refund"]["refunded"] == refunded["amounts"]["total"]
    assert refunded["cancel_request"]["status"] == "APPROVED"
