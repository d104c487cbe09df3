"""Opening hours: is a merchant taking orders at a moment, and when does it open next.

``hours`` maps a weekday (``mon`` … ``sun``) to ``[["HH:MM", "HH:MM"], ...]`` in
local time (Asia/Shanghai); a missing or empty day is closed; ``hours=None``
means open around the clock (a merchant that never set hours). A range whose
end is not after its start runs overnight: ``["22:00", "02:00"]`` on Friday
covers Friday 22:00 to Saturday 02:00. ``"24:00"`` ends a range at midnight.

A range belongs to the day it starts on: a holiday (a local date) closes the
ranges that start that day, while an overnight range from the day before still
runs into it. ``paused`` closes the merchant whatever the hours say, and no
next opening is known until the merchant unpauses.

China has had no daylight saving since 1991, so local time is a fixed UTC+8
and no tz database is needed in Lambda.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from paotui.platform import clock

LOCAL = clock.CHINA
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 24 * 60
_LOOKAHEAD_DAYS = 31

Week = Mapping[str, Sequence[Sequence[str]]]


def minutes(text: str) -> int:
    """``"HH:MM"`` as minutes after midnight; ``"24:00"`` is 1440."""
    hh, _, mm = text.partition(":")
    if len(hh) != 2 or len(mm) != 2 or not (hh + mm).isdigit():
        raise ValueError(f"{text!r} is not HH:MM")
    value = int(hh) * 60 + int(mm)
    if int(mm) > 59 or value > DAY:
        raise ValueError(f"{text!r} is not a time of day")
    return value


def spans(ranges: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """A day's ranges as (start, end) minutes, ``end`` beyond 1440 when the range runs overnight."""
    out = []
    for start_text, end_text in ranges:
        start, end = minutes(start_text), minutes(end_text)
        if start == DAY:
            raise ValueError("a range can't start at 24:00")
        out.append((start, end if end > start else end + DAY))
    return out


def check_week(week: Week) -> None:
    """Raise ValueError unless each day's ranges are in order, don't overlap, and don't run into the next day's."""
    unknown = set(week) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekdays: {sorted(unknown)}")
    days = [spans(week.get(day, ())) for day in WEEKDAYS]
    for index, day in enumerate(days):
        for (_, end), (next_start, _) in zip(day, day[1:], strict=False):
            if next_start < end:
                raise ValueError(f"{WEEKDAYS[index]}: ranges must be in order and must not overlap")
        following = days[(index + 1) % 7]
        if day and following and day[-1][1] > DAY + following[0][0]:
            raise ValueError(f"{WEEKDAYS[index]}: an overnight range runs into the next day's hours")


def opening_spans(week: Week | None, holidays: Collection[str], day: date) -> list[tuple[int, int]]:
    """The ranges that start on local ``day`` as (start, end) minutes after its midnight; none on a holiday."""
    if day.isoformat() in holidays:
        return []
    if week is None:
        return [(0, DAY)]
    return spans(week.get(WEEKDAYS[day.weekday()], ()))


def is_open(week: Week | None, holidays: Collection[str], paused: bool, at: datetime) -> bool:
    if paused:
        return False
    local = at.astimezone(LOCAL)
    now = local.hour * 60 + local.minute
    today, yesterday = local.date(), local.date() - timedelta(days=1)
    if any(start <= now < end for start, end in opening_spans(week, holidays, today)):
        return True
    return any(now + DAY < end for _, end in opening_spans(week, holidays, yesterday))


def next_opening(week: Week | None, holidays: Collection[str], paused: bool, at: datetime) -> datetime | None:
    """``at`` itself when open, else the start of the next range within a month; None when paused or none."""
    if paused:
        return None
    if is_open(week, holidays, paused, at):
        return at
    local = at.astimezone(LOCAL)
    for offset in range(_LOOKAHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        midnight = datetime.combine(day, time(), LOCAL)
        for start, _ in opening_spans(week, holidays, day):
            opening = midnight + timedelta(minutes=start)
            if opening > local:
                return opening.astimezone(at.tzinfo)
    return None
