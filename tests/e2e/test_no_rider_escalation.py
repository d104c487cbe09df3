"""No rider takes an order, over HTTP with escalation's thresholds in seconds: the offer goes to riders far away
with a bonus on their fee, then operations are paged and the customer is told a new ETA, and dispatch goes on until
a rider takes it; a merchant that allows it has Dada take such an order instead."""

from __future__ import annotations

import pytest

from paotui_local.fakes.dada import TEST_SHOP
from paotui_local.harness import Cloud, User, take_offer, wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e

ESCALATION = {
    # by time alone (nobody near is offered anything, so offers don't pile up): widen and pay a bonus after 3 s,
    # the carrier after 6 s, operations after 10 s; the watchdog asks again every offer TTL (E2E_TIMERS: 6 s)
    **{f"ESCALATION_{step}_AFTER_OFFERS": "1000" for step in ("WIDEN", "BONUS", "CARRIER", "OPERATIONS")},
    "ESCALATION_WIDEN_AFTER_SECONDS": "3",
    "ESCALATION_BONUS_AFTER_SECONDS": "3",
    "ESCALATION_CARRIER_AFTER_SECONDS": "6",
    "ESCALATION_OPERATIONS_AFTER_SECONDS": "10",
}
NORTH_6_KM = 0.054  # degrees of latitude: nine rings of H3 cells out, past the usual search, within the widened one


cloud = module_cloud(ESCALATION)


def stand_by(rider: User, at: dict | None = None, *, online: bool = True) -> None:
    """Off duty, moved to ``at`` (off duty a rider may have gone anywhere), then on duty if ``online``."""
    assert rider.put("/riders/me/availability", json={"online": False}).status_code == 200
    if at is not None:
        assert rider.put("/riders/me/location", json=at).status_code == 200
    if online:
        assert rider.put("/riders/me/availability", json={"online": True}).status_code == 200


def confirmed_order(cloud: Cloud, merchant: dict, customer_spec: dict) -> tuple[User, str]:
    customer = cloud.login(customer_spec["phone"])
    return customer, customer.confirmed_order(merchant, customer_spec["address"])


def test_an_order_nobody_near_takes_goes_far_with_a_bonus_then_to_operations_and_on_until_taken(cloud):
    seed = cloud.seed()
    merchant, customer_spec = seed["merchants"][0], seed["customers"][0]
    far, farther, near = (cloud.login(spec["phone"]) for spec in seed["riders"])
    shop = merchant["location"]
    stand_by(far, {"lat": shop["lat"] + NORTH_6_KM, "lng": shop["lng"]})
    stand_by(farther, {"lat": shop["lat"] + NORTH_6_KM + 0.003, "lng": shop["lng"]})
    stand_by(near, online=False)

    customer, order_id = confirmed_order(cloud, merchant, customer_spec)
    fee = customer.order(order_id)["amounts"]["delivery_fee"]

    def offered_far() -> dict | None:
        return next((o for rider in (far, farther) for o in rider.offers() if o["order_id"] == order_id), None)

    offer = wait_for(offered_far, what="an offer to a rider six kilometres away", timeout=30)
    assert offer["distance_m"] > 5_500
    assert offer["bonus"] > 0 and offer["bonus"] % 300 == 0 and offer["fee"] == fee + offer["bonus"]

    admin = cloud.login(seed["admin"]["phone"])

    def incident() -> dict | None:
        listed = admin.get("/admin/incidents")
        assert listed.status_code == 200, listed.text
        return next((i for i in listed.json()["items"] if (i["order_id"], i["kind"]) == (order_id, "no_rider")), None)

    paged = wait_for(incident, what="operations paged about the order", timeout=40)
    assert paged["status"] == "OPEN" and paged["detail"]["eta"]

    def told_new_eta() -> dict | None:
        texts = cloud.outbox(customer_spec["address"]["contact_phone"])
        return next(
            (m for m in texts if m.get("data") == {"type": "order_alert", "order_id": order_id, "kind": "no_rider"}),
            None,
        )

    wait_for(told_new_eta, what="the customer told the new ETA")
    assert customer.order(order_id)["status"] == "CONFIRMED"
    assert len([i for i in admin.get("/admin/incidents").json()["items"] if i["order_id"] == order_id]) == 1

    stand_by(near)  # back on duty next to the store: dispatch is still going, with the last level's bonus
    taken_by = take_offer([near], order_id)
    taken = customer.order(order_id)
    assert (taken["status"], taken["rider_id"], taken_by.id) == ("ASSIGNED", near.id, near.id)


def test_a_merchant_that_allows_it_has_dada_take_an_order_no_rider_took(cloud):
    seed = cloud.seed()
    merchant, customer_spec = seed["merchants"][1], seed["customers"][0]
    owner = cloud.login(merchant["phone"])
    settings = owner.get(f"/merchants/{merchant['id']}/delivery").json()
    fallback = {
        **settings,
        "allow_carrier_fallback": True,
        "carrier": "dada",
        "carrier_shop": {"shop_no": TEST_SHOP, "city_code": "021"},
    }
    saved = owner.put(f"/merchants/{merchant['id']}/delivery", json=fallback)
    assert saved.status_code == 200 and saved.json()["mode"] == "self", saved.text
    riders = [cloud.login(spec["phone"]) for spec in seed["riders"]]

    customer, order_id = confirmed_order(cloud, merchant, customer_spec)
    handed = wait_for(
        lambda: (o := customer.order(order_id))["carrier"] and o["carrier"]["handed_over_at"] and o,
        what="the order handed over to Dada",
        timeout=30,
    )
    assert (handed["status"], handed["rider_id"], handed["carrier"]["name"]) == ("CONFIRMED", None, "dada")
    for rider in riders:  # offers made before the hand-over were withdrawn
        assert order_id not in [offer["order_id"] for offer in rider.offers()]

    assert cloud.dada_status(order_id, 2)["acknowledged"]
    assert customer.order(order_id)["status"] == "ASSIGNED"
