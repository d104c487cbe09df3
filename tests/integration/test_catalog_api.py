"""CatalogApi against moto: merchants near a point, product lists and quotes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.integration import builders
from tests.integration.builders import (
    DELIVERY,
    LAMBDA_CONTEXT,
    SHOP,
    answer,
    api_event,
    load_handler,
    merchant_with_products,
)

# SHOP is builders' merchant: 老王生煎, radius 5 km
WEST = {"lat": 31.2290, "lng": 121.4590}  # 1.7 km west of SHOP
HOME = {"lat": builders.HOME["lat"], "lng": builders.HOME["lng"]}  # 408 m from SHOP; a point, not an address
FAR = {"lat": 31.2900, "lng": 121.4760}  # 6.3 km north of SHOP
HOME_QUERY = {"lat": str(HOME["lat"]), "lng": str(HOME["lng"])}


class Api:
    def __init__(self) -> None:
        from paotui.catalog.api import router
        from paotui.platform.http import create_app

        self.app = create_app(router)

    def get(self, path: str, **query: str) -> tuple[int, Any]:
        return answer(self.app.resolve(api_event("GET", path, query=query or None), None))

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return answer(self.app.resolve(api_event("POST", path, body=body), None))


@pytest.fixture
def api(aws):
    return Api()


def _merchant(location: dict[str, float], radius_m: int, owner_id: str = "usr_owner"):
    from paotui.catalog.service import create_merchant

    return create_merchant(
        owner_id=owner_id,
        name=f"shop {radius_m}",
        phone="+8613800000199",
        location=location,
        address="somewhere",
        delivery={**DELIVERY, "radius_m": radius_m},
        prep_minutes=15,
    )


def test_merchants_that_deliver_to_the_point_nearest_first(api):
    near, _ = merchant_with_products(5)
    west = _merchant(WEST, 5000)
    _merchant(WEST, 1000)  # 1.7 km away: its own radius does not reach HOME
    _merchant({"lat": 31.3300, "lng": 121.4760}, 10000)  # 11 km away: beyond the widest radius
    status, page = api.get("/merchants", lat=str(HOME["lat"]), lng=str(HOME["lng"]))
    assert status == 200 and page["next_cursor"] is None
    merchants = page["items"]
    assert [m["id"] for m in merchants] == [near.id, west.id]
    first = merchants[0]
    assert first["distance_m"] == 408 and first["delivery_fee"] == 500 and first["open"] is True
    assert first["location"] == SHOP and first["eta_minutes"] == 10 + 2 and first["eta"].endswith("Z")


def test_nearby_merchants_come_in_pages(api):
    shops = [_merchant(builders.near(SHOP, 100 * i), 5000) for i in range(5)]
    ids, cursor, pages = [], None, 0
    while True:
        query = {"lat": str(SHOP["lat"]), "lng": str(SHOP["lng"]), "limit": "2"} | (
            {"cursor": cursor} if cursor else {}
        )
        status, page = api.get("/merchants", **query)
        assert status == 200 and len(page["items"]) <= 2
        ids += [m["id"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (ids, pages) == ([shop.id for shop in shops], 3)


def _hours_from(hours_ahead: int) -> dict[str, list[list[str]]]:
    """Every day open two hours, starting ``hours_ahead`` from now (Asia/Shanghai)."""
    from datetime import datetime, timedelta

    from paotui.catalog.hours import LOCAL, WEEKDAYS

    start = datetime.now(LOCAL).replace(second=0, microsecond=0) + timedelta(hours=hours_ahead, minutes=-1)
    span = [start.strftime("%H:%M"), (start + timedelta(hours=2)).strftime("%H:%M")]
    return {day: [span] for day in WEEKDAYS}


def _set(merchant, **fields) -> None:
    from paotui.catalog.records import MerchantRecord

    merchant.update(actions=[getattr(MerchantRecord, name).set(value) for name, value in fields.items()])


def test_only_merchants_taking_orders_are_listed(api):
    open_now = _merchant(builders.near(SHOP, 100), 5000)
    opens_soon = _merchant(builders.near(SHOP, 200), 5000)
    _set(opens_soon, hours=_hours_from(3))
    _set(_merchant(builders.near(SHOP, 300), 5000), open=False)  # paused
    _set(_merchant(builders.near(SHOP, 400), 5000), hours={})  # never opens
    _set(_merchant(builders.near(SHOP, 500), 5000), hours=_hours_from(3), holidays=_next_days(2))
    status, page = api.get("/merchants", lat=str(SHOP["lat"]), lng=str(SHOP["lng"]))
    assert status == 200
    assert [(m["id"], m["open"]) for m in page["items"]] == [(open_now.id, True), (opens_soon.id, False)]


def _next_days(count: int) -> list[str]:
    from datetime import datetime, timedelta

    from paotui.catalog.hours import LOCAL

    today = datetime.now(LOCAL).date()
    return [(today + timedelta(days=offset)).isoformat() for offset in range(count)]


def test_a_keyword_finds_merchants_by_their_or_their_products_names(api):
    from paotui.catalog.service import add_product

    by_name = _merchant(builders.near(SHOP, 100), 5000)
    _set(by_name, name="ＫＦＣ 肯德基 南京路店")
    by_product = _merchant(builders.near(SHOP, 200), 5000)
    add_product(by_product.id, "香辣鸡腿堡", 2500, None)
    off_sale = _merchant(builders.near(SHOP, 300), 5000)
    add_product(off_sale.id, "鸡腿饭", 2000, None, on_sale=False)
    _merchant(builders.near(SHOP, 400), 5000)
    query = {"lat": str(SHOP["lat"]), "lng": str(SHOP["lng"])}
    assert [m["id"] for m in api.get("/merchants", **query, q="鸡腿")[1]["items"]] == [by_product.id]
    assert [m["id"] for m in api.get("/merchants", **query, q="kfc")[1]["items"]] == [by_name.id]
    status, page = api.get("/merchants", **query, q="肯德基", limit="1")
    assert status == 200 and [m["id"] for m in page["items"]] == [by_name.id] and page["next_cursor"] is None
    assert api.get("/merchants", **query, q="披萨")[1] == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "51"}, {"cursor": "not-ours"}])
def test_bad_pages_are_422(api, query):
    status, body = api.get("/merchants", lat=str(SHOP["lat"]), lng=str(SHOP["lng"]), **query)
    assert status == 422 and body["error"]["code"] in ("VALIDATION_ERROR", "INVALID_CURSOR")


@pytest.mark.parametrize("position", ['[1e999, "mer_x"]', '[-1e999, "mer_x"]', '[NaN, "mer_x"]'])
def test_a_forged_cursor_is_422(api, position):
    """Anyone can forge a cursor; one whose distance is no integer (infinite, not a number) is refused as any other
    bad cursor, not answered with a 500."""
    merchant_with_products(1)
    cursor = base64.urlsafe_b64encode(position.encode()).decode()
    status, body = api.get("/merchants", **HOME_QUERY, cursor=cursor)
    assert (status, body["error"]["code"]) == (422, "INVALID_CURSOR")


def test_no_merchant_delivers_far_away(api):
    merchant_with_products(5)
    assert api.get("/merchants", lat=str(FAR["lat"]), lng=str(FAR["lng"])) == (200, {"items": [], "next_cursor": None})


@pytest.mark.parametrize("query", [{"lat": "91", "lng": "121.47"}, {"lat": "abc", "lng": "121.47"}, {"lat": "31.23"}])
def test_bad_coordinates_are_422(api, query):
    status, body = api.get("/merchants", **query)
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")


def test_products_show_what_customers_can_still_order(api):
    from paotui.catalog.records import ProductRecord
    from paotui.catalog.stock import stage_reservation
    from paotui.platform.dynamo import transact_write

    merchant, (dumplings, soup, curry) = merchant_with_products(10, 2, 3)
    with transact_write() as transaction:
        stage_reservation(transaction, merchant.id, soup.id, "ord_1", 2)
    curry.update(actions=[ProductRecord.on_sale.set(False)])
    status, products = api.get(f"/merchants/{merchant.id}/products")
    assert status == 200
    assert {p["id"]: (p["stock"], p["available"]) for p in products} == {
        dumplings.id: (10, True),
        soup.id: (0, False),
        curry.id: (3, False),
    }
    contract = {"id": dumplings.id, "name": dumplings.name, "price": 1000, "stock": 10, "available": True}
    assert {key: products[0][key] for key in contract} == contract  # API.md's fields; the console's come on top


def test_products_of_an_unknown_merchant_are_404(api):
    status, body = api.get("/merchants/mer_nope/products")
    assert (status, body["error"]["code"]) == (404, "MERCHANT_NOT_FOUND")


def _quote(api: Api, merchant_id: str, lines: list[tuple[str, int]], address: dict[str, float] = HOME, **extra: Any):
    items = [{"product_id": product_id, "quantity": quantity} for product_id, quantity in lines]
    return api.post("/quotes", {"merchant_id": merchant_id, "items": items, "address": address, **extra})


def test_a_quote_prices_items_and_delivery(api):
    merchant, (dumplings, soup) = merchant_with_products(10, 5)
    status, quote = _quote(api, merchant.id, [(dumplings.id, 2), (soup.id, 1)])
    assert status == 200
    assert quote["items_total"] == 2 * 1000 + 1001
    assert quote["delivery_fee"] == 500 and quote["distance_m"] == 408
    assert quote["total"] == quote["items_total"] + quote["delivery_fee"]
    assert quote["eta"].endswith("Z") and quote["eta_minutes"] == 12


def test_a_scheduled_quote_arrives_when_asked(api):
    from datetime import timedelta

    from paotui.platform import clock

    merchant, (dumplings,) = merchant_with_products(10)
    at = clock.iso(clock.now().replace(second=0, microsecond=0) + timedelta(days=3))
    status, quote = _quote(api, merchant.id, [(dumplings.id, 1)], scheduled_for=at)
    assert (status, quote["eta"]) == (200, at)
    status, body = _quote(api, merchant.id, [(dumplings.id, 1)], scheduled_for=at.removesuffix("Z"))
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")  # a time without a zone is ambiguous
    status, body = _quote(api, merchant.id, [(dumplings.id, 1)], scheduled_for="2099-01-01T08:00:00Z")
    assert (status, body["error"]["code"]) == (422, "SCHEDULE_TOO_FAR")


def test_a_merchant_closed_now_quotes_only_scheduled_orders(api):
    from datetime import datetime, timedelta

    from paotui.platform import clock

    merchant, (dumplings,) = merchant_with_products(10)
    _set(merchant, hours=_hours_from(3))
    status, body = _quote(api, merchant.id, [(dumplings.id, 1)])
    assert (status, body["error"]["code"]) == (422, "MERCHANT_CLOSED") and body["error"]["details"]["next_opening"]
    within = clock.iso(datetime.now().astimezone() + timedelta(hours=3, minutes=30))
    status, quote = _quote(api, merchant.id, [(dumplings.id, 1)], scheduled_for=within)
    assert (status, quote["eta"]) == (200, within)
    outside = clock.iso(datetime.now().astimezone() + timedelta(hours=6))
    status, body = _quote(api, merchant.id, [(dumplings.id, 1)], scheduled_for=outside)
    assert (status, body["error"]["code"]) == (422, "MERCHANT_CLOSED")


def test_quote_refusals(api):
    merchant, (dumplings,) = merchant_with_products(10)
    _, (elsewhere,) = merchant_with_products(10)

    status, body = _quote(api, merchant.id, [(dumplings.id, 1)], FAR)
    assert (status, body["error"]["code"]) == (422, "OUT_OF_RANGE")
    status, body = _quote(api, merchant.id, [(elsewhere.id, 1)])
    assert (status, body["error"]["code"], body["error"]["details"]) == (
        422,
        "UNKNOWN_PRODUCT",
        {"product_ids": [elsewhere.id]},
    )
    status, body = _quote(api, merchant.id, [(dumplings.id, 11)])
    assert (status, body["error"]["code"]) == (409, "OUT_OF_STOCK")
    status, body = _quote(api, "mer_nope", [(dumplings.id, 1)])
    assert (status, body["error"]["code"]) == (404, "MERCHANT_NOT_FOUND")


@pytest.mark.parametrize(
    "patch",
    [{"items": [{"product_id": "p", "quantity": 0}]}, {"items": []}, {"address": {"lat": 31.2}}, {"tip": 100}],
)
def test_malformed_quotes_are_422(api, patch):
    body = {"merchant_id": "mer_1", "items": [{"product_id": "p", "quantity": 1}], "address": HOME, **patch}
    status, answer_body = api.post("/quotes", body)
    assert (status, answer_body["error"]["code"]) == (422, "VALIDATION_ERROR")


def test_owners_find_their_merchants(aws):
    from paotui.catalog.service import owned_merchant_ids

    mine = _merchant(SHOP, 3000, owner_id="usr_a")
    _merchant(SHOP, 3000, owner_id="usr_b")
    assert owned_merchant_ids("usr_a") == [mine.id]


def test_a_merchant_radius_is_bounded(aws):
    from paotui.platform.errors import Unprocessable

    with pytest.raises(Unprocessable) as refused:
        _merchant(SHOP, 20000)
    assert refused.value.code == "INVALID_RADIUS"


def test_the_handler_serves_the_router(aws):
    merchant, _ = merchant_with_products(1)
    handler = load_handler("CatalogApi")
    event = api_event("GET", "/merchants", query={"lat": str(HOME["lat"]), "lng": str(HOME["lng"])})
    status, page = answer(handler(event, LAMBDA_CONTEXT))
    assert status == 200 and [m["id"] for m in page["items"]] == [merchant.id]


def _local_today():
    from datetime import datetime

    from paotui.catalog.hours import LOCAL

    return datetime.now(LOCAL).date()


def test_slots_leave_out_past_ones_and_show_full_ones(api):
    from datetime import timedelta

    from paotui.orders import service
    from paotui.platform import clock
    from paotui.platform.errors import Conflict

    merchant, (dumplings,) = merchant_with_products(10)
    _set(merchant, hours=_hours_from(3), slot_minutes=60, slot_capacity=1)
    tomorrow = (_local_today() + timedelta(days=1)).isoformat()
    status, slots = api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date=tomorrow)
    assert status == 200 and [s["available"] for s in slots] == [True, True]
    first = slots[0]
    assert clock.parse_iso(first["end"]) - clock.parse_iso(first["start"]) == timedelta(hours=1)

    merchant.refresh()
    request = builders.order_request(merchant, (dumplings, 1)).model_copy(
        update={"scheduled_for": clock.parse_iso(first["start"]) + timedelta(minutes=10)}
    )
    order, _ = service.place_order(builders.CUSTOMER.user_id, "slot-1", request)
    assert order.scheduled_for
    with pytest.raises(Conflict) as refused:
        service.place_order(builders.CUSTOMER.user_id, "slot-2", request)
    assert refused.value.code == "SLOT_FULL"
    assert builders.stock_of(dumplings) == (10, 1, 9)  # the refused order held nothing
    status, slots = api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date=tomorrow)
    assert [s["available"] for s in slots] == [False, True]

    stock_worker = builders.load_handler("StockWorker")
    for _ in range(2):  # the cancellation published twice, under two event ids
        cancelled = builders.order_event(order, "CANCELLED", "PENDING_PAYMENT")
        assert stock_worker(builders.sqs_event(cancelled), builders.LAMBDA_CONTEXT) == {"batchItemFailures": []}
    status, slots = api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date=tomorrow)
    assert [s["available"] for s in slots] == [True, True], "the cancelled order gave its place back"
    from paotui.catalog.records import SlotRecord

    assert int(SlotRecord.get(merchant.id, order.slot_start).taken) == 0, "and only once"


def test_a_slot_capacity_of_zero_takes_no_scheduled_order(api):
    """A slot capacity of 0 means "0 takes none" (PATCH /merchants/{id}): even a slot nobody booked yet is full."""
    from datetime import timedelta

    from paotui.orders import service
    from paotui.platform import clock
    from paotui.platform.errors import Conflict

    merchant, (dumplings,) = merchant_with_products(10)
    _set(merchant, hours=_hours_from(3), slot_minutes=60, slot_capacity=0)
    tomorrow = (_local_today() + timedelta(days=1)).isoformat()
    status, slots = api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date=tomorrow)
    assert status == 200 and [s["available"] for s in slots] == [False, False]

    merchant.refresh()
    request = builders.order_request(merchant, (dumplings, 1)).model_copy(
        update={"scheduled_for": clock.parse_iso(slots[0]["start"]) + timedelta(minutes=10)}
    )
    with pytest.raises(Conflict) as refused:
        service.place_order(builders.CUSTOMER.user_id, "slot-1", request)
    assert refused.value.code == "SLOT_FULL"
    assert builders.stock_of(dumplings) == (10, 0, 10)  # the refused order held nothing


def test_slots_are_listed_only_as_far_ahead_as_orders_may_be_booked(api):
    from datetime import timedelta

    from paotui.platform import clock
    from paotui.platform.settings import get_settings

    merchant, _ = merchant_with_products(1)
    _set(merchant, hours=_hours_from(3), slot_minutes=60)
    horizon = clock.now() + timedelta(days=get_settings().schedule_max_days)
    last_day = clock.china_day(horizon)
    status, slots = api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date=last_day.isoformat())
    assert status == 200 and all(clock.parse_iso(slot["start"]) <= horizon for slot in slots)
    for beyond in (last_day + timedelta(days=1), "9999-12-31", "0001-01-01"):  # the calendar's ends were a 500
        assert api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date=str(beyond)) == (200, [])


def test_slots_need_a_point_the_merchant_delivers_to(api):
    merchant, _ = merchant_with_products(1)
    status, body = api.get(
        f"/merchants/{merchant.id}/slots", lat=str(FAR["lat"]), lng=str(FAR["lng"]), date="2099-01-01"
    )
    assert (status, body["error"]["code"]) == (422, "OUT_OF_RANGE")
    status, body = api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date="tomorrow")
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")
    _set(merchant, open=False)
    assert api.get(f"/merchants/{merchant.id}/slots", **HOME_QUERY, date="2099-01-01") == (200, [])
