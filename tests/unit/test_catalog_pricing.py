"""price_order on in-memory records: totals, fees, ETA and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from paotui.catalog.delivery import DeliverySettings, indexed
from paotui.catalog.pricing import price_order
from paotui.catalog.records import DeliveryMap, FeeTierMap, MerchantRecord, ProductRecord
from paotui.platform.dynamo import LatLngMap
from paotui.platform.errors import Conflict, Unprocessable
from paotui.platform.settings import get_settings

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
SHOP = (31.2335, 121.4760)
NEAR = SimpleNamespace(lat=31.2304, lng=121.4737)  # 344.7 m north, 218.7 m west: 408 m
FAR = SimpleNamespace(lat=31.2900, lng=121.4760)  # about 6.3 km north


def _merchant(**overrides) -> MerchantRecord:
    delivery = DeliveryMap(
        radius_m=5000,
        base_fee=500,
        base_distance_m=300,
        tiers=[FeeTierMap(up_to_m=5000, fee_per_km=100)],
        min_order=overrides.pop("min_order", 0),
    )
    values = {"open": True, "prep_minutes": 10, "name": "老王生煎"}
    values.update(overrides)
    return MerchantRecord("mer_1", location=LatLngMap(lat=SHOP[0], lng=SHOP[1]), delivery=delivery, **values)


def _product(product_id: str, price: int, available: int, on_sale: bool = True) -> ProductRecord:
    return ProductRecord("mer_1", product_id, name=product_id, price=price, available=available, on_sale=on_sale)


PRODUCTS = {"p1": _product("p1", 1800, 10), "p2": _product("p2", 1600, 1), "p3": _product("p3", 900, 5, on_sale=False)}


def _items(*lines):
    return [SimpleNamespace(product_id=product_id, quantity=quantity) for product_id, quantity in lines]


def _refusal(kind, *args, **kwargs):
    with pytest.raises(kind) as refused:
        price_order(*args, now=NOW, **kwargs)
    return refused.value


def test_totals_fee_and_eta():
    quote = price_order(_merchant(), PRODUCTS, _items(("p1", 2), ("p2", 1)), NEAR, now=NOW)
    assert quote.distance_m == 408
    assert quote.items_total == 2 * 1800 + 1600
    assert quote.delivery_fee == 500 + 100  # 108 m past the base distance starts one km
    assert quote.total == quote.items_total + quote.delivery_fee
    assert quote.eta_minutes == 10 + 2  # prep + 408 m at 250 m/min, rounded up
    assert quote.eta == "2026-11-25T04:12:00.000Z"
    assert [(line.product_id, line.line_total) for line in quote.lines] == [("p1", 3600), ("p2", 1600)]


def test_a_scheduled_order_arrives_when_asked():
    later = NOW + timedelta(hours=3)
    quote = price_order(_merchant(), PRODUCTS, _items(("p1", 1)), NEAR, scheduled_for=later, now=NOW)
    assert quote.eta == "2026-11-25T07:00:00.000Z" and quote.eta_minutes == 180
    past = NOW - timedelta(minutes=1)
    refusal = _refusal(Unprocessable, _merchant(), PRODUCTS, _items(("p1", 1)), NEAR, scheduled_for=past)
    assert refusal.code == "SCHEDULE_IN_PAST"


def test_an_order_booked_further_ahead_than_the_schedule_reaches_is_refused():
    horizon = NOW + timedelta(days=get_settings().schedule_max_days)  # 12:00 in Shanghai, as NOW
    merchant = _merchant(hours=EVENINGS)
    at_six = horizon + timedelta(hours=6)
    assert price_order(merchant, PRODUCTS, _items(("p1", 1)), NEAR, scheduled_for=at_six - timedelta(days=1), now=NOW)
    for too_far in (at_six, datetime(9999, 12, 31, 23, 59, tzinfo=UTC)):  # the latter overflowed the opening hours
        refusal = _refusal(Unprocessable, merchant, PRODUCTS, _items(("p1", 1)), NEAR, scheduled_for=too_far)
        assert (refusal.code, refusal.details) == ("SCHEDULE_TOO_FAR", {"max_days": 7})


def test_outside_the_area_is_out_of_range():
    refusal = _refusal(Unprocessable, _merchant(), PRODUCTS, _items(("p1", 1)), FAR)
    assert refusal.status == 422 and refusal.code == "OUT_OF_RANGE"
    assert refusal.details["distance_m"] > 5000


def test_unknown_products_are_unprocessable():
    refusal = _refusal(Unprocessable, _merchant(), PRODUCTS, _items(("p1", 1), ("elsewhere", 1)), NEAR)
    assert refusal.code == "UNKNOWN_PRODUCT" and refusal.details == {"product_ids": ["elsewhere"]}


def test_duplicate_lines_are_unprocessable():
    assert _refusal(Unprocessable, _merchant(), PRODUCTS, _items(("p1", 1), ("p1", 2)), NEAR).code == "DUPLICATE_ITEM"


def test_short_or_unlisted_products_are_out_of_stock():
    refusal = _refusal(Conflict, _merchant(), PRODUCTS, _items(("p1", 10), ("p2", 2), ("p3", 1)), NEAR)
    assert refusal.status == 409 and refusal.code == "OUT_OF_STOCK"
    assert refusal.details == {"product_ids": ["p2", "p3"], "available": {"p2": 1, "p3": 0}}


def test_minimum_order_and_closed_merchants():
    one = _items(("p1", 1))
    assert _refusal(Unprocessable, _merchant(min_order=5000), PRODUCTS, one, NEAR).code == "BELOW_MIN_ORDER"
    assert _refusal(Unprocessable, _merchant(open=False), PRODUCTS, one, NEAR).code == "MERCHANT_CLOSED"


EVENINGS = {day: [["17:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_closed_now_takes_only_orders_scheduled_within_its_hours():
    one = _items(("p1", 1))
    refusal = _refusal(Unprocessable, _merchant(hours=EVENINGS), PRODUCTS, one, NEAR)  # 12:00 local
    assert refusal.code == "MERCHANT_CLOSED" and refusal.details == {"next_opening": "2026-11-25T09:00:00.000Z"}
    at_six = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 18:00 local
    quote = price_order(_merchant(hours=EVENINGS), PRODUCTS, one, NEAR, scheduled_for=at_six, now=NOW)
    assert quote.eta == "2026-11-25T10:00:00.000Z"
    at_ten = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 22:00 local, after closing
    refusal = _refusal(Unprocessable, _merchant(hours=EVENINGS), PRODUCTS, one, NEAR, scheduled_for=at_ten)
    assert refusal.code == "MERCHANT_CLOSED"
    assert refusal.details == {"next_opening": "2026-11-26T09:00:00.000Z"}, "the opening after the time asked for"
    holiday = _merchant(hours=EVENINGS, holidays=["2026-11-25"])
    assert _refusal(Unprocessable, holiday, PRODUCTS, one, NEAR, scheduled_for=at_six).code == "MERCHANT_CLOSED"


def test_a_paused_merchant_takes_no_scheduled_order_either():
    later = NOW + timedelta(hours=3)
    refusal = _refusal(Unprocessable, _merchant(open=False), PRODUCTS, _items(("p1", 1)), NEAR, scheduled_for=later)
    assert refusal.code == "MERCHANT_CLOSED" and refusal.details == {"next_opening": None}


def _zoned(**overrides) -> MerchantRecord:
    """A merchant with a cheap drawn area around the shop (priority 10) inside a dearer 5 km radius."""
    lat, lng = SHOP
    square = [[lng - 0.005, lat - 0.005], [lng + 0.005, lat - 0.005], [lng + 0.005, lat + 0.005]]
    square += [[lng - 0.005, lat + 0.005], [lng - 0.005, lat - 0.005]]
    night = {"code": "night", "label": "夜间", "start": "22:00", "end": "06:00", "amount": 300}
    settings = DeliverySettings.model_validate(
        {
            "areas": [
                {
                    "name": "外圈",
                    "radius_m": 5000,
                    "fees": {"base_fee": 800, "base_distance_m": 3000, "tiers": [{"up_to_m": 5000, "fee_per_km": 100}]},
                },
                {
                    "name": "步行圈",
                    "priority": 10,
                    "polygon": {"type": "Polygon", "coordinates": [square]},
                    "min_order": 2000,
                    "fees": {
                        "base_fee": 300,
                        "base_distance_m": 3000,
                        "surcharges": [night],
                        "weight": {"free_g": 1000, "fee_per_kg": 50},
                        "free_over": 5000,
                    },
                },
            ]
        }
    )
    merchant = _merchant(**overrides)
    merchant.delivery_settings = indexed(merchant, settings).model_dump_json()
    return merchant


NORTH = SimpleNamespace(lat=31.2470, lng=121.4760)  # 1.5 km north: outside the drawn area, inside the radius


def test_the_highest_priority_area_containing_the_address_prices_it():
    inner = price_order(_zoned(), PRODUCTS, _items(("p1", 2)), NEAR, now=NOW)
    assert [(line.code, line.amount) for line in inner.breakdown] == [("base", 300)]
    outer = price_order(_zoned(), PRODUCTS, _items(("p1", 1)), NORTH, now=NOW)
    assert (outer.delivery_fee, outer.distance_m) == (800, 1501)
    assert _refusal(Unprocessable, _zoned(), PRODUCTS, _items(("p1", 1)), FAR).code == "OUT_OF_RANGE"


def test_each_area_has_its_own_minimum_order():
    refusal = _refusal(Unprocessable, _zoned(), PRODUCTS, _items(("p1", 1)), NEAR)
    assert (refusal.code, refusal.details) == (
        "BELOW_MIN_ORDER",
        {"min_order": 2000, "items_total": 1800, "area": "步行圈"},
    )
    assert price_order(_zoned(), PRODUCTS, _items(("p1", 1)), NORTH, now=NOW).items_total == 1800


def test_the_breakdown_sums_to_the_fee_with_night_weight_and_free_delivery():
    heavy = {"p1": ProductRecord("mer_1", "p1", name="米 5kg", price=3000, available=9, on_sale=True, weight_g=2500)}
    night = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai; ETA 23:12
    quote = price_order(_zoned(), heavy, _items(("p1", 2)), NEAR, now=night)
    assert [(line.code, line.amount) for line in quote.breakdown] == [
        ("base", 300),
        ("night", 300),
        ("weight", 200),  # 5 kg, 1 kg free: 4 started kg at 50
        ("free_delivery", -300),  # 6000 ≥ 5000 waives the base, not the surcharges
    ]
    assert quote.delivery_fee == sum(line.amount for line in quote.breakdown) == 500
    assert quote.total == 6000 + 500
