"""A full rider who delivers is offered the order that waited meanwhile at once, over HTTP.

Three orders wait in their zone's pool while nobody is on duty; one rider comes online, is offered them as one trip
and takes them: their capacity. A fourth order, confirmed then, finds nobody and waits. Each order the rider hands
over sends its ``order.status_changed`` (DELIVERED) to DispatchWorker, which plans the zones around the rider again;
once their route ends soon enough (the engine plans a busy rider only up to ``queue_horizon`` ahead), the waiting
order is theirs. The cloud's offers wait a minute, so the order's watchdog does not ask again within the test: the
offer can only come from the deliveries.
"""

from __future__ import annotations

import time

import pytest

from paotui_local.harness import User, wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e

OFFER_TTL_SECONDS = 60


cloud = module_cloud({"OFFER_TTL_SECONDS": str(OFFER_TTL_SECONDS)})


def test_a_full_rider_who_delivers_is_offered_the_order_that_waited_meanwhile(cloud):
    seed = cloud.seed()
    merchant, customer_spec = seed["merchants"][0], seed["customers"][0]
    customer, owner = cloud.login(customer_spec["phone"]), cloud.login(merchant["phone"])
    rider, *others = [cloud.login(spec["phone"]) for spec in seed["riders"]]
    for other in others:  # one rider on duty in the test
        assert other.put("/riders/me/availability", json={"online": False}).status_code == 200

    def confirmed_order() -> str:
        placed = customer.place_order(
            merchant["id"], [{"product_id": merchant["products"][1]["id"], "quantity": 1}], customer_spec["address"]
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        assert customer.post(f"/orders/{order_id}/pay", json={"channel": "sandbox"}).status_code == 200
        assert owner.post(f"/orders/{order_id}/transitions", json={"to": "CONFIRMED"}).status_code == 200
        return order_id

    assert rider.put("/riders/me/availability", json={"online": False}).status_code == 200
    carried = [confirmed_order() for _ in range(3)]
    wait_for(lambda: set(carried) <= cloud.pooled() and cloud.dispatch_idle(), what="three orders pooled")
    assert rider.put("/riders/me/availability", json={"online": True}).status_code == 200
    for order_id in carried:
        offer = wait_for(lambda order_id=order_id: offer_of(rider, order_id), what="an offer to the rider")
        assert rider.post(f"/offers/{offer['id']}/accept").status_code == 200
    waiting = confirmed_order()
    confirmed_at = time.monotonic()
    wait_for(lambda: waiting in cloud.pooled() and cloud.dispatch_idle(), what="the order pooled, its round over")
    assert offer_of(rider, waiting) is None, "full: the rider's three orders are their capacity"

    for order_id in carried:
        assert rider.pick_up(order_id)["status"] == "DELIVERING"
    for order_id in carried:
        assert rider.hand_over(order_id, code=customer.order(order_id)["delivery_code"])["status"] == "DELIVERED"

    offer = wait_for(lambda: offer_of(rider, waiting), what="the waiting order offered to the freed rider")
    assert time.monotonic() - confirmed_at < OFFER_TTL_SECONDS, "before the order's watchdog could ask again"
    assert rider.post(f"/offers/{offer['id']}/accept").status_code == 200
    assert customer.order(waiting)["rider_id"] == rider.id


def offer_of(rider: User, order_id: str) -> dict | None:
    return next((offer for offer in rider.offers() if offer["order_id"] == order_id), None)
