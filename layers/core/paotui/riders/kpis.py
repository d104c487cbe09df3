"""Riders' KPIs per China-time day, ISO week and month: the counters the earnings worker keeps, and the rates.

- completion rate: delivered / (delivered + failed + cancelled after assignment); failures count per order that
  ended failed: one delivered on a retry after a failed attempt counts as delivered only (riders.earnings)
- on-time rate: on time / (on time + late), against the promised time plus the rules' grace
- acceptance rate: accepted / (accepted + rejected + expired) offers (withdrawn ones were never the rider's call)
- average rating: of the ratings of the period's deliveries

A rate whose denominator is 0 is null: no data is not 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pynamodb.exceptions import DoesNotExist

from paotui.platform import clock
from paotui.platform.errors import Unprocessable
from paotui.platform.models import ResponseModel
from paotui.riders.earnings_records import RiderKpisRecord

PeriodKind = Literal["day", "week", "month"]
Metric = Literal["earnings", "delivered", "on_time_rate", "average_rating"]

COUNTERS = (
    "assigned",
    "delivered",
    "on_time",
    "late",
    "failed",
    "cancelled",
    "offers_accepted",
    "offers_rejected",
    "offers_expired",
    "rating_sum",
    "rating_count",
    "complaints_upheld",
    "earnings",
)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        """The period as the KPI table keys it: ``day#2026-11-25``, ``week#2026-W48``, ``month#2026-11``."""
        if self.kind == "day":
            return f"day#{self.start.isoformat()}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"week#{year}-W{week:02d}"
        return f"month#{self.start:%Y-%m}"


def period_of(kind: PeriodKind, day: date) -> Period:
    """The day, ISO week (Monday to Sunday) or calendar month that contains ``day``.

    422 ``DATE_OUT_OF_RANGE`` for a date so near the end of the calendar (9999-12) that the period's bounds can't be
    reckoned.
    """
    if kind == "day":
        return Period(kind, day, day)
    try:
        if kind == "week":
            monday = day - timedelta(days=day.weekday())
            return Period(kind, monday, monday + timedelta(days=6))
        first = day.replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
    except OverflowError:
        raise Unprocessable(
            f"There is no {kind} around {day.isoformat()}: it runs past the end of the calendar.",
            code="DATE_OUT_OF_RANGE",
            details={"period": kind, "date": day.isoformat()},
        ) from None
    return Period(kind, first, next_month - timedelta(days=1))


def periods_of(moment: datetime) -> list[Period]:
    """The China-time day, week and month ``moment`` falls in: where its counters go."""
    day = clock.china_day(moment)
    return [period_of(kind, day) for kind in ("day", "week", "month")]


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


class Kpis(ResponseModel):
    """A rider's KPIs for one period; ``earnings`` in fen."""

    period: PeriodKind
    start: date
    end: date
    completion_rate: float | None
    on_time_rate: float | None
    acceptance_rate: float | None
    average_rating: float | None
    assigned: int = 0
    delivered: int = 0
    on_time: int = 0
    late: int = 0
    failed: int = 0
    cancelled: int = 0
    offers_received: int = 0  # offers the rider had to answer: accepted, rejected or let expire (not withdrawn)
    offers_accepted: int = 0
    offers_rejected: int = 0
    offers_expired: int = 0
    rating_count: int = 0
    complaints_upheld: int = 0
    earnings: int = 0

    @classmethod
    def of_counts(cls, period: Period, counts: dict[str, int]) -> Kpis:
        c = {name: int(counts.get(name) or 0) for name in COUNTERS}
        offers = c["offers_accepted"] + c["offers_rejected"] + c["offers_expired"]
        return cls(
            period=period.kind,
            start=period.start,
            end=period.end,
            completion_rate=rate(c["delivered"], c["delivered"] + c["failed"] + c["cancelled"]),
            on_time_rate=rate(c["on_time"], c["on_time"] + c["late"]),
            acceptance_rate=rate(c["offers_accepted"], offers),
            average_rating=None if not c["rating_count"] else round(c["rating_sum"] / c["rating_count"], 2),
            offers_received=offers,
            **{name: value for name, value in c.items() if name != "rating_sum"},
        )


def _counts(record: RiderKpisRecord | None) -> dict[str, int]:
    if record is None:
        return {}
    return {name: int(getattr(record, name) or 0) for name in COUNTERS}


def rider_kpis(rider_id: str, period: Period) -> Kpis:
    try:
        record = RiderKpisRecord.get(rider_id, period.key)
    except DoesNotExist:
        record = None
    return Kpis.of_counts(period, _counts(record))


class LeaderboardEntry(ResponseModel):
    rank: int
    rider_id: str
    name: str | None = None
    kpis: Kpis


class Leaderboard(ResponseModel):
    period: PeriodKind
    start: date
    end: date
    metric: Metric
    riders: list[LeaderboardEntry]


def rank(entries: Iterable[tuple[str, Kpis]], metric: Metric, limit: int) -> list[tuple[int, str, Kpis]]:
    """Best first by ``metric`` (riders without a value last); ties go by rider id, so ranks are 1..n."""
    ordered = sorted(
        entries, key=lambda entry: (getattr(entry[1], metric) is None, -(getattr(entry[1], metric) or 0), entry[0])
    )
    return [(position, rider_id, kpis) for position, (rider_id, kpis) in enumerate(ordered[:limit], start=1)]


def leaderboard(period: Period, metric: Metric, limit: int) -> Leaderboard:
    """Every rider with counters in ``period`` (one query of the ``by-period`` index), ranked by ``metric``."""
    from paotui.riders.records import RiderRecord

    entries = [
        (record.rider_id, Kpis.of_counts(period, _counts(record)))
        for record in RiderKpisRecord.by_period.query(period.key)
    ]
    ranked = rank(entries, metric, limit)
    names = {rider.id: rider.name for rider in RiderRecord.batch_get([rider_id for _, rider_id, _ in ranked])}
    return Leaderboard(
        period=period.kind,
        start=period.start,
        end=period.end,
        metric=metric,
        riders=[
            LeaderboardEntry(rank=position, rider_id=rider_id, name=names.get(rider_id), kpis=kpis)
            for position, rider_id, kpis in ranked
        ],
    )
