"""Scheduled delivery slots: the windows a customer may pick, and the one a delivery time falls in.

Slots tile each opening range from its start, ``slot_minutes`` long (the last
one ends at closing), so a scheduled delivery arrives while the shop is open,
as ``pricing`` requires. A slot belongs to the local day its start falls on:
the after-midnight slots of an overnight range are the next day's.

A slot is offered for a point only if it has not started and food ordered now
can reach the point before it ends: its end is at least the lead time (prep
plus travel) after both now and the range's opening. How many orders a slot
has taken is ``slot_bookings``'s business; this module is pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from paotui.catalog.hours import LOCAL, Week, opening_spans


class Slot(NamedTuple):
    start: datetime
    end: datetime
    opens: datetime  # when its opening range starts


def _tiles(day: date, start: int, end: int, slot_minutes: int) -> Iterator[Slot]:
    midnight = datetime.combine(day, time(), LOCAL)
    opens = midnight + timedelta(minutes=start)
    for offset in range(start, end, slot_minutes):
        tile_end = min(offset + slot_minutes, end)
        yield Slot(midnight + timedelta(minutes=offset), midnight + timedelta(minutes=tile_end), opens)


def day_slots(week: Week | None, holidays: Collection[str], day: date, slot_minutes: int) -> list[Slot]:
    """Every slot starting on local ``day``, in order (the day before's overnight range included)."""
    found = []
    for base in (day - timedelta(days=1), day):
        for start, end in opening_spans(week, holidays, base):
            found += [s for s in _tiles(base, start, end, slot_minutes) if s.start.date() == day]
    return found


def slot_at(week: Week | None, holidays: Collection[str], at: datetime, slot_minutes: int) -> Slot | None:
    """The slot a delivery at ``at`` falls in, None outside opening hours."""
    day = at.astimezone(LOCAL).date()
    candidates = day_slots(week, holidays, day - timedelta(days=1), slot_minutes)
    candidates += day_slots(week, holidays, day, slot_minutes)
    return next((slot for slot in candidates if slot.start <= at < slot.end), None)


def reachable(slot: Slot, now: datetime, lead_minutes: int) -> bool:
    """Not started yet, and an order placed now arrives before it ends."""
    return slot.start >= now and slot.end >= max(now, slot.opens) + timedelta(minutes=lead_minutes)
