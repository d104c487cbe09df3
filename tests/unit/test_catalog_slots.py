"""Slot generation: tiling opening hours, breaks, overnight ranges, holidays, lead time and past slots."""

from __future__ import annotations

from datetime import date, datetime

from paotui.catalog.hours import LOCAL
from paotui.catalog.slots import day_slots, reachable, slot_at

WED = date(2026, 11, 25)
LUNCH_AND_DINNER = {"wed": [["11:00", "13:00"], ["17:00", "18:10"]]}
LATE = {"tue": [["22:00", "01:00"]], "wed": [["23:00", "02:00"]]}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LOCAL)


def starts(slots) -> list[str]:
    return [f"{s.start:%d %H:%M}-{s.end:%H:%M}" for s in slots]


def test_slots_tile_each_range_and_skip_the_break():
    slots = day_slots(LUNCH_AND_DINNER, [], WED, 30)
    assert starts(slots) == [
        "25 11:00-11:30",
        "25 11:30-12:00",
        "25 12:00-12:30",
        "25 12:30-13:00",
        "25 17:00-17:30",
        "25 17:30-18:00",
        "25 18:00-18:10",  # the last one ends at closing
    ]
    assert {s.opens for s in slots} == {local(25, 11), local(25, 17)}


def test_overnight_slots_belong_to_the_day_they_start_on():
    assert starts(day_slots(LATE, [], WED, 60)) == ["25 00:00-01:00", "25 23:00-00:00"]
    assert starts(day_slots(LATE, [], date(2026, 11, 26), 60)) == ["26 00:00-01:00", "26 01:00-02:00"]


def test_holidays_and_closed_days_have_no_slots():
    assert day_slots(LUNCH_AND_DINNER, ["2026-11-25"], WED, 30) == []
    assert day_slots(LUNCH_AND_DINNER, [], date(2026, 11, 26), 30) == []
    assert len(day_slots(None, [], WED, 60)) == 24  # no hours set: open around the clock


def test_a_delivery_time_falls_in_one_slot():
    assert slot_at(LUNCH_AND_DINNER, [], local(25, 11, 45), 30).start == local(25, 11, 30)
    assert slot_at(LUNCH_AND_DINNER, [], local(25, 14), 30) is None  # the break
    assert slot_at(LATE, [], local(26, 1, 30), 60).start == local(26, 1)  # Wednesday's range, after midnight
    assert slot_at(LATE, [], local(25, 0, 30), 60).start == local(25, 0)  # Tuesday's range


def test_past_and_too_soon_slots_are_not_reachable():
    first, second, third = day_slots(LUNCH_AND_DINNER, [], WED, 30)[:3]
    before_opening = local(25, 9)
    assert reachable(first, before_opening, 30)  # the kitchen starts at 11:00 and is there by 11:30
    assert not reachable(first, before_opening, 31)
    assert reachable(second, before_opening, 31)
    now = local(25, 11, 20)
    assert not reachable(first, now, 5)  # started
    assert not reachable(second, now, 45)  # 12:05 is after it ends
    assert reachable(third, now, 45)
