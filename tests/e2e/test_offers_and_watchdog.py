"""Time-based behaviour: offers that expire move on; unpaid orders are cancelled with their stock back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from paotui_local.harness import wait_for

pytestmark = pytest.mark.e2e


def _available(cloud, merchant_id, product_id):
    return next(p for p in cloud.get(f"/merchants/{merchant_id}/products").json() if p["id"] == product_id)["stock"]


def test_unpaid_order_is_cancelled_by_the_watchdog_and_stock_returns(cloud):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][1], seed["customers"][0]
    product = merchant["products"][0]
    customer = cloud.login(spec["phone"])
    before = _available(cloud, merchant["id"], product["id"])
    order = customer.place_order(merchant["id"], [{"product_id": product["id"], "quantity": 3}], spec["address"]).json()
    assert _available(cloud, merchant["id"], product["id"]) == before - 3

    timeout = int(cloud.timers["PAYMENT_TIMEOUT_SECONDS"])
    cancelled = wait_for(
        lambda: (o := customer.order(order["id"]))["status"] == "CANCELLED" and o,
        what="the payment timeout",
        timeout=timeout + 15,
    )
    assert cancelled["cancel_reason"] == "payment_timeout"
    assert cancelled["timeline"][-1]["by"] == "watchdog"
    wait_for(lambda: _available(cloud, merchant["id"], product["id"]) == before, what="stock released")
    late = customer.post(f"/orders/{order['id']}/pay", json={"channel": "sandbox"})
    assert late.status_code == 409


def test_expired_offer_moves_to_the_next_rider_and_only_one_rider_wins(cloud):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][0], seed["customers"][1]
    customer = cloud.login(spec["phone"])
    riders = {r["id"]: cloud.login(r["phone"]) for r in seed["riders"]}

    order_id = customer.confirmed_order(merchant, spec["address"])

    def offer_to(exclude=()):
        return next(
            (
                (rid, o)
                for rid, r in riders.items()
                if rid not in exclude
                for o in r.offers()
                if o["order_id"] == order_id
            ),
            None,
        )

    first_rider, first_offer = wait_for(offer_to, what="the first offer")
    ttl = int(cloud.timers["OFFER_TTL_SECONDS"])
    second_rider, second_offer = wait_for(
        lambda: offer_to(exclude={first_rider}), what="the offer to move on", timeout=ttl + 15
    )
    assert second_rider != first_rider
    assert not [o for o in riders[first_rider].offers() if o["order_id"] == order_id], "the expired offer is gone"

    with ThreadPoolExecutor(2) as pool:
        late, fresh = pool.map(
            lambda pair: riders[pair[0]].post(f"/offers/{pair[1]['id']}/accept"),
            [(first_rider, first_offer), (second_rider, second_offer)],
        )
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "OFFER_UNAVAILABLE"
    assert fresh.status_code == 200, fresh.text
    order = customer.order(order_id)
    assert (order["status"], order["rider_id"]) == ("ASSIGNED", second_rider)
    time.sleep(ttl + 1)
    assert customer.order(order_id)["rider_id"] == second_rider, "an assigned order is not re-dispatched"
