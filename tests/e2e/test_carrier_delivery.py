"""Delivery by Dada over HTTP (docs/adr/0012): a merchant switches to Dada, a customer orders and pays, the merchant
confirms, and the local Dada fake carries the order to the door while our riders are never offered it."""

from __future__ import annotations

import pytest

from paotui_local.harness import wait_for

pytestmark = pytest.mark.e2e

DADA_TEST_SHOP = {"shop_no": "11047059", "city_code": "021"}  # the local fake's, as in Dada's test environment


def test_a_dada_merchants_order_is_carried_by_dada_to_the_door(cloud):
    seed = cloud.seed()
    merchant, customer_spec = seed["merchants"][0], seed["customers"][0]
    owner = cloud.login(merchant["phone"])
    settings = owner.get(f"/merchants/{merchant['id']}/delivery").json()
    by_dada = {**settings, "mode": "carrier", "carrier": "dada", "carrier_shop": DADA_TEST_SHOP}
    switched = owner.put(f"/merchants/{merchant['id']}/delivery", json=by_dada)
    assert switched.status_code == 200, switched.text
    assert switched.json()["carrier_shop"] == DADA_TEST_SHOP

    customer = cloud.login(customer_spec["phone"])
    order_id = customer.confirmed_order(merchant, customer_spec["address"])

    handed = wait_for(
        lambda: (o := customer.order(order_id))["carrier"] and o["carrier"]["handed_over_at"] and o,
        what="the order handed over to Dada",
    )
    assert (handed["status"], handed["rider_id"], handed["carrier"]["name"]) == ("CONFIRMED", None, "dada")

    for code, status in ((2, "ASSIGNED"), (100, "PICKING_UP"), (3, "DELIVERING")):
        moved = cloud.dada_status(order_id, code)
        assert moved["acknowledged"], moved
        assert customer.order(order_id)["status"] == status
    delivering = customer.order(order_id)
    assert delivering["carrier"]["status"] == 3 and delivering["carrier"]["rider"]["name"]
    position = delivering["rider_position"]
    assert position is not None, "the customer sees where Dada's rider is"
    shop, home = merchant["location"], customer_spec["address"]
    assert min(shop["lat"], home["lat"]) <= position["lat"] <= max(shop["lat"], home["lat"])

    forged = cloud.dada_status(order_id, 4, forged=True)
    assert (forged["acknowledged"], forged["answer"]["status"]) == (False, 401)
    assert customer.order(order_id)["status"] == "DELIVERING"

    assert cloud.dada_status(order_id, 4)["acknowledged"]
    final = customer.order(order_id)
    assert final["status"] == "DELIVERED" and final["rider_position"] is None
    assert [(entry["status"], entry["by"]) for entry in final["timeline"]][-4:] == [
        ("ASSIGNED", "carrier:dada"),
        ("PICKING_UP", "carrier:dada"),
        ("DELIVERING", "carrier:dada"),
        ("DELIVERED", "carrier:dada"),
    ]

    for rider in seed["riders"]:  # the watchdog's re-dispatches included
        offered = [m for m in cloud.outbox(rider["id"]) if (m.get("data") or {}).get("order_id") == order_id]
        assert offered == [], f"{rider['id']} was offered a Dada order"
        assert order_id not in [offer["order_id"] for offer in cloud.login(rider["phone"]).offers()]
