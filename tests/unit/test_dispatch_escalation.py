"""Escalation's pure rules: the level from offers made and time waited, the bonus per level, when the wait starts,
and the new ETA the customer is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paotui.dispatch.escalation import (
    BONUS,
    CARRIER,
    OPERATIONS,
    STEPS,
    WIDEN,
    Thresholds,
    bonus_at,
    level_of,
    new_eta,
    waiting_since,
)
from paotui.platform.settings import Settings

THRESHOLDS = Thresholds(offers=(3, 5, 8, 12), seconds=(120, 240, 360, 600))
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offers", "waited", "level"),
    [
        (0, 0, 0),
        (2, 119, 0),  # neither threshold of level 1 met yet
        (3, 0, WIDEN),  # K1 offers
        (0, 120, WIDEN),  # or T1 seconds, whichever comes first
        (5, 30, BONUS),
        (4, 240, BONUS),
        (8, 0, CARRIER),
        (0, 359.9, BONUS),
        (0, 360, CARRIER),
        (12, 0, OPERATIONS),
        (1, 600, OPERATIONS),
        (50, 86_400, OPERATIONS),  # the last level is as far as it goes
        (9, 250, CARRIER),  # offers say 3, time says 2: the higher one
    ],
)
def test_the_level_is_the_highest_one_whose_offers_or_wait_is_met(offers, waited, level):
    assert level_of(offers, waited, THRESHOLDS) == level


def test_a_level_whose_offer_count_is_met_counts_even_when_an_earlier_ones_is_not():
    """Thresholds needn't be ordered: few offers allowed before the carrier, many before the bonus."""
    uneven = Thresholds(offers=(3, 50, 4, 60), seconds=(600, 600, 600, 600))
    assert level_of(4, 0, uneven) == CARRIER


def test_the_thresholds_come_from_the_settings_in_step_order():
    settings = Settings(escalation_widen_after_offers=1, escalation_operations_after_seconds=30)
    thresholds = Thresholds.of(settings)
    assert STEPS == ("widen", "bonus", "carrier", "operations")
    assert thresholds.offers[0] == 1 and thresholds.seconds[OPERATIONS - 1] == 30
    assert len(thresholds.offers) == len(thresholds.seconds) == len(STEPS)


@pytest.mark.parametrize(("level", "bonus"), [(0, 0), (WIDEN, 0), (BONUS, 300), (CARRIER, 600), (OPERATIONS, 900)])
def test_the_bonus_starts_at_the_bonus_level_and_grows_one_step_per_level(level, bonus):
    assert bonus_at(level, 300) == bonus


def test_an_order_for_now_waits_from_its_confirmation():
    assert waiting_since(NOON, None) == NOON


def test_a_scheduled_order_waits_from_when_it_is_due_for_dispatch():
    due = NOON + timedelta(hours=3)
    assert waiting_since(NOON, due) == due
    assert waiting_since(NOON, NOON - timedelta(minutes=5)) == NOON  # due already when confirmed


def test_the_new_eta_is_the_wait_for_a_rider_then_the_ride():
    ready = NOON + timedelta(minutes=5)
    assert new_eta(NOON, ready, ride_minutes=12, wait_seconds=900) == NOON + timedelta(minutes=27)


def test_the_new_eta_waits_for_the_food_when_the_kitchen_is_slower_than_operations():
    ready = NOON + timedelta(minutes=25)
    assert new_eta(NOON, ready, ride_minutes=12, wait_seconds=900) == ready + timedelta(minutes=12)
