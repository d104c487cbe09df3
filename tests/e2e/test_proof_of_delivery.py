"""The rider's status flow over HTTP (orders.proof): the store's geofence and its override, the customer's 收货码 at
the door, and a photo-proof merchant's delivery with a real multipart upload through the gateway's S3."""

from __future__ import annotations

import pytest
import requests

from paotui_local.harness import HAPPY_PATH, Cloud, User, point, take_offer

pytestmark = pytest.mark.e2e

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 256
FAR_FROM_ANY_STORE = {"lat": 31.2600, "lng": 121.5200}


def assigned_order(cloud: Cloud, merchant: dict, customer: User, address: dict) -> tuple[str, User]:
    """The customer's order of ``merchant``, paid, confirmed and accepted by a seeded rider."""
    order_id = customer.confirmed_order(merchant, address)
    return order_id, take_offer((cloud.login(spec["phone"]) for spec in cloud.seed()["riders"]), order_id)


def test_the_store_geofence_and_the_customers_code(cloud):
    seed = cloud.seed()
    spec = seed["customers"][0]
    customer = cloud.login(spec["phone"])
    order_id, rider = assigned_order(cloud, seed["merchants"][0], customer, spec["address"])

    far = rider.move(order_id, "PICKING_UP", position=FAR_FROM_ANY_STORE)
    assert far.status_code == 409 and far.json()["error"]["code"] == "OUTSIDE_GEOFENCE", far.text
    assert far.json()["error"]["details"]["radius_m"] == 300
    assert customer.order(order_id)["status"] == "ASSIGNED"
    excused = rider.move(order_id, "PICKING_UP", position=FAR_FROM_ANY_STORE, reason="商场地下一层，定位不准")
    assert excused.status_code == 200, excused.text
    assert excused.json()["geofence_overrides"][0]["reason"] == "商场地下一层，定位不准"
    assert rider.move(order_id, "DELIVERING", items_checked=True).status_code == 200

    code = customer.order(order_id)["delivery_code"]
    assert rider.order(order_id)["delivery_code"] is None, "the rider must ask the customer"
    door = point(spec["address"])
    wrong = rider.move(order_id, "DELIVERED", position=door, proof={"code": f"{(int(code) + 1) % 10_000:04d}"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "WRONG_DELIVERY_CODE", wrong.text
    delivered = rider.move(order_id, "DELIVERED", position=door, proof={"code": code})
    assert delivered.status_code == 200, delivered.text
    final = customer.order(order_id)
    assert [entry["status"] for entry in final["timeline"]] == HAPPY_PATH
    assert final["proof"]["kind"] == "code"


def test_a_photo_proof_merchants_order_is_delivered_with_an_uploaded_photo(cloud):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][1], seed["customers"][0]
    owner = cloud.login(merchant["phone"])
    switched = owner.request("PATCH", f"/merchants/{merchant['id']}", json={"proof_of_delivery": "photo"})
    assert switched.status_code == 200 and switched.json()["proof_of_delivery"] == "photo", switched.text
    customer = cloud.login(spec["phone"])
    order_id, rider = assigned_order(cloud, merchant, customer, spec["address"])

    rider.pick_up(order_id)
    delivered = rider.hand_over(order_id, photo=JPEG)  # a multipart POST to the gateway's /s3/
    assert delivered["status"] == "DELIVERED" and delivered["proof"]["kind"] == "photo"

    link = customer.order(order_id)["proof"]["photo_url"]
    assert link.startswith(cloud.base_url)
    assert requests.get(link, timeout=15).content == JPEG
    assert owner.get(f"/orders/{order_id}").json()["proof"]["photo_url"], "the merchant sees the photo too"
