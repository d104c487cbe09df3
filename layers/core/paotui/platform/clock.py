"""UTC time, written on the wire as ISO-8601 with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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


def later(seconds: float) -> datetime:
    return now() + timedelta(seconds=seconds)
