"""Opening hours: breaks, overnight ranges, holidays, pause, and the next opening (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paotui.catalog.hours import LOCAL, check_week, is_open, next_opening

WEEK = {
    "mon": [["10:00", "14:00"], ["17:00", "21:30"]],
    "fri": [["10:00", "14:00"], ["22:00", "02:00"]],  # Friday night runs into Saturday
    "sat": [["11:00", "24:00"]],
}


def local(day: int, hh: int, mm: int = 0) -> datetime:
    """A moment in November 2026 Shanghai time: the 23rd is a Monday, the 27th a Friday."""
    return datetime(2026, 11, day, hh, mm, tzinfo=LOCAL)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(23, 9, 59), False),
        (local(23, 10), True),
        (local(23, 13, 59), True),
        (local(23, 14), False),  # the lunch break
        (local(23, 17, 30), True),
        (local(23, 21, 30), False),  # ends are exclusive
        (local(24, 12), False),  # Tuesday is not listed: closed
        (local(27, 23), True),  # Friday night
        (local(28, 1, 59), True),  # still Friday's range, on Saturday
        (local(28, 2), False),
        (local(28, 23, 59), True),  # "24:00" ends at midnight
        (local(29, 0, 30), False),
    ],
)
def test_open_within_ranges_only(at, expected):
    assert is_open(WEEK, [], False, at) is expected


def test_the_moment_is_read_in_shanghai_time():
    assert is_open(WEEK, [], False, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # 10:00 local
    assert not is_open(WEEK, [], False, datetime(2026, 11, 23, 1, 59, tzinfo=UTC))


def test_a_holiday_closes_the_ranges_that_start_that_day_but_not_last_nights():
    assert not is_open(WEEK, ["2026-11-23"], False, local(23, 11))
    assert is_open(WEEK, ["2026-11-28"], False, local(28, 1))  # Friday's range runs into the holiday
    assert not is_open(WEEK, ["2026-11-28"], False, local(28, 12))
    assert not is_open(WEEK, ["2026-11-27"], False, local(28, 1))  # Friday off: no Friday night either


def test_no_hours_means_always_open_unless_paused_or_on_holiday():
    assert is_open(None, [], False, local(24, 3))
    assert not is_open(None, [], True, local(24, 3))
    assert not is_open(None, ["2026-11-24"], False, local(24, 3))


def test_paused_closes_whatever_the_hours_and_has_no_next_opening():
    assert not is_open(WEEK, [], True, local(23, 11))
    assert next_opening(WEEK, [], True, local(23, 11)) is None


def test_next_opening_is_now_when_open_else_the_next_start():
    assert next_opening(WEEK, [], False, local(23, 11)) == local(23, 11)
    assert next_opening(WEEK, [], False, local(23, 15)) == local(23, 17)
    assert next_opening(WEEK, [], False, local(23, 22)) == local(27, 10)  # Tuesday to Thursday closed
    assert next_opening(WEEK, ["2026-11-27"], False, local(23, 22)) == local(28, 11)


def test_next_opening_answers_in_the_callers_zone():
    opening = next_opening(WEEK, [], False, datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 15:00 local
    assert opening == datetime(2026, 11, 23, 9, 0, tzinfo=UTC) and opening.tzinfo is UTC


def test_no_opening_within_a_month():
    assert next_opening({}, [], False, local(23, 11)) is None


@pytest.mark.parametrize(
    "week",
    [
        {"mon": [["10:00", "14:00"], ["13:00", "15:00"]]},  # overlap
        {"mon": [["17:00", "21:00"], ["10:00", "14:00"]]},  # out of order
        {"mon": [["22:00", "03:00"]], "tue": [["02:00", "10:00"]]},  # overnight into the next day's hours
        {"sun": [["22:00", "11:00"]], "mon": [["10:00", "14:00"]]},  # ... across the week's end
        {"mon": [["9:00", "14:00"]]},
        {"mon": [["10:60", "14:00"]]},
        {"mon": [["24:00", "02:00"]]},
        {"funday": [["10:00", "14:00"]]},
    ],
)
def test_bad_weeks_are_refused(week):
    with pytest.raises(ValueError):
        check_week(week)


def test_good_weeks_pass():
    check_week(WEEK)
    check_week({"sun": [["22:00", "02:00"]], "mon": [["02:00", "10:00"]]})
