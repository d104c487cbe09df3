"""price_order on in-memory records: totals, fees, ETA and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from paotui.catalog.pricing import price_order
from paotui.catalog.records import DeliveryMap, FeeTierMap, MerchantRecord, ProductRecord
from paotui.platform.dynamo import LatLngMap
from paotui.platform.errors import Conflict, Unprocessable

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


def test_outside_the_area_is_out_of_range():
    refusal = _refusal(Unprocessable, _merchant(), PRODUCTS, _items(("p1", 1)), FAR)
    assert refusal.status == 422 and refusal.code == "OUT_OF_RANGE"
    assert refusal.details["radius_m"] == 5000 and refusal.details["distance_m"] > 5000


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
