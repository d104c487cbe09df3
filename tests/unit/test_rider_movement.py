"""Judging a rider's points (riders.movement) and the shapes riders send them in (riders.models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from paotui.notify.templates import presence_offline_message
from paotui.platform.errors import Unprocessable
from paotui.riders.models import LocationBatch, UpdateAvailability
from paotui.riders.movement import Fix, admit, judge, newest_trusted, speed_kmh
from paotui.riders.records import RiderState

T0 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
SHOP = (31.2335, 121.4760)
METRES_PER_DEGREE_LAT = 111_195  # on the sphere geo.haversine_m uses


def north(metres: float, seconds: float) -> Fix:
    """A fix ``metres`` north of the shop, ``seconds`` after T0."""
    return Fix(SHOP[0] + metres / METRES_PER_DEGREE_LAT, SHOP[1], T0 + timedelta(seconds=seconds))


def test_speed_is_distance_over_time_in_kmh():
    assert speed_kmh(north(0, 0), north(1000, 60)) == pytest.approx(60, rel=1e-3)
    assert speed_kmh(north(1000, 60), north(0, 0)) == pytest.approx(60, rel=1e-3)  # order doesn't matter
    # phones round their clocks: points less than a second apart count as a second apart
    assert speed_kmh(north(0, 0), north(10, 0)) == pytest.approx(36, rel=1e-3)


def test_a_jump_beyond_the_limit_is_suspect_and_the_next_point_is_judged_from_the_last_trusted_one():
    stored = north(0, 0)
    fixes = [north(500, 30), north(5000, 40), north(900, 60)]  # 60 km/h, then 5 km in 10 s, then back on the road
    judged = judge(fixes, stored, max_speed_kmh=150)
    assert [j.suspect for j in judged] == [False, True, False]
    assert newest_trusted(judged, after=stored.at) == north(900, 60)


def test_just_under_and_just_over_the_limit():
    metres_in_a_minute_at_150 = 150_000 / 60
    assert not judge([north(metres_in_a_minute_at_150 * 0.99, 60)], north(0, 0), 150)[0].suspect
    assert judge([north(metres_in_a_minute_at_150 * 1.01, 60)], north(0, 0), 150)[0].suspect


def test_points_are_judged_in_time_order_whatever_order_they_came_in():
    judged = judge([north(1000, 60), north(500, 30)], north(0, 0), 150)
    assert [j.fix.at for j in judged] == [T0 + timedelta(seconds=30), T0 + timedelta(seconds=60)]
    assert not any(j.suspect for j in judged)


def test_without_a_stored_position_the_first_point_is_trusted_and_the_batch_judged_within_itself():
    judged = judge([north(50_000, 0), north(50_100, 10), north(0, 20)], None, 150)
    assert [j.suspect for j in judged] == [False, False, True]


def test_a_point_older_than_the_stored_position_never_moves_the_rider():
    stored = north(0, 100)
    judged = judge([north(100, 90)], stored, 150)
    assert not judged[0].suspect
    assert newest_trusted(judged, after=stored.at) is None
    assert newest_trusted(judge([north(100, 110)], stored, 150), after=stored.at) == north(100, 110)


def test_all_suspect_moves_nobody():
    assert newest_trusted(judge([north(20_000, 5)], north(0, 0), 150), after=T0) is None


def test_times_from_the_future_or_too_long_ago_are_refused_with_the_point_named():
    now = T0
    admitted = admit([north(0, 29), north(0, -599)], now, max_age_seconds=600, skew_seconds=30)
    assert [fix.at for fix in admitted] == [now, now - timedelta(seconds=599)]  # a phone a little ahead: now
    with pytest.raises(Unprocessable) as future:
        admit([north(0, 0), north(0, 31)], now, max_age_seconds=600, skew_seconds=30)
    assert future.value.code == "POINT_IN_FUTURE" and future.value.details["index"] == 1
    with pytest.raises(Unprocessable) as old:
        admit([north(0, -601)], now, max_age_seconds=600, skew_seconds=30)
    assert old.value.code == "POINT_TOO_OLD" and old.value.details["index"] == 0


def test_a_batch_has_one_to_fifty_points_with_zoned_times():
    point = {"lat": 31.23, "lng": 121.47, "at": "2026-11-25T04:00:00.000Z"}
    batch = LocationBatch.model_validate({"points": [point, {**point, "accuracy_m": 8}]})
    assert batch.points[0].at == T0 and batch.points[1].accuracy_m == 8
    for bad in (
        {"points": []},
        {"points": [point] * 51},
        {"points": [{**point, "at": "2026-11-25T04:00:00"}]},  # no zone: ambiguous
        {"points": [{**point, "lat": 91}]},
        {"points": [{**point, "speed": 3}]},
        {"points": [point], "lat": 31.2},
    ):
        with pytest.raises(ValidationError):
            LocationBatch.model_validate(bad)


def test_availability_is_online_or_a_state_but_not_both():
    assert UpdateAvailability.model_validate({"online": True}).wanted is RiderState.ONLINE
    assert UpdateAvailability.model_validate({"online": False}).wanted is RiderState.OFFLINE
    assert UpdateAvailability.model_validate({"state": "break"}).wanted is RiderState.BREAK
    for bad in ({}, {"online": True, "state": "online"}, {"state": "away"}, {"state": None}):
        with pytest.raises(ValidationError):
            UpdateAvailability.model_validate(bad)


def test_the_presence_notice_names_the_silence_in_either_language():
    zh = presence_offline_message(silent_minutes=10)
    en = presence_offline_message(silent_minutes=2.5, locale="en-US")
    assert zh.title == "已自动下线" and "10 分钟" in zh.body
    assert en.title == "You are offline" and "2.5 minutes" in en.body
