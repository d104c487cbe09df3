"""Delivery fees and their breakdown, checked against hand-computed cases."""

from __future__ import annotations

import pytest

from datetime import UTC, datetime, time

from paotui.catalog.fees import FeeLine, breakdown, delivery_fee, in_window, weight_fee

TIERS = [{"up_to_m": 5000, "fee_per_km": 100}, {"up_to_m": 10000, "fee_per_km": 200}]


@pytest.mark.parametrize(
    ("distance_m", "fee"),
    [
        (0, 500),
        (3000, 500),  # the base distance is covered by the base fee
        (3001, 600),  # one metre into the 4th km starts it
        (4000, 600),
        (4001, 700),
        (5000, 700),
        (5001, 900),  # the km starting at 5 km is in the second tier
        (6200, 1100),  # km starting at 3, 4 (100 each) and 5, 6 (200 each)
        (10000, 1700),  # 3,4 → 200; 5..9 → 1000
        (12500, 2300),  # km starting at 10, 11, 12 use the last tier's rate
    ],
)
def test_tiered_fee(distance_m, fee):
    assert delivery_fee(distance_m, base_fee=500, base_distance_m=3000, tiers=TIERS) == fee


def test_tiers_may_come_in_any_order():
    assert delivery_fee(6200, base_fee=500, base_distance_m=3000, tiers=list(reversed(TIERS))) == 1100


def test_no_tiers_means_a_flat_fee():
    assert delivery_fee(9000, base_fee=800, base_distance_m=3000, tiers=[]) == 800


NIGHT = {"code": "night", "label": "夜间加价", "start": time(22), "end": time(6), "amount": 300}
PEAK = {"code": "lunch_peak", "label": "午高峰", "start": time(11, 30), "end": time(13), "amount": 200}
RULES = {
    "base_fee": 500,
    "base_distance_m": 3000,
    "tiers": TIERS,
    "surcharges": [NIGHT, PEAK],
    "weight": {"free_g": 5000, "fee_per_kg": 100},
    "free_over": 6000,
}


def _china(hour: int, minute: int = 0) -> datetime:
    """That China time (UTC+8) on 2026-11-25, as the aware UTC instant the code receives."""
    return datetime(2026, 11, 25, (hour - 8) % 24, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hour", "minute", "night", "peak"),
    [(21, 59, False, False), (22, 0, True, False), (3, 0, True, False), (5, 59, True, False), (6, 0, False, False)]
    + [(11, 29, False, False), (11, 30, False, True), (12, 59, False, True), (13, 0, False, False)],
)
def test_windows_are_china_time_and_half_open(hour, minute, night, peak):
    at = _china(hour, minute)
    assert in_window(at, NIGHT["start"], NIGHT["end"]) is night  # wraps past midnight
    assert in_window(at, PEAK["start"], PEAK["end"]) is peak


@pytest.mark.parametrize(("weight_g", "fee"), [(0, 0), (5000, 0), (5001, 100), (6000, 100), (6001, 200), (12500, 800)])
def test_weight_costs_per_started_kg_above_the_free_weight(weight_g, fee):
    assert weight_fee(weight_g, free_g=5000, fee_per_kg=100) == fee


def test_a_plain_daytime_breakdown():
    lines = breakdown(RULES, distance_m=2000, items_total=3000, weight_g=1000, at=_china(15))
    assert lines == [FeeLine("base", "基础配送费", 500)]


def test_every_line_at_night_with_a_heavy_order():
    lines = breakdown(RULES, distance_m=6200, items_total=3000, weight_g=7500, at=_china(23))
    assert [(line.code, line.amount) for line in lines] == [
        ("base", 500),
        ("distance", 600),  # km starting at 3, 4 (100 each), 5, 6 (200 each)
        ("night", 300),
        ("weight", 300),  # 2.5 kg over: 3 started kg
    ]
    assert sum(line.amount for line in lines) == 1700


def test_the_free_delivery_threshold_waives_the_distance_fee_but_not_surcharges():
    lines = breakdown(RULES, distance_m=4500, items_total=6000, weight_g=0, at=_china(12))
    assert [(line.code, line.amount) for line in lines] == [
        ("base", 500),
        ("distance", 200),
        ("lunch_peak", 200),
        ("free_delivery", -700),
    ]
    assert sum(line.amount for line in lines) == 200
    below = breakdown(RULES, distance_m=4500, items_total=5999, weight_g=0, at=_china(12))
    assert sum(line.amount for line in below) == 900


def test_no_waiver_line_when_there_is_nothing_to_waive():
    rules = {**RULES, "base_fee": 0, "tiers": []}
    assert breakdown(rules, distance_m=1000, items_total=9000, weight_g=0, at=_china(15)) == [
        FeeLine("base", "基础配送费", 0)
    ]
