"""Batch dispatch over HTTP: three orders from one store and two riders make one bundle for the nearer rider.

The orders wait in their zone's pool while nobody is on duty. The riders come online only once no dispatch run is
under way, in a cloud whose offers wait 20 s, so no watchdog asks again meanwhile: the rounds that see them are the
ones their coming online asks for (``rider.online``), each started after the near rider is on duty. A round already
reading riders as they came online could see the far rider and miss the near one (it reads the rings of cells
around the store one after another), and would rightly offer the far rider the orders: a race of the set-up, not
what this test is about.
"""

from __future__ import annotations

import pytest

from paotui_local.harness import wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e

OFFER_TTL_SECONDS = 20


cloud = module_cloud({"OFFER_TTL_SECONDS": str(OFFER_TTL_SECONDS)})


def described(offers: list[dict]) -> list[tuple]:
    return sorted((o["order_id"], o["bundle_id"], o["bundle_size"], o["status"], o["expires_at"]) for o in offers)


def test_three_orders_from_one_store_go_to_one_rider_as_one_bundle(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    customer_spec = seed["customers"][0]
    customer = cloud.login(customer_spec["phone"])
    owner = cloud.login(merchant["phone"])
    riders = [cloud.login(spec["phone"]) for spec in seed["riders"]]
    for rider in riders:  # nobody to dispatch to while the orders come in: they wait in the zone's pool
        assert rider.put("/riders/me/availability", json={"online": False}).status_code == 200

    order_ids = []
    for _ in range(3):
        placed = customer.place_order(
            merchant["id"], [{"product_id": merchant["products"][1]["id"], "quantity": 1}], customer_spec["address"]
        )
        assert placed.status_code == 201, placed.text
        order_ids.append(placed.json()["id"])
        assert customer.post(f"/orders/{order_ids[-1]}/pay", json={"channel": "sandbox"}).status_code == 200
        assert owner.post(f"/orders/{order_ids[-1]}/transitions", json={"to": "CONFIRMED"}).status_code == 200

    # each order joins its zone's pool as its confirmation's run starts; once every run has finished, nothing
    # dispatches until a rider comes online or the watchdog asks again, an offer wait after each confirmation
    wait_for(
        lambda: set(order_ids) <= cloud.pooled() and cloud.dispatch_idle(),
        what="all three orders in their zone's pool, their first rounds over",
        timeout=30,
    )
    near, far = riders[0], riders[2]
    shop = merchant["location"]
    far_away = {"lat": shop["lat"] - 0.018, "lng": shop["lng"]}  # about 2 km south
    assert far.put("/riders/me/location", json=far_away).status_code == 200
    for rider in (near, far):
        assert rider.put("/riders/me/availability", json={"online": True}).status_code == 200

    def bundle():
        offers = [o for o in near.offers() if o["order_id"] in order_ids]
        return offers if len(offers) == 3 else None

    offers = wait_for(bundle, what="one rider offered all three orders", timeout=OFFER_TTL_SECONDS / 2)
    one_bundle = len({offer["bundle_id"] for offer in offers}) == 1 and {o["bundle_size"] for o in offers} == {3}
    assert one_bundle, described(offers)
    assert not [o for o in far.offers() if o["order_id"] in order_ids], described(far.offers())
    for offer in offers:
        accepted = near.post(f"/offers/{offer['id']}/accept")
        assert accepted.status_code == 200, (accepted.text, described(near.offers()))
    assert {customer.order(order_id)["rider_id"] for order_id in order_ids} == {near.id}
