"""Errand pricing and request rules, with the platform's default fee rules (base 800 fen for 3 km,
200 fen/km to 10 km, 300 fen/km beyond, 500 fen between 22:00 and 06:00, 200 fen per kg above 5 kg)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from paotui.orders.errands import price_errand
from paotui.orders.models import ErrandQuoteRequest, PlaceErrand
from paotui.platform.errors import Unprocessable
from paotui.platform.geo import EARTH_RADIUS_M
from paotui.platform.settings import get_settings

NOON_IN_SHANGHAI = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
A = {"lat": 31.2304, "lng": 121.4737}
CONTACT = {"contact_name": "陈女士", "contact_phone": "+8613800000301"}


def north_of(point: dict, metres: float) -> dict:
    """The point ``metres`` due north: along a meridian the haversine distance is exactly that."""
    return {"lat": point["lat"] + math.degrees(metres / EARTH_RADIUS_M), "lng": point["lng"]}


def quote(metres: float, *, now: datetime = NOON_IN_SHANGHAI, **fields):
    request = ErrandQuoteRequest.model_validate({"type": "send", "pickup": A, "dropoff": north_of(A, metres), **fields})
    return price_errand(request, now=now)


def codes(errand_quote) -> dict[str, int]:
    return {line.code: line.amount for line in errand_quote.breakdown}


@pytest.mark.parametrize(
    ("metres", "fee"),
    [
        (2_500, 800),  # within the base distance
        (3_001, 1_000),  # one metre into the 4th km starts it
        (6_200, 1_600),  # km starting at 3, 4, 5, 6: 200 each
        (12_400, 3_100),  # 3..9 at 200, then 10, 11, 12 at the last tier's 300
    ],
)
def test_distance_tiers(metres, fee):
    priced = quote(metres)
    assert (priced.distance_m, priced.delivery_fee, priced.total) == (round(metres), fee, fee)
    assert sum(codes(priced).values()) == fee


def test_weight_above_five_kilograms_costs_per_started_kilogram():
    assert "weight" not in codes(quote(2_500, weight_g=5_000))
    priced = quote(2_500, weight_g=7_200)
    assert codes(priced) == {"base": 800, "weight": 3 * 200}
    assert priced.delivery_fee == 1_400


def test_night_surcharge_is_matched_at_the_delivery_time():
    evening = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)  # 21:30 in Shanghai
    assert "night" not in codes(quote(2_500, now=evening - timedelta(minutes=1)))  # delivered at 21:59
    late = quote(2_500, now=evening)  # picked up at 21:50, after the 20 min lead; 10 min ride: 22:00
    assert codes(late) == {"base": 800, "night": 500}
    assert late.eta == "2026-11-25T14:00:00.000Z"


def test_eta_is_the_lead_time_and_the_ride_or_the_asked_pickup_and_the_ride():
    asap = quote(2_500)
    assert asap.eta_minutes == 20 + 10  # the rider reaches the pick-up, then rides 2.5 km at 250 m/min
    at_eleven = NOON_IN_SHANGHAI + timedelta(hours=11)  # 23:00 in Shanghai: night
    scheduled = quote(2_500, pickup_at=at_eleven.isoformat())
    assert scheduled.eta == "2026-11-25T15:10:00.000Z" and scheduled.eta_minutes == 11 * 60 + 10
    assert codes(scheduled)["night"] == 500


@pytest.mark.parametrize(
    ("metres", "code"),
    [(30, "POINTS_TOO_CLOSE"), (0, "POINTS_TOO_CLOSE"), (20_001, "OUT_OF_RANGE"), (35_000, "OUT_OF_RANGE")],
)
def test_distance_bounds(metres, code):
    with pytest.raises(Unprocessable) as refused:
        quote(metres)
    assert refused.value.code == code
    assert refused.value.details["distance_m"] == round(metres)


def test_the_limits_themselves_are_accepted():
    assert quote(50).delivery_fee == 800
    assert quote(20_000).distance_m == 20_000


def test_a_pickup_in_the_past_is_refused():
    with pytest.raises(Unprocessable) as refused:
        quote(2_500, pickup_at=(NOON_IN_SHANGHAI - timedelta(minutes=1)).isoformat())
    assert refused.value.code == "SCHEDULE_IN_PAST"


def test_a_pickup_further_ahead_than_errands_are_booked_is_refused():
    horizon = NOON_IN_SHANGHAI + timedelta(days=get_settings().schedule_max_days)
    assert quote(2_500, pickup_at=horizon.isoformat()).eta == "2026-12-02T04:10:00.000Z"
    for too_far in (horizon + timedelta(minutes=1), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)):
        with pytest.raises(Unprocessable) as refused:
            quote(2_500, pickup_at=too_far.isoformat())
        assert (refused.value.code, refused.value.details) == ("SCHEDULE_TOO_FAR", {"max_days": 7})


def test_the_fee_rules_are_a_setting(monkeypatch):
    monkeypatch.setenv("ERRAND_FEE_RULES", '{"base_fee": 1000, "base_distance_m": 1000, "tiers": []}')
    monkeypatch.setenv("ERRAND_MAX_DISTANCE_M", "5000")
    get_settings.cache_clear()
    try:
        assert quote(4_000).delivery_fee == 1_000  # no tiers: the base fee covers any distance in range
        with pytest.raises(Unprocessable):
            quote(6_000)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


# --- what a request may say ----------------------------------------------------------------------


def errand(type_: str = "send", **overrides) -> dict:
    body = {
        "type": type_,
        "item": "一份文件",
        "pickup": {**A, "detail": "人民广场 1 号楼", **CONTACT},
        "dropoff": {**north_of(A, 2_500), "detail": "南京西路 200 号", **CONTACT},
    }
    return {**body, **overrides}


def refusal(body: dict) -> str:
    with pytest.raises(ValidationError) as refused:
        PlaceErrand.model_validate(body)
    return str(refused.value)


def test_each_type_takes_what_it_needs():
    PlaceErrand.model_validate(errand("send", weight_g=50_000, note="易碎"))
    PlaceErrand.model_validate(errand("fetch"))
    shop = {**A, "detail": "南京东路 1 号", "name": "全家便利店"}
    PlaceErrand.model_validate(errand("buy", pickup=shop, goods_estimate=200_000))


def test_goods_estimate_only_for_buy_and_required_there():
    assert "goods_estimate" in refusal(errand("send", goods_estimate=500))
    assert "goods_estimate" in refusal(errand("buy"))
    assert "at most 200000" in refusal(errand("buy", goods_estimate=200_001))
    assert "greater than 0" in refusal(errand("buy", goods_estimate=0))


@pytest.mark.parametrize("type_", ["send", "fetch"])
def test_send_and_fetch_need_someone_at_the_pickup(type_):
    assert "contact" in refusal(errand(type_, pickup={**A, "detail": "人民广场 1 号楼"}))


@pytest.mark.parametrize(
    "overrides",
    [
        {"pickup": {"lat": 1.0, "lng": 121.47, "detail": "赤道", **CONTACT}},  # south of China
        {"dropoff": {"lat": 31.23, "lng": 140.0, "detail": "太平洋", **CONTACT}},  # east of China
        {"item": ""},
        {"item": "x" * 201},
        {"weight_g": -1},
        {"weight_g": 50_001},
        {"type": "carry"},
        {"merchant_id": "mer_1"},  # unknown fields are refused
    ],
)
def test_bad_requests_are_refused(overrides):
    refusal(errand(**overrides))
