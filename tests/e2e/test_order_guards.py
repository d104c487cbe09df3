"""Bad input and forbidden moves get a clear 4xx and change nothing."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from paotui_local.harness import wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e


# Unpaid orders stay held here: a payment timeout mid-burst would hand units back to later orders.
cloud = module_cloud({"PAYMENT_TIMEOUT_SECONDS": "300"})


@pytest.fixture(scope="module")
def world(cloud):
    seed = cloud.seed()
    return {
        "seed": seed,
        "merchant": seed["merchants"][0],
        "address": seed["customers"][0]["address"],
        "customer": cloud.login(seed["customers"][0]["phone"]),
        "other_customer": cloud.login(seed["customers"][1]["phone"]),
    }


def _available(cloud, merchant_id: str, product_id: str) -> int:
    return next(p for p in cloud.get(f"/merchants/{merchant_id}/products").json() if p["id"] == product_id)["stock"]


def _assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    if code:
        assert error["code"] == code


def test_same_idempotency_key_gives_one_order_even_concurrently(cloud, world):
    merchant, customer = world["merchant"], world["customer"]
    product = merchant["products"][1]
    before = _available(cloud, merchant["id"], product["id"])
    key = uuid.uuid4().hex
    items = [{"product_id": product["id"], "quantity": 1}]
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(lambda _: customer.place_order(merchant["id"], items, world["address"], key=key), range(4))
        )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _available(cloud, merchant["id"], product["id"]) == before - 1, "stock reserved once"
    mine = customer.get("/orders", params={"role": "customer"}).json()["items"]
    assert [o["id"] for o in mine].count(responses[0].json()["id"]) == 1


def test_reused_key_with_another_body_is_refused(world):
    merchant, customer = world["merchant"], world["customer"]
    key = uuid.uuid4().hex
    first = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][1]["id"], "quantity": 1}], world["address"], key=key
    )
    assert first.status_code == 201
    second = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][1]["id"], "quantity": 2}], world["address"], key=key
    )
    _assert_error(second, 422, "IDEMPOTENCY_KEY_REUSED")


def test_order_beyond_stock_is_409_and_reserves_nothing(cloud, world):
    merchant, customer = world["merchant"], world["customer"]
    scarce, plenty = merchant["products"][2], merchant["products"][0]
    before = {p["id"]: _available(cloud, merchant["id"], p["id"]) for p in (scarce, plenty)}
    response = customer.place_order(
        merchant["id"],
        [
            {"product_id": plenty["id"], "quantity": 1},
            {"product_id": scarce["id"], "quantity": before[scarce["id"]] + 1},
        ],
        world["address"],
    )
    _assert_error(response, 409, "OUT_OF_STOCK")
    assert {p: _available(cloud, merchant["id"], p) for p in before} == before


def test_malformed_json_and_unknown_fields_are_rejected_and_write_nothing(world):
    customer, merchant = world["customer"], world["merchant"]
    orders_before = customer.get("/orders", params={"role": "customer"}).json()["items"]
    malformed = customer.post(
        "/orders", data="{not json", headers={"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
    )
    _assert_error(malformed, 400, "MALFORMED_JSON")
    body = {
        "merchant_id": merchant["id"],
        "items": [{"product_id": merchant["products"][0]["id"], "quantity": 1}],
        "address": world["address"],
        "coupon": "FREE",
    }
    unknown = customer.post(
        "/orders",
        data=json.dumps(body),
        headers={"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"},
    )
    _assert_error(unknown, 422, "VALIDATION_ERROR")
    assert any("coupon" in err["loc"] for err in unknown.json()["error"]["details"]["errors"])
    negative = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][0]["id"], "quantity": -1}], world["address"]
    )
    _assert_error(negative, 422, "VALIDATION_ERROR")
    missing_key = customer.post("/orders", json={k: v for k, v in body.items() if k != "coupon"})
    _assert_error(missing_key, 400, "IDEMPOTENCY_KEY_REQUIRED")
    assert customer.get("/orders", params={"role": "customer"}).json()["items"] == orders_before


def test_requests_without_a_valid_token_are_401(cloud):
    assert cloud.get("/orders").status_code == 401
    assert cloud.get("/orders", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401


def test_customers_cannot_see_or_move_each_others_orders(world):
    merchant = world["merchant"]
    placed = world["customer"].place_order(
        merchant["id"], [{"product_id": merchant["products"][0]["id"], "quantity": 1}], world["address"]
    )
    order_id = placed.json()["id"]
    _assert_error(world["other_customer"].get(f"/orders/{order_id}"), 404, "ORDER_NOT_FOUND")
    _assert_error(world["other_customer"].post(f"/orders/{order_id}/cancel", json={"reason": "mine now"}), 403)
    assert world["customer"].order(order_id)["status"] == "PENDING_PAYMENT"


def test_rider_cannot_move_someone_elses_order(cloud, world):
    seed, merchant, customer = world["seed"], world["merchant"], world["customer"]
    order_id = customer.confirmed_order(merchant, world["address"])
    riders = [cloud.login(r["phone"]) for r in seed["riders"]]

    def holder():
        return next(((r, o) for r in riders for o in r.offers() if o["order_id"] == order_id), None)

    rider, offer = wait_for(holder, what="an offer")
    assert rider.post(f"/offers/{offer['id']}/accept").status_code == 200
    intruder = next(r for r in riders if r.id != rider.id)
    refused = intruder.post(f"/orders/{order_id}/transitions", json={"to": "PICKING_UP"})
    _assert_error(refused, 403)
    after = customer.order(order_id)
    assert (after["status"], after["rider_id"]) == ("ASSIGNED", rider.id)
    skipped = rider.post(f"/orders/{order_id}/transitions", json={"to": "DELIVERED"})
    _assert_error(skipped, 409, "INVALID_TRANSITION")
    assert customer.order(order_id)["status"] == "ASSIGNED"


def test_fifty_concurrent_orders_for_stock_ten_place_exactly_ten(cloud, world):
    merchant, customer = world["merchant"], world["customer"]
    soup = next(p for p in merchant["products"] if p["name"] == "咖喱牛肉汤")
    owner = cloud.login(merchant["phone"])
    counted = owner.put(f"/merchants/{merchant['id']}/stock", json=[{"product_id": soup["id"], "stock": 10}])
    assert counted.status_code == 200, counted.text
    assert _available(cloud, merchant["id"], soup["id"]) == 10
    alerting = owner.request(
        "PATCH",
        f"/merchants/{merchant['id']}/products/{soup['id']}",
        json={"version": counted.json()[0]["version"], "low_stock_threshold": 3},
    )
    assert alerting.status_code == 200, alerting.text
    items = [{"product_id": soup["id"], "quantity": 1}]

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda _: customer.place_order(merchant["id"], items, world["address"]), range(50)))
    assert sorted(r.status_code for r in responses) == [201] * 10 + [409] * 40
    for refused in (r for r in responses if r.status_code == 409):
        _assert_error(refused, 409, "OUT_OF_STOCK")
    listed = next(p for p in cloud.get(f"/merchants/{merchant['id']}/products").json() if p["id"] == soup["id"])
    assert (listed["stock"], listed["available"]) == (0, False)

    def low_stock_alerts():
        return [m for m in cloud.outbox(owner.id) if m["data"].get("type") == "low_stock"]

    (alert,) = wait_for(low_stock_alerts, what="the low-stock alert")  # one crossing (3 → 2), not one per order
    assert (alert["data"]["product_id"], alert["data"]["available"]) == (soup["id"], 2)
