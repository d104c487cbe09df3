"""A delivery gone wrong, over HTTP with a contact window of seconds: the customer is texted, asks for another try,
the rider fails again, the window lapses into a return, the merchant confirms it, and the refund follows the rule
for the last failure (a refused order: the delivery fee back, not the goods)."""

from __future__ import annotations

import pytest

from paotui_local.harness import Cloud, User, point, take_offer, wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e

CONTACT_WINDOW_SECONDS = 8


cloud = module_cloud({"DELIVERY_CONTACT_WINDOW_SECONDS": str(CONTACT_WINDOW_SECONDS)})


def on_its_way(cloud: Cloud, merchant: dict, customer: User, address: dict) -> tuple[str, User]:
    """The customer's order, paid, confirmed, taken by a seeded rider and picked up."""
    order_id = customer.confirmed_order(merchant, address)
    rider = take_offer((cloud.login(spec["phone"]) for spec in cloud.seed()["riders"]), order_id)
    rider.pick_up(order_id)
    return order_id, rider


def texted_failures(cloud: Cloud, phone: str, order_id: str) -> list[dict]:
    return [
        message
        for message in cloud.outbox(phone)
        if message["channel"] == "sms"
        and (message.get("data") or {}).get("order_id") == order_id
        and message["data"].get("kind") == "delivery_failed"
    ]


def test_a_refused_order_goes_back_to_the_store_and_only_the_delivery_fee_is_refunded(cloud):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][0], seed["customers"][0]
    customer, owner = cloud.login(spec["phone"]), cloud.login(merchant["phone"])
    phone = spec["address"]["contact_phone"]
    order_id, rider = on_its_way(cloud, merchant, customer, spec["address"])
    door = point(spec["address"])

    failed = rider.move(order_id, "DELIVERY_FAILED", failure_reason="unreachable", reason="电话无人接", position=door)
    assert failed.status_code == 200, failed.text
    wait_for(lambda: texted_failures(cloud, phone, order_id), what="the customer texted about the failure")
    retried = customer.post(f"/orders/{order_id}/delivery-retry", json={"note": "刚才在开会，现在在家"})
    assert (retried.status_code, retried.json()["status"]) == (200, "DELIVERING"), retried.text

    refused = rider.move(order_id, "DELIVERY_FAILED", failure_reason="buyer_refused", position=door)
    assert refused.status_code == 200, refused.text
    wait_for(lambda: len(texted_failures(cloud, phone, order_id)) == 2, what="the second failure texted")
    returning = wait_for(
        lambda: (order := customer.order(order_id))["status"] == "RETURNING" and order,
        what="the contact window lapsing into a return",
        timeout=CONTACT_WINDOW_SECONDS + 30,
    )
    assert returning["timeline"][-1]["reason"] == "contact_window_lapsed"
    too_late = customer.post(f"/orders/{order_id}/delivery-retry", json={})
    assert (too_late.status_code, too_late.json()["error"]["code"]) == (409, "DELIVERY_NOT_FAILED")

    received = owner.move(order_id, "RETURNED", reason="餐品已取回")
    assert (received.status_code, received.json()["status"]) == (200, "RETURNED"), received.text
    fee = returning["amounts"]["delivery_fee"]

    def refunded() -> list[dict] | None:
        money = customer.get(f"/orders/{order_id}/payments").json()
        return [r for r in money["refunds"] if r["status"] == "SUCCEEDED"] or None

    (refund,) = wait_for(refunded, what="the return refunded by rule")
    assert refund["amount"] == fee and fee < returning["amounts"]["total"]
    assert customer.order(order_id)["refund"] == {"status": "PARTIALLY_REFUNDED", "refunded": fee}
