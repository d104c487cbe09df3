"""A rider's shift over HTTP, as the rider app walks it: register the phone for pushes, go on duty, get two orders
of one store as one bundle (pushed, in the inbox), accept both, follow the route and its map links, pick up at the
store, report positions the customer sees as a track, hand each order over with the customer's 收货码, and find the
pay for each delivery once in the day's statement and KPIs. Riders off duty meanwhile are never offered anything."""

from __future__ import annotations

from datetime import datetime

import pytest

from paotui.platform.clock import CHINA
from paotui_local.harness import wait_for

pytestmark = pytest.mark.e2e


def test_a_shift_of_two_bundled_orders_from_offer_to_pay(cloud):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][0], seed["customers"][0]
    customer, owner = cloud.login(spec["phone"]), cloud.login(merchant["phone"])
    worker, *off_duty = [cloud.login(rider["phone"]) for rider in seed["riders"]]
    for rider in (worker, *off_duty):
        assert rider.put("/riders/me/availability", json={"state": "offline"}).status_code == 200
    device = worker.post("/riders/me/devices", json={"platform": "fcm", "token": "shift-phone-" + "f" * 40})
    assert device.status_code == 201, device.text

    order_ids = []
    for product in merchant["products"][:2]:
        placed = customer.place_order(merchant["id"], [{"product_id": product["id"], "quantity": 1}], spec["address"])
        assert placed.status_code == 201, placed.text
        order_ids.append(placed.json()["id"])
        assert customer.post(f"/orders/{order_ids[-1]}/pay", json={"channel": "sandbox"}).status_code == 200
        assert owner.post(f"/orders/{order_ids[-1]}/transitions", json={"to": "CONFIRMED"}).status_code == 200
    # nobody on duty: both orders wait in their zone's pool (joined on confirmation or the watchdog's next round)
    wait_for(lambda: set(order_ids) <= cloud.pooled(), what="both orders in their zone's pool", timeout=30)

    on_duty = worker.put("/riders/me/availability", json={"state": "online"})
    assert (on_duty.status_code, on_duty.json()["state"]) == (200, "online")

    def bundle():
        offers = [offer for offer in worker.offers() if offer["order_id"] in order_ids]
        return offers if len(offers) == 2 else None

    offers = wait_for(bundle, what="both orders offered to the rider on duty", timeout=40)
    assert len({offer["bundle_id"] for offer in offers}) == 1 and {offer["bundle_size"] for offer in offers} == {2}
    for offer in offers:
        accepted = worker.post(f"/offers/{offer['id']}/accept")
        assert (accepted.status_code, accepted.json()["status"]) == (200, "ASSIGNED"), accepted.text

    # each offer was pushed, and the push is in the rider's inbox
    inbox = worker.get("/riders/me/inbox").json()["items"]
    assert {offer["id"] for offer in offers} <= {item["data"].get("offer_id") for item in inbox}

    # the route: one stop at the store for both, then the two doors; every stop opens in three map apps
    route = worker.get("/riders/me/route")
    assert route.status_code == 200, route.text
    stops = route.json()["stops"]
    assert [stop["kind"] for stop in stops] == ["pickup", "dropoff", "dropoff"]
    assert sorted(stops[0]["order_ids"]) == sorted(order_ids)
    assert [stop["eta"] for stop in stops] == sorted(stop["eta"] for stop in stops)
    links = stops[0]["links"]
    assert links["amap"]["app"].startswith("amapuri://route/plan/")
    assert links["tencent"]["app"].startswith("qqmap://map/routeplan")
    assert links["baidu"]["app"].startswith("baidumap://map/direction") and "coord_type=bd09ll" in links["baidu"]["app"]
    assert worker.order(order_ids[0])["navigation"]["target"] == "pickup"

    for order_id in order_ids:
        assert worker.pick_up(order_id)["status"] == "DELIVERING"
    assert worker.order(order_ids[0])["navigation"]["target"] == "dropoff"

    # on the way: a position the customer sees on the order's track
    shop = merchant["location"]
    step = {"lat": shop["lat"] + 0.3 * (spec["address"]["lat"] - shop["lat"]), "lng": shop["lng"]}
    reported = worker.put("/riders/me/location", json={"points": [{**step, "at": datetime.now(CHINA).isoformat()}]})
    assert (reported.status_code, reported.json()["accepted"]) == (200, 1), reported.text
    track = customer.get(f"/orders/{order_ids[0]}/track").json()["points"]
    assert [(round(p["lat"], 6), round(p["lng"], 6), p["suspect"]) for p in track][-1] == (
        round(step["lat"], 6),
        round(step["lng"], 6),
        False,
    )

    for order_id in order_ids:
        code = customer.order(order_id)["delivery_code"]
        assert worker.order(order_id).get("delivery_code") is None  # the rider learns it only from the customer
        assert worker.hand_over(order_id, code=code)["status"] == "DELIVERED"

    # pay: each delivery's lines once, and the day's KPIs count both
    delivered_at = customer.order(order_ids[-1])["timeline"][-1]["at"]
    day = f"{datetime.fromisoformat(delivered_at.replace('Z', '+00:00')).astimezone(CHINA):%Y-%m-%d}"

    def base_lines():
        statement = worker.get("/riders/me/earnings", params={"from": day, "to": day}).json()
        lines = [line for d in statement["days"] for line in d["lines"] if line["kind"] == "base"]
        return lines if len(lines) >= 2 else None

    lines = wait_for(base_lines, what="the shift's earnings")
    fees = {offer["order_id"]: offer["fee"] for offer in offers}
    assert sorted((line["order_id"], line["amount"]) for line in lines) == sorted(fees.items())

    def day_kpis():
        kpis = worker.get("/riders/me/kpis", params={"period": "day", "date": day}).json()
        return kpis if kpis["delivered"] == 2 else None

    kpis = wait_for(day_kpis, what="the day's KPIs")
    assert (kpis["offers_accepted"], kpis["completion_rate"]) == (2, 1.0)

    # riders off duty all along were offered nothing, by list or by push
    for rider in off_duty:
        assert rider.offers() == []
        assert not [m for m in cloud.outbox(rider.id) if (m.get("data") or {}).get("type") == "offer"]
