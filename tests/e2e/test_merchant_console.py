"""The merchant console over HTTP: the seeded merchant pauses, builds and stocks its menu; a customer orders; the
shop's cloud printer prints the kitchen ticket of each order it confirms."""

from __future__ import annotations

import pytest

from paotui_local.harness import wait_for

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
    assert [(e["action"], e["available_change"], e["order_id"]) for e in ledger][0] == (
        "reserve",
        -2,
        placed.json()["id"],
    )


def _square(center: dict, half_deg: float) -> dict:
    lat, lng = center["lat"], center["lng"]
    ring = [
        [lng - half_deg, lat - half_deg],
        [lng + half_deg, lat - half_deg],
        [lng + half_deg, lat + half_deg],
        [lng - half_deg, lat + half_deg],
        [lng - half_deg, lat - half_deg],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_merchant_draws_its_areas_and_customers_get_quotes_inside_and_none_outside(cloud):
    seed = cloud.seed()
    spec = seed["merchants"][1]
    owner = cloud.login(spec["phone"])
    base = f"/merchants/{spec['id']}"
    here = spec["location"]
    inner = {
        "name": "核心区",
        "priority": 10,
        "polygon": _square(here, 0.01),
        "fees": {"base_fee": 300, "base_distance_m": 3000},
    }
    outer = {
        "name": "外圈",
        "radius_m": 4000,
        "min_order": 1,
        "fees": {"base_fee": 800, "base_distance_m": 3000, "tiers": [{"up_to_m": 4000, "fee_per_km": 200}]},
    }

    crossing = _square(here, 0.01)
    crossing["coordinates"][0][1], crossing["coordinates"][0][2] = (
        crossing["coordinates"][0][2],
        crossing["coordinates"][0][1],
    )
    bad = owner.put(f"{base}/delivery", json={"areas": [{**inner, "polygon": crossing}]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "INVALID_POLYGON", bad.text
    saved = owner.put(f"{base}/delivery", json={"mode": "self", "areas": [inner, outer]})
    assert saved.status_code == 200, saved.text
    assert [area["name"] for area in owner.get(f"{base}/delivery").json()["areas"]] == ["核心区", "外圈"]

    item = [{"product_id": spec["products"][0]["id"], "quantity": 1}]

    def quote(lat_offset: float):
        point = {"lat": here["lat"] + lat_offset, "lng": here["lng"]}
        return cloud.http.post(
            cloud.url("/quotes"), json={"merchant_id": spec["id"], "items": item, "address": point}, timeout=15
        )

    def listed(lat_offset: float) -> bool:
        page = cloud.get("/merchants", params={"lat": here["lat"] + lat_offset, "lng": here["lng"]}).json()
        return spec["id"] in [card["id"] for card in page["items"]]

    inside = quote(0.005)  # ~560 m north: in the drawn square
    assert inside.status_code == 200, inside.text
    assert inside.json()["delivery_fee"] == 300 and inside.json()["breakdown"][0]["amount"] == 300
    ring = quote(0.03)  # ~3.3 km: only the outer radius, base fee plus one started km
    assert ring.status_code == 200, ring.text
    assert ring.json()["delivery_fee"] == 1000
    assert [line["code"] for line in ring.json()["breakdown"]] == ["base", "distance"]
    outside = quote(0.05)  # ~5.6 km: no area
    assert outside.status_code == 422 and outside.json()["error"]["code"] == "OUT_OF_RANGE", outside.text
    assert listed(0.005) and listed(0.03) and not listed(0.05)


def test_a_product_image_is_uploaded_by_the_browser_and_served_from_its_url(cloud):
    import requests

    seed = cloud.seed()
    spec = seed["merchants"][1]
    owner = cloud.login(spec["phone"])
    product = spec["products"][0]
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(200))

    grant = owner.post(f"/merchants/{spec['id']}/images", json={"content_type": "image/png"})
    assert grant.status_code == 201, grant.text
    form = grant.json()
    assert form["url"].startswith(cloud.base_url)  # the browser reaches S3 where it reaches the API
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("dumpling.png", png, "image/png")}, timeout=15
    )
    assert posted.status_code in (200, 201, 204), posted.text

    version = next(p for p in owner.get(f"/merchants/{spec['id']}/stock").json() if p["id"] == product["id"])["version"]
    attached = owner.put(
        f"/merchants/{spec['id']}/products/{product['id']}/images",
        json={"images": [form["image_id"]], "version": version},
    )
    assert attached.status_code == 200, attached.text
    (image_url,) = attached.json()["images"]
    served = requests.get(image_url, timeout=15)
    assert served.status_code == 200 and served.content == png
    assert served.headers["Content-Type"] == "image/png"
    menu = cloud.get(f"/merchants/{spec['id']}/products").json()
    assert next(p for p in menu if p["id"] == product["id"])["images"] == [image_url]


def test_a_shop_binds_its_cloud_printer_and_each_order_it_confirms_prints_one_ticket(cloud):
    """The printer is the Feieyun fake's demo 960238952; ``/dev/feie/<SN>`` is what it printed."""
    seed = cloud.seed()
    merchant, customer_spec = seed["merchants"][0], seed["customers"][0]
    owner = cloud.login(merchant["phone"])
    path = f"/merchants/{merchant['id']}/printer"
    refused = owner.put(path, json={"sn": "960238952", "key": "wrongkey"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "PRINTER_REFUSED")
    bound = owner.put(path, json={"sn": "960238952", "key": "kx9b3m2q", "label": "后厨", "copies": 2})
    assert bound.status_code == 200, bound.text
    assert (bound.json()["state"], bound.json()["copies"]) == ("ready", 2)
    try:
        customer = cloud.login(customer_spec["phone"])
        order_id = customer.confirmed_order(merchant, customer_spec["address"])
        sent = wait_for(
            lambda: (o := owner.order(order_id))["kitchen_print"] and o["kitchen_print"]["state"] == "sent" and o,
            what="the kitchen ticket sent to the printer",
        )
        assert customer.order(order_id)["kitchen_print"] is None, "the shop's business, not the customer's"
        assert sent["kitchen_print"]["attempts"] == 1
        jobs = cloud.get("/dev/feie/960238952").json()["jobs"]
        assert "打印机已绑定" in jobs[0]["content"], "binding printed a page saying so"
        (ticket,) = [job for job in jobs if f"#{order_id[-6:].upper()}" in job["content"]]
        assert ticket["copies"] == 2 and merchant["products"][0]["name"] in ticket["content"]
        assert customer_spec["phone"] not in ticket["content"], "the customer's phone is masked on the bag"
        again = owner.post(f"/orders/{order_id}/kitchen-ticket")  # 补打: the bag's ticket got wet
        assert again.status_code == 200 and again.json()["kitchen_print"]["reprints"] == 1, again.text
        jobs = cloud.get("/dev/feie/960238952").json()["jobs"]
        assert [job["copies"] for job in jobs if f"#{order_id[-6:].upper()}" in job["content"]] == [2, 1]
    finally:
        assert owner.request("DELETE", path).status_code == 204
    assert cloud.get("/dev/feie/960238952").json()["in_account"] is False
    assert owner.get(path).status_code == 404
