"""UTC time, written on the wire as ISO-8601 with a ``Z``; China time where people read days and hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from paotui.platform.errors import Unprocessable

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991; needs no tz database


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(now())


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def epoch_seconds(moment: datetime | None = None) -> int:
    return int((moment or now()).timestamp())


def china_day(moment: datetime) -> date:
    """The China-time calendar day of ``moment`` (how merchants, riders and operators count days)."""
    return moment.astimezone(CHINA).date()


def china_date(moment: datetime) -> str:
    """:func:`china_day` as YYYY-MM-DD."""
    return china_day(moment).isoformat()


def later(seconds: float) -> datetime:
    return now() + timedelta(seconds=seconds)


def days_in(start: date, end: date, *, most: int, what: str) -> int:
    """How many days ``start`` to ``end`` cover, both included, for a request that may cover ``most``: 422
    ``INVALID_RANGE`` when it ends before it starts, ``RANGE_TOO_LONG`` past ``most``. ``what`` names it to the
    caller ("A statement")."""
    if end < start:
        raise Unprocessable(f"{what} ends before it starts.", code="INVALID_RANGE")
    days = (end - start).days + 1
    if days > most:
        raise Unprocessable(f"{what} covers at most {most} days.", code="RANGE_TOO_LONG", details={"max_days": most})
    return days
