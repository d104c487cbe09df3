"""Judging the points a rider's app reports: when they may be taken, and which imply an impossible speed.

Pure functions, no AWS. A point is judged against the last point trusted before
it (the rider's stored position, then each trusted point of the batch in time
order): one that implies more than the speed limit is a GPS glitch or a spoof,
kept in the track flagged ``suspect`` but never trusted to move the rider.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from paotui.platform import clock
from paotui.platform.errors import Unprocessable
from paotui.platform.geo import haversine_m

_MIN_SECONDS = 1.0  # points closer in time than this are compared as if a second apart (phones round times)


@dataclass(frozen=True)
class Fix:
    """A position the rider's phone reported, and when (UTC)."""

    lat: float
    lng: float
    at: datetime
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Judged:
    fix: Fix
    suspect: bool


def speed_kmh(a: Fix, b: Fix) -> float:
    """The speed implied by going from ``a`` to ``b`` in the time between them."""
    seconds = max(abs((b.at - a.at).total_seconds()), _MIN_SECONDS)
    return haversine_m(a.lat, a.lng, b.lat, b.lng) / seconds * 3.6


def judge(fixes: Sequence[Fix], last_trusted: Fix | None, max_speed_kmh: float) -> list[Judged]:
    """Each fix in time order, suspect when it implies more than ``max_speed_kmh`` from the last trusted one.

    A trusted fix newer than the reference becomes the reference for the next
    ones. Without ``last_trusted`` the first fix is trusted as it is.
    """
    reference = last_trusted
    judged = []
    for fix in sorted(fixes, key=lambda f: f.at):
        suspect = reference is not None and speed_kmh(reference, fix) > max_speed_kmh
        judged.append(Judged(fix, suspect))
        if not suspect and (reference is None or fix.at >= reference.at):
            reference = fix
    return judged


def newest_trusted(judged: Sequence[Judged], after: datetime | None) -> Fix | None:
    """Where the rider is now: the newest trusted fix, if it is newer than ``after`` (the stored position's time)."""
    trusted = [j.fix for j in judged if not j.suspect and (after is None or j.fix.at > after)]
    return max(trusted, key=lambda fix: fix.at) if trusted else None


def admit(fixes: Sequence[Fix], now: datetime, *, max_age_seconds: float, skew_seconds: float) -> list[Fix]:
    """The fixes, a time slightly ahead (the phone's clock) taken as ``now``; 422 for one from the future beyond
    ``skew_seconds`` or older than ``max_age_seconds``, naming it."""
    latest, earliest = now + timedelta(seconds=skew_seconds), now - timedelta(seconds=max_age_seconds)
    for index, fix in enumerate(fixes):
        details = {"index": index, "at": clock.iso(fix.at)}
        if fix.at > latest:
            raise Unprocessable(
                "A point's time is in the future; check the phone's clock.", code="POINT_IN_FUTURE", details=details
            )
        if fix.at < earliest:
            raise Unprocessable(
                f"A point is older than {max_age_seconds:g} seconds; drop it.", code="POINT_TOO_OLD", details=details
            )
    return [replace(fix, at=now) if fix.at > now else fix for fix in fixes]
