"""The merchant console over HTTP: the seeded merchant pauses, builds and stocks its menu; a customer orders."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_a_merchant_configures_its_menu_and_a_customer_quotes_it(cloud):
    seed = cloud.seed()
    spec = seed["merchants"][0]
    address = seed["customers"][0]["address"]
    point = {"lat": address["lat"], "lng": address["lng"]}
    owner = cloud.login(spec["phone"])
    customer = cloud.login(seed["customers"][0]["phone"])

    mine = owner.get("/merchants/mine")
    assert mine.status_code == 200, mine.text
    assert [m["id"] for m in mine.json()] == [spec["id"]]
    base = f"/merchants/{spec['id']}"

    paused = owner.request("PATCH", base, json={"paused": True})
    assert paused.status_code == 200, paused.text
    assert cloud.get(base).json()["open"] is False  # public, no sign-in
    quote_body = {"merchant_id": spec["id"], "items": [{"product_id": spec["products"][0]["id"], "quantity": 1}]}
    closed = cloud.http.post(cloud.url("/quotes"), json={**quote_body, "address": point}, timeout=15)
    assert closed.status_code == 422 and closed.json()["error"]["code"] == "MERCHANT_CLOSED"
    assert owner.request("PATCH", base, json={"paused": False}).json()["open"] is True

    assert customer.request("PATCH", base, json={"paused": True}).status_code == 403

    categories = owner.put(f"{base}/categories", json=[{"name": "面食"}])
    assert categories.status_code == 200, categories.text
    (noodles,) = categories.json()
    size = {"name": "规格", "min": 1, "max": 1, "options": [{"name": "小"}, {"name": "大", "price_delta": 300}]}
    created = owner.post(
        f"{base}/products",
        json={"name": "葱油拌面", "price": 1200, "category_id": noodles["id"], "options": [size], "stock": 3},
    )
    assert created.status_code == 201, created.text
    product = created.json()

    restocked = owner.post(f"{base}/products/{product['id']}/restock", json={"qty": 5, "reason": "备货"})
    assert restocked.status_code == 200 and restocked.json()["stock"] == 8, restocked.text
    ledger = owner.get(f"{base}/products/{product['id']}/ledger").json()
    assert [(e["kind"], e["qty"], e["stock_after"]) for e in ledger] == [("restock", 5, 8)]
    assert ledger[0]["by"] == owner.id and ledger[0]["reason"] == "备货"

    menu = cloud.get(f"{base}/products").json()
    listed = next(p for p in menu if p["id"] == product["id"])
    assert (listed["stock"], listed["available"], listed["category_id"]) == (8, True, noodles["id"])
    profile = cloud.get(base).json()
    assert profile["categories"] == [noodles] and profile["open"] is True

    quote = cloud.http.post(
        cloud.url("/quotes"),
        json={"merchant_id": spec["id"], "items": [{"product_id": product["id"], "quantity": 2}], "address": point},
        timeout=15,
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["items_total"] == 2400
    placed = customer.place_order(spec["id"], [{"product_id": product["id"], "quantity": 2}], address)
    assert placed.status_code == 201, placed.text
    after = {p["id"]: p["stock"] for p in cloud.get(f"{base}/products").json()}
    assert after[product["id"]] == 6  # held by the unpaid order
    ledger = owner.get(f"{base}/products/{product['id']}/ledger").json()
    assert [(e["kind"], e["state"], e["order_id"]) for e in ledger][0] == ("order", "RESERVED", placed.json()["id"])
