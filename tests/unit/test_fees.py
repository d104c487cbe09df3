"""Delivery fees, checked against hand-computed cases."""

from __future__ import annotations

import pytest

from paotui.catalog.fees import delivery_fee, in_range

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


def test_the_radius_is_inclusive():
    assert in_range(5000, 5000) and not in_range(5001, 5000)
