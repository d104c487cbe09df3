"""The merchant console against moto: profile, menu, stock and its ledger, and who may change them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.builders import (
    CUSTOMER,
    SHOP,
    answer,
    api_event,
    merchant_with_products,
    order_request,
    stock_of,
)

OWNER = {"user_id": "usr_owner", "roles": "merchant"}
OTHER_OWNER = {"user_id": "usr_other", "roles": "merchant"}
ADMIN = {"user_id": "usr_admin", "roles": "admin"}


class Console:
    """CatalogApi's browsing and console routes, called as ``who`` (an authorizer context)."""

    def __init__(self) -> None:
        from paotui.catalog.api import router
        from paotui.catalog.merchant_api import router as merchant_router
        from paotui.platform.http import create_app

        self.app = create_app(router, merchant_router)

    def call(self, method: str, path: str, body: Any = None, who: dict | None = OWNER, **query: str):
        return answer(self.app.resolve(api_event(method, path, body=body, query=query or None, authorizer=who), None))


@pytest.fixture
def console(aws):
    return Console()


def _error(response: tuple[int, Any]) -> tuple[int, str]:
    status, body = response
    return status, body["error"]["code"]


# --- profile --------------------------------------------------------------------------------------


def test_the_owner_edits_the_profile_and_a_new_location_moves_the_cell(console):
    from paotui.catalog.records import MerchantRecord
    from paotui.platform.geo import cell_of

    merchant, _ = merchant_with_products()
    far = {"lat": 31.30, "lng": 121.50}
    status, view = console.call(
        "PATCH",
        f"/merchants/{merchant.id}",
        {"name": "老王生煎 2", "location": far, "prep_minutes": 25, "auto_confirm": True, "holidays": ["2027-02-17"]},
    )
    assert status == 200, view
    assert (view["name"], view["location"], view["prep_minutes"], view["auto_confirm"]) == ("老王生煎 2", far, 25, True)
    assert view["holidays"] == ["2027-02-17"] and view["hours"] is None and view["open"] is True
    stored = MerchantRecord.get(merchant.id)
    assert stored.cell == cell_of(far["lat"], far["lng"], 6) != cell_of(SHOP["lat"], SHOP["lng"], 6)
    assert stored.address == merchant.address  # not named, not changed
    assert (view["slot_minutes"], view["slot_capacity"]) == (30, 10)  # the defaults


def test_the_owner_sets_its_delivery_slots(console):
    merchant, _ = merchant_with_products()
    status, view = console.call("PATCH", f"/merchants/{merchant.id}", {"slot_minutes": 45, "slot_capacity": 3})
    assert (status, view["slot_minutes"], view["slot_capacity"]) == (200, 45, 3)
    status, body = console.call("PATCH", f"/merchants/{merchant.id}", {"slot_capacity": -1})
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")


def test_hours_and_pause_decide_open_now_for_everyone(console):
    merchant, _ = merchant_with_products()
    closed_all_week = {"mon": [], "tue": []}
    status, view = console.call("PATCH", f"/merchants/{merchant.id}", {"hours": closed_all_week})
    assert status == 200 and view["open"] is False and view["next_opening"] is None
    assert view["hours"]["mon"] == [] and view["hours"]["sun"] == []
    always = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert console.call("PATCH", f"/merchants/{merchant.id}", {"hours": always})[1]["open"] is True
    status, paused = console.call("PATCH", f"/merchants/{merchant.id}", {"paused": True})
    assert (paused["paused"], paused["open"], paused["next_opening"]) == (True, False, None)
    status, public = console.call("GET", f"/merchants/{merchant.id}", who=None)
    assert status == 200 and public["open"] is False and public["phone"] == merchant.phone
    console.call("PATCH", f"/merchants/{merchant.id}", {"paused": False, "hours": None})
    assert console.call("GET", f"/merchants/{merchant.id}", who=None)[1]["open"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"open": True},
        {"prep_minutes": 0},
        {"hours": {"mon": [["10:00", "14:00"], ["13:00", "15:00"]]}},
        {"location": {"lat": 91, "lng": 0}},
    ],
)
def test_bad_profile_edits_are_422_and_change_nothing(console, body):
    merchant, _ = merchant_with_products()
    assert _error(console.call("PATCH", f"/merchants/{merchant.id}", body)) == (422, "VALIDATION_ERROR")
    assert console.call("GET", f"/merchants/{merchant.id}", who=None)[1]["prep_minutes"] == 10


def test_mine_lists_the_callers_merchants_only(console):
    mine, _ = merchant_with_products()
    merchant_with_products(owner_id="usr_other")
    status, merchants = console.call("GET", "/merchants/mine")
    assert status == 200 and [m["id"] for m in merchants] == [mine.id]


# --- who may ------------------------------------------------------------------------------------


def _console_calls(merchant_id: str, product_id: str) -> list[tuple[str, str, Any]]:
    base = f"/merchants/{merchant_id}"
    return [
        ("PATCH", base, {"paused": True}),
        ("PUT", f"{base}/categories", [{"name": "主食"}]),
        ("POST", f"{base}/products", {"name": "米饭", "price": 200, "stock": None}),
        ("PATCH", f"{base}/products/{product_id}", {"version": 1, "price": 1}),
        ("DELETE", f"{base}/products/{product_id}", None),
        ("PUT", f"{base}/stock", [{"product_id": product_id, "stock": 1}]),
        ("POST", f"{base}/products/{product_id}/restock", {"qty": 1}),
        ("GET", f"{base}/products/{product_id}/ledger", None),
    ]


def test_another_merchants_owner_gets_403_and_changes_nothing(console):
    merchant, (product,) = merchant_with_products(5)
    for method, path, body in _console_calls(merchant.id, product.id):
        assert _error(console.call(method, path, body, who=OTHER_OWNER)) == (403, "NOT_YOUR_MERCHANT"), path
        assert _error(console.call(method, path, body, who={"user_id": "usr_c", "roles": "customer"}))[0] == 403
    assert stock_of(product) == (5, 0, 5) and int(product.price) == 1000 and product.on_sale


def test_an_admin_may_act_on_any_merchant(console):
    merchant, (product,) = merchant_with_products(5)
    for method, path, body in _console_calls(merchant.id, product.id):
        status, answer_body = console.call(method, path, body, who=ADMIN)
        assert status in (200, 201), (path, answer_body)


def test_unknown_merchant_or_product_is_404(console):
    merchant, _ = merchant_with_products(5)
    assert _error(console.call("PATCH", "/merchants/mer_nope", {"paused": True})) == (404, "MERCHANT_NOT_FOUND")
    assert _error(console.call("GET", "/merchants/mer_nope", who=None)) == (404, "MERCHANT_NOT_FOUND")
    for method, path, body in _console_calls(merchant.id, "prd_nope")[3:]:
        assert _error(console.call(method, path, body)) == (404, "PRODUCT_NOT_FOUND"), path


# --- menu ---------------------------------------------------------------------------------------


def test_categories_are_replaced_in_order_and_keep_their_ids(console):
    merchant, _ = merchant_with_products()
    base = f"/merchants/{merchant.id}/categories"
    status, first = console.call("PUT", base, [{"name": "主食"}, {"name": "汤"}])
    assert status == 200 and [c["name"] for c in first] == ["主食", "汤"]
    staple, soup = first
    status, second = console.call(
        "PUT", base, [{"id": soup["id"], "name": "汤品"}, {"id": staple["id"], "name": "主食"}]
    )
    assert [(c["id"], c["name"]) for c in second] == [(soup["id"], "汤品"), (staple["id"], "主食")]
    assert _error(console.call("PUT", base, [{"id": "cat_nope", "name": "x"}])) == (422, "UNKNOWN_CATEGORY")
    assert _error(console.call("PUT", base, [{"name": "x", "colour": "red"}])) == (422, "VALIDATION_ERROR")
    assert console.call("GET", f"/merchants/{merchant.id}", who=None)[1]["categories"] == second


def _soup_dropped_right_after_each_category_check(console, monkeypatch, merchant_id: str) -> str:
    """Two editors: the other one drops 汤 just after this one's request saw it on the menu; 汤's id."""
    from paotui.catalog import service

    staple, soup = console.call("PUT", f"/merchants/{merchant_id}/categories", [{"name": "主食"}, {"name": "汤"}])[1]
    check = service.check_category

    def check_then_the_other_editor_drops_soup(merchant, category_id):
        check(merchant, category_id)
        status, _ = console.call("PUT", f"/merchants/{merchant_id}/categories", [staple])
        assert status == 200

    monkeypatch.setattr(service, "check_category", check_then_the_other_editor_drops_soup)
    return soup["id"]


@pytest.mark.parametrize("way", ["move", "add"])
def test_a_product_put_in_a_category_being_dropped_is_refused(console, monkeypatch, way):
    merchant, (product,) = merchant_with_products(5)
    soup = _soup_dropped_right_after_each_category_check(console, monkeypatch, merchant.id)
    if way == "move":
        path, body = f"/merchants/{merchant.id}/products/{product.id}", {"version": 1, "category_id": soup}
        response = console.call("PATCH", path, body)
    else:
        response = console.call(
            "POST", f"/merchants/{merchant.id}/products", {"name": "汤", "price": 800, "stock": 5, "category_id": soup}
        )
    assert _error(response) == (422, "UNKNOWN_CATEGORY")
    status, menu = console.call("GET", f"/merchants/{merchant.id}/stock")
    assert [item.get("category_id") for item in menu] == [None]


def test_dropping_a_category_a_product_moved_into_meanwhile_is_refused(console, monkeypatch):
    from paotui.catalog.records import ProductRecord

    merchant, (product,) = merchant_with_products(5)
    base = f"/merchants/{merchant.id}/categories"
    staple, soup = console.call("PUT", base, [{"name": "主食"}, {"name": "汤"}])[1]
    query = ProductRecord.query

    def products_then_one_moves_into_soup(*args, **kwargs):
        products = list(query(*args, **kwargs))
        moved = console.call(
            "PATCH", f"/merchants/{merchant.id}/products/{product.id}", {"version": 1, "category_id": soup["id"]}
        )
        assert moved[0] == 200
        return products

    monkeypatch.setattr(ProductRecord, "query", products_then_one_moves_into_soup)
    assert _error(console.call("PUT", base, [staple])) == (409, "MENU_CHANGED")
    monkeypatch.setattr(ProductRecord, "query", query)
    assert console.call("GET", f"/merchants/{merchant.id}", who=None)[1]["categories"] == [staple, soup]
    assert _error(console.call("PUT", base, [staple])) == (409, "CATEGORY_IN_USE")


def test_products_are_created_edited_with_compare_and_set_and_taken_off_sale(console):
    merchant, _ = merchant_with_products()
    (category,) = console.call("PUT", f"/merchants/{merchant.id}/categories", [{"name": "主食"}])[1]
    size = {"name": "规格", "min": 1, "max": 1, "options": [{"name": "小"}, {"name": "大", "price_delta": 300}]}
    status, created = console.call(
        "POST",
        f"/merchants/{merchant.id}/products",
        {
            "name": "牛肉面",
            "description": "红烧",
            "price": 2200,
            "category_id": category["id"],
            "options": [size],
            "stock": 20,
        },
    )
    assert status == 201, created
    assert (created["stock"], created["available"], created["version"], created["unlimited"]) == (20, True, 1, False)
    assert created["options"][0]["options"][1] == {"name": "大", "price_delta": 300}
    path = f"/merchants/{merchant.id}/products/{created['id']}"

    status, edited = console.call("PATCH", path, {"version": 1, "price": 2400, "category_id": None})
    assert status == 200 and (edited["price"], edited["category_id"], edited["version"]) == (2400, None, 2)
    assert _error(console.call("PATCH", path, {"version": 1, "price": 1})) == (409, "VERSION_CONFLICT")
    assert console.call("PATCH", path, {"version": 1, "price": 1})[1]["error"]["details"] == {"version": 2}
    assert _error(console.call("PATCH", path, {"version": 2, "category_id": "cat_nope"})) == (422, "UNKNOWN_CATEGORY")

    status, removed = console.call("DELETE", path)
    assert status == 200 and (removed["on_sale"], removed["available"]) == (False, False)
    listed = console.call("GET", f"/merchants/{merchant.id}/products", who=None)[1]
    assert [(p["id"], p["available"], p["price"]) for p in listed] == [(created["id"], False, 2400)]


def test_a_product_sent_again_under_its_idempotency_key_is_made_once(console):
    import json

    from paotui.catalog.service import list_products

    merchant, before = merchant_with_products()
    path = f"/merchants/{merchant.id}/products"
    body = {"name": "蟹粉小笼", "price": 2850, "stock": None}

    def create(sent: dict, key: str) -> tuple[int, dict, str | None]:
        event = api_event("POST", path, body=sent, authorizer=OWNER, headers={"Idempotency-Key": key})
        response = console.app.resolve(event, None)
        replayed = response["multiValueHeaders"].get("Idempotent-Replayed", [None])[0]
        return response["statusCode"], json.loads(response["body"]), replayed

    status, first, replayed = create(body, "dish-key-0001")
    assert (status, replayed) == (201, "false")
    status, again, replayed = create(body, "dish-key-0001")  # the answer was lost: the console sends it again
    assert (status, replayed, again["id"]) == (201, "true", first["id"])
    assert len(list_products(merchant.id)) == len(before) + 1
    status, other, _ = create({**body, "price": 2600}, "dish-key-0001")
    assert (status, other["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    status, second, _ = create(body, "dish-key-0002")  # another key: another dish of the same name
    assert status == 201 and second["id"] != first["id"]
    status, refused, _ = create(body, "short")
    assert (status, refused["error"]["code"]) == (400, "INVALID_IDEMPOTENCY_KEY")
    assert len(list_products(merchant.id)) == len(before) + 2


def test_a_retry_racing_its_first_try_gets_the_product_the_first_made(console, monkeypatch):
    from paotui.catalog import service

    merchant, _ = merchant_with_products()
    made = service.add_product(merchant.id, "汤", 800, 5, idempotency=("soup-key-0001", "digest"))[0]
    real, looked = service._made_with, []

    def looked_too_soon(*args):  # the retry looked before the first try had written; then its write is refused
        looked.append(args)
        return None if len(looked) == 1 else real(*args)

    monkeypatch.setattr(service, "_made_with", looked_too_soon)
    again, created = service.add_product(merchant.id, "汤", 800, 5, idempotency=("soup-key-0001", "digest"))
    assert (again.id, created) == (made.id, False)
    assert len(looked) == 2  # the refused write looked again


@pytest.mark.parametrize(
    "body",
    [
        {"name": "面", "price": -1, "stock": 1},
        {"name": "面", "price": 100, "stock": -1},
        {
            "name": "面",
            "price": 100,
            "stock": 1,
            "options": [{"name": "辣", "min": 2, "max": 1, "options": [{"name": "微"}]}],
        },
        {"name": "面", "price": 100, "stock": 1, "images": []},
    ],
)
def test_bad_products_are_422(console, body):
    merchant, _ = merchant_with_products()
    assert _error(console.call("POST", f"/merchants/{merchant.id}/products", body)) == (422, "VALIDATION_ERROR")


def test_a_category_with_products_cannot_be_dropped(console):
    merchant, _ = merchant_with_products()
    (category,) = console.call("PUT", f"/merchants/{merchant.id}/categories", [{"name": "主食"}])[1]
    console.call(
        "POST",
        f"/merchants/{merchant.id}/products",
        {"name": "面", "price": 1, "stock": 1, "category_id": category["id"]},
    )
    assert _error(console.call("PUT", f"/merchants/{merchant.id}/categories", [])) == (409, "CATEGORY_IN_USE")


def test_editing_a_price_leaves_an_order_already_placed_as_it_was(console):
    from paotui.orders import service as orders

    merchant, (product,) = merchant_with_products(10)
    order, _ = orders.place_order(CUSTOMER.user_id, "key-price-0001", order_request(merchant, (product, 2)))
    product.refresh()
    status, _ = console.call(
        "PATCH",
        f"/merchants/{merchant.id}/products/{product.id}",
        {"version": int(product.version), "price": 9999, "name": "涨价"},
    )
    assert status == 200
    again = orders.get_order(order.id)
    line = again.items[0]
    assert (line.name, int(line.unit_price), int(line.line_total)) == ("item 0", 1000, 2000)
    assert int(again.amounts.items_total) == 2000 and again.to_simple_dict() == order.to_simple_dict()


# --- stock --------------------------------------------------------------------------------------


def test_bulk_stock_sets_counts_and_ledgers_each_change(console):
    from paotui.catalog.records import StockLedgerRecord, product_key

    merchant, (dumplings, soup) = merchant_with_products(10, 5)
    status, products = console.call(
        "PUT",
        f"/merchants/{merchant.id}/stock",
        [{"product_id": dumplings.id, "stock": 30, "reason": "早市"}, {"product_id": soup.id, "stock": 0}],
    )
    assert status == 200, products
    assert [(p["stock"], p["available"]) for p in products] == [(30, True), (0, False)]
    assert stock_of(dumplings) == (30, 0, 30) and stock_of(soup) == (0, 0, 0)
    (entry,) = StockLedgerRecord.query(product_key(merchant.id, dumplings.id))
    assert entry.ref.startswith("adj_") and entry.state == "ADJUSTED" and entry.kind == "adjust"
    assert (int(entry.qty), int(entry.stock_after), entry.by, entry.reason) == (20, 30, "usr_owner", "早市")


def test_stock_cannot_go_below_what_unpaid_orders_hold(console):
    from paotui.orders import service as orders

    merchant, (dumplings, soup) = merchant_with_products(10, 5)
    orders.place_order(CUSTOMER.user_id, "key-hold-0001", order_request(merchant, (dumplings, 4)))
    status, body = console.call(
        "PUT",
        f"/merchants/{merchant.id}/stock",
        [{"product_id": soup.id, "stock": 50}, {"product_id": dumplings.id, "stock": 3}],
    )
    assert (status, body["error"]["code"]) == (422, "STOCK_BELOW_RESERVED")
    assert body["error"]["details"] == {"product_id": dumplings.id, "reserved": 4, "stock": 3}
    assert stock_of(soup) == (5, 0, 5) and stock_of(dumplings) == (10, 4, 6)  # all or nothing
    assert console.call("PUT", f"/merchants/{merchant.id}/stock", [{"product_id": dumplings.id, "stock": 4}])[0] == 200
    assert stock_of(dumplings) == (4, 4, 0)
    sold_out = console.call("GET", f"/merchants/{merchant.id}/products", who=None)[1]
    assert {p["id"]: p["available"] for p in sold_out}[dumplings.id] is False


def test_bulk_stock_refuses_repeats_and_unknown_products(console):
    merchant, (product,) = merchant_with_products(10)
    path = f"/merchants/{merchant.id}/stock"
    twice = [{"product_id": product.id, "stock": 1}, {"product_id": product.id, "stock": 2}]
    assert _error(console.call("PUT", path, twice)) == (422, "DUPLICATE_ITEM")
    assert _error(console.call("PUT", path, [])) == (422, "VALIDATION_ERROR")
    assert _error(console.call("PUT", path, [{"product_id": product.id, "stock": -1}])) == (422, "VALIDATION_ERROR")
    assert _error(console.call("PUT", path, [{"product_id": "prd_nope", "stock": 1}])) == (404, "PRODUCT_NOT_FOUND")
    assert stock_of(product) == (10, 0, 10)


def test_restock_and_the_ledger_explain_the_count_newest_first(console):
    from paotui.catalog.stock import commit_reservation
    from paotui.orders import service as orders

    merchant, (product,) = merchant_with_products(10)
    base = f"/merchants/{merchant.id}/products/{product.id}"
    order, _ = orders.place_order(CUSTOMER.user_id, "key-ledger-01", order_request(merchant, (product, 3)))
    commit_reservation(merchant.id, product.id, order.id)
    status, restocked = console.call("POST", f"{base}/restock", {"qty": 5, "reason": "到货"})
    assert status == 200 and restocked["stock"] == 12
    assert _error(console.call("POST", f"{base}/restock", {"qty": 0})) == (422, "VALIDATION_ERROR")
    status, ledger = console.call("GET", f"{base}/ledger")
    assert status == 200
    assert [(e["action"], e["qty"], e["stock_change"], e["available_change"]) for e in ledger] == [
        ("restock", 5, 5, 5),
        ("commit", 3, -3, 0),
        ("reserve", 3, 0, -3),
    ]
    assert ledger[0]["stock_after"] == 12 and ledger[0]["by"] == "usr_owner" and ledger[0]["adjustment_id"]
    assert ledger[1]["order_id"] == ledger[2]["order_id"] == order.id and ledger[1]["at"].endswith("Z")
    # the lines add up to the count: 10 at creation, then each change
    assert 10 + sum(line["stock_change"] for line in ledger) == 12
    assert 10 + sum(line["available_change"] for line in ledger) == 12
    assert stock_of(product) == (12, 0, 12)


def test_an_unlimited_product_is_ordered_held_and_settled_like_any_other(console):
    from paotui.catalog.records import StockLedgerRecord, product_key
    from paotui.catalog.stock import commit_reservation, release_reservation
    from paotui.orders import service as orders

    merchant, _ = merchant_with_products()
    status, rice = console.call(
        "POST", f"/merchants/{merchant.id}/products", {"name": "米饭", "price": 200, "stock": None}
    )
    assert status == 201 and (rice["stock"], rice["unlimited"], rice["available"]) == (None, True, True)
    from paotui.catalog.records import ProductRecord

    product = ProductRecord.get(merchant.id, rice["id"])
    first, _ = orders.place_order(CUSTOMER.user_id, "key-unlim-001", order_request(merchant, (product, 99)))
    second, _ = orders.place_order(CUSTOMER.user_id, "key-unlim-002", order_request(merchant, (product, 50)))
    held = {e.ref: e.state for e in StockLedgerRecord.query(product_key(merchant.id, product.id))}
    assert held == {first.id: "RESERVED", second.id: "RESERVED"}
    assert commit_reservation(merchant.id, product.id, first.id) and not commit_reservation(
        merchant.id, product.id, first.id
    )
    assert release_reservation(merchant.id, product.id, second.id) and not release_reservation(
        merchant.id, product.id, second.id
    )
    assert stock_of(product)[1] == 0
    listed = console.call("GET", f"/merchants/{merchant.id}/products", who=None)[1]
    assert (listed[0]["stock"], listed[0]["available"]) == (None, True)
    assert _error(console.call("POST", f"/merchants/{merchant.id}/products/{product.id}/restock", {"qty": 1})) == (
        422,
        "UNLIMITED_STOCK",
    )
    # a count makes it limited again, and back
    console.call("PUT", f"/merchants/{merchant.id}/stock", [{"product_id": product.id, "stock": 7}])
    assert stock_of(product) == (7, 0, 7)
    product.refresh()
    status, again = console.call(
        "PATCH", f"/merchants/{merchant.id}/products/{product.id}", {"version": int(product.version), "stock": None}
    )
    assert status == 200 and (again["stock"], again["unlimited"]) == (None, True)


# --- product images -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def bucket(aws):
    import boto3

    from paotui.platform.settings import get_settings

    name = get_settings().images_bucket
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def _uploaded(console, merchant_id: str, content: bytes, content_type: str = "image/png") -> str:
    """An image id whose file the browser has posted (here: put straight into the upload key)."""
    import boto3

    status, grant = console.call("POST", f"/merchants/{merchant_id}/images", {"content_type": content_type})
    assert status == 201, grant
    boto3.client("s3").put_object(Bucket=_bucket(), Key=grant["fields"]["key"], Body=content)
    return grant["image_id"]


def _bucket() -> str:
    from paotui.platform.settings import get_settings

    return get_settings().images_bucket


def _keys(prefix: str) -> list[str]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=_bucket(), Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_an_upload_grant_is_a_presigned_post_limited_in_type_and_size(console, bucket):
    import base64
    import json

    merchant, _ = merchant_with_products(1)
    status, grant = console.call("POST", f"/merchants/{merchant.id}/images", {"content_type": "image/webp"})
    assert status == 201
    assert (
        grant["image_id"].startswith("img_") and grant["fields"]["key"] == f"uploads/{merchant.id}/{grant['image_id']}"
    )
    policy = json.loads(base64.b64decode(grant["fields"]["policy"]))
    assert {"Content-Type": "image/webp"} in policy["conditions"]
    assert ["content-length-range", 1, grant["max_bytes"]] in policy["conditions"]
    assert _error(console.call("POST", f"/merchants/{merchant.id}/images", {"content_type": "image/gif"})) == (
        422,
        "VALIDATION_ERROR",
    )
    assert _error(
        console.call("POST", f"/merchants/{merchant.id}/images", {"content_type": "image/png"}, who=OTHER_OWNER)
    ) == (
        403,
        "NOT_YOUR_MERCHANT",
    )


def test_uploads_are_checked_published_ordered_and_dropped(console, bucket):
    merchant, (product,) = merchant_with_products(5)
    base = f"/merchants/{merchant.id}/products/{product.id}/images"
    first, second = _uploaded(console, merchant.id, PNG), _uploaded(console, merchant.id, JPEG, "image/jpeg")

    status, shown = console.call("PUT", base, {"images": [second, first], "version": 1})
    assert status == 200, shown
    assert shown["images"] == [
        f"https://images.paotui.test/images/{merchant.id}/{second}.jpg",
        f"https://images.paotui.test/images/{merchant.id}/{first}.png",
    ]
    assert _keys("uploads/") == [] and len(_keys("images/")) == 2
    status, menu = console.call("GET", f"/merchants/{merchant.id}/products", who=None)
    assert menu[0]["images"] == shown["images"]  # customers see them too

    status, kept = console.call("PUT", base, {"images": [first], "version": shown["version"]})
    assert status == 200 and [url.rsplit("/", 1)[1] for url in kept["images"]] == [f"{first}.png"]
    assert _keys("images/") == [f"images/{merchant.id}/{first}.png"]  # the dropped one is deleted


def test_bad_images_are_422_and_change_nothing(console, bucket):
    from paotui.platform.settings import get_settings

    merchant, (product,) = merchant_with_products(5)
    base = f"/merchants/{merchant.id}/products/{product.id}/images"
    not_an_image = _uploaded(console, merchant.id, b"<html>hello</html>")
    assert _error(console.call("PUT", base, {"images": [not_an_image], "version": 1})) == (422, "INVALID_IMAGE")
    assert _error(console.call("PUT", base, {"images": ["img_never_uploaded"], "version": 1})) == (
        422,
        "IMAGE_NOT_UPLOADED",
    )
    too_big = _uploaded(console, merchant.id, PNG + b"\x00" * get_settings().image_max_bytes)
    assert _error(console.call("PUT", base, {"images": [too_big], "version": 1})) == (422, "IMAGE_TOO_LARGE")
    good = _uploaded(console, merchant.id, PNG)
    assert _error(console.call("PUT", base, {"images": [good, good], "version": 1})) == (422, "DUPLICATE_IMAGE")
    assert _error(console.call("PUT", base, {"images": [good], "version": 7})) == (409, "VERSION_CONFLICT")
    assert _error(console.call("PUT", base, {"images": ["x"] * 10, "version": 1})) == (422, "VALIDATION_ERROR")
    # another merchant can't attach this merchant's upload: it is looked up under the caller's merchant
    other, (their_product,) = merchant_with_products(1, owner_id="usr_other")
    their_base = f"/merchants/{other.id}/products/{their_product.id}/images"
    assert _error(console.call("PUT", their_base, {"images": [good], "version": 1}, who=OTHER_OWNER)) == (
        422,
        "IMAGE_NOT_UPLOADED",
    )
    status, menu = console.call("GET", f"/merchants/{merchant.id}/stock")
    assert status == 200 and menu[0]["images"] == [] and menu[0]["version"] == 1
    assert _keys("images/") == []  # rejected uploads are deleted, the good one waits in uploads/
    assert _keys("uploads/") == [f"uploads/{merchant.id}/{good}"]


def test_a_refused_image_set_leaves_its_good_uploads_attachable(console, bucket):
    """The merchant picks two photos, one is not an image: dropping the bad one and saving again must work."""
    merchant, (product,) = merchant_with_products(5)
    base = f"/merchants/{merchant.id}/products/{product.id}/images"
    good, bad = _uploaded(console, merchant.id, PNG), _uploaded(console, merchant.id, b"GIF89a not allowed")

    assert _error(console.call("PUT", base, {"images": [good, bad], "version": 1})) == (422, "INVALID_IMAGE")
    assert _keys("images/") == []
    status, shown = console.call("PUT", base, {"images": [good], "version": 1})
    assert status == 200, shown
    assert _keys("images/") == [f"images/{merchant.id}/{good}.png"] and _keys("uploads/") == []


def test_an_order_landing_while_images_are_published_leaves_the_upload_attachable(console, bucket, monkeypatch):
    """An order bumps the product's version between the copy and the product write: 409, reload, save again."""
    from paotui.catalog import images
    from paotui.catalog.records import ProductRecord

    merchant, (product,) = merchant_with_products(5)
    base = f"/merchants/{merchant.id}/products/{product.id}/images"
    good = _uploaded(console, merchant.id, PNG)
    publish = images._publish

    def publish_then_an_order_reserves(*args):
        key = publish(*args)
        ProductRecord(merchant.id, product.id).update(actions=[ProductRecord.version.add(1)])
        return key

    monkeypatch.setattr(images, "_publish", publish_then_an_order_reserves)
    status, refused = console.call("PUT", base, {"images": [good], "version": 1})
    assert (status, refused["error"]["code"]) == (409, "VERSION_CONFLICT")
    assert _keys("images/") == []  # the copy is taken back, not left where the CDN serves it
    monkeypatch.setattr(images, "_publish", publish)
    status, shown = console.call("PUT", base, {"images": [good], "version": refused["error"]["details"]["version"]})
    assert status == 200 and shown["images"] == [f"https://images.paotui.test/images/{merchant.id}/{good}.png"]


def test_the_stock_page_shows_what_only_the_merchant_sees(console):
    merchant, (product,) = merchant_with_products(10)
    path = f"/merchants/{merchant.id}/products/{product.id}"
    status, edited = console.call("PATCH", path, {"version": 1, "low_stock_threshold": 3, "daily_stock": 20})
    assert status == 200 and (edited["low_stock_threshold"], edited["daily_stock"]) == (3, 20)
    from paotui.orders import service as orders

    orders.place_order(CUSTOMER.user_id, "key-stock-page", order_request(merchant, (product, 4)))
    status, (line,) = console.call("GET", f"/merchants/{merchant.id}/stock")
    assert status == 200
    assert (line["on_hand"], line["reserved"], line["stock"], line["low_stock_threshold"]) == (10, 4, 6, 3)
    status, (public,) = console.call("GET", f"/merchants/{merchant.id}/products", who=None)
    assert "reserved" not in public and "low_stock_threshold" not in public
    assert _error(console.call("GET", f"/merchants/{merchant.id}/stock", who=OTHER_OWNER)) == (403, "NOT_YOUR_MERCHANT")
