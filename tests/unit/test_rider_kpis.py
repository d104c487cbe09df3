"""KPI periods in China time, the rates' arithmetic (null without data) and the leaderboard's order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paotui.riders.kpis import Kpis, period_of, periods_of, rank


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "key"),
    [
        ("day", date(2026, 11, 25), date(2026, 11, 25), date(2026, 11, 25), "day#2026-11-25"),
        ("week", date(2026, 11, 25), date(2026, 11, 23), date(2026, 11, 29), "week#2026-W48"),
        ("week", date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 3), "week#2026-W53"),  # ISO year
        ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28), "month#2026-02"),
        ("month", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31), "month#2026-12"),
    ],
)
def test_periods(kind, day, start, end, key):
    period = period_of(kind, day)
    assert (period.start, period.end, period.key) == (start, end, key)


def test_a_moment_counts_in_its_china_day_week_and_month():
    late_utc_evening = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in China
    assert [p.key for p in periods_of(late_utc_evening)] == ["day#2026-12-01", "week#2026-W49", "month#2026-12"]


def test_rates_are_null_without_a_denominator():
    kpis = Kpis.of_counts(period_of("day", date(2026, 11, 25)), {})
    assert (kpis.completion_rate, kpis.on_time_rate, kpis.acceptance_rate, kpis.average_rating) == (None,) * 4
    assert kpis.delivered == kpis.earnings == 0


def test_rates():
    kpis = Kpis.of_counts(
        period_of("week", date(2026, 11, 25)),
        {
            "delivered": 8,
            "failed": 1,
            "cancelled": 1,
            "on_time": 6,
            "late": 1,  # one delivery had no promised time
            "offers_accepted": 10,
            "offers_rejected": 3,
            "offers_expired": 2,
            "rating_sum": 14,
            "rating_count": 3,
            "earnings": 5230,
        },
    )
    assert kpis.completion_rate == 0.8
    assert kpis.on_time_rate == 0.8571
    assert kpis.acceptance_rate == 0.6667
    assert kpis.average_rating == 4.67
    assert (kpis.start, kpis.end, kpis.earnings) == (date(2026, 11, 23), date(2026, 11, 29), 5230)


def test_leaderboard_order_puts_riders_without_a_value_last_and_breaks_ties_by_id():
    period = period_of("day", date(2026, 11, 25))
    entries = [
        ("rider_c", Kpis.of_counts(period, {"on_time": 1, "late": 1})),
        ("rider_a", Kpis.of_counts(period, {"offers_accepted": 1})),  # no deliveries: no on-time rate
        ("rider_b", Kpis.of_counts(period, {"on_time": 3})),
        ("rider_d", Kpis.of_counts(period, {"on_time": 2, "late": 2})),
    ]
    ranked = rank(entries, "on_time_rate", limit=10)
    assert [(position, rider) for position, rider, _ in ranked] == [
        (1, "rider_b"),
        (2, "rider_c"),
        (3, "rider_d"),
        (4, "rider_a"),
    ]
    assert [rider for _, rider, _ in rank(entries, "on_time_rate", limit=2)] == ["rider_b", "rider_c"]
