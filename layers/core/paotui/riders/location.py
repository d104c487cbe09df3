"""Where riders are: ``PUT /riders/me/location``, one point now or a batch the app buffered.

- Rate: one accepted update per ``location_min_interval_seconds`` (a batch
  counts once), measured from ``reported_at``, the time of the last accepted
  update (coming on duty doesn't count: the app reports right after); a
  faster one is 429 TOO_MANY_UPDATES with ``retry_after``. The update is
  conditional on ``reported_at`` as read, so two racing updates can't both
  pass.
- Trust: while the rider is on duty each point is judged against the stored
  position (``paotui.riders.movement``); a suspect point never moves the rider
  or their cell. Off duty, nothing depends on the old position (the rider may
  have gone anywhere since), so a batch is judged only within itself.
- Position: the newest trusted point newer than the stored one; while online
  the ``by-cell`` index follows it.
- Presence: the update stamps ``heard_at``, which keeps an on-duty rider off the
  presence job's list (``paotui.riders.presence``).
- Tracks: after the write, the points go to the tracks of the orders the rider
  is picking up or delivering (``paotui.riders.tracks``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from paotui.platform import clock
from paotui.platform.dynamo import LatLngMap
from paotui.platform.errors import TooManyRequests
from paotui.platform.geo import cell_of
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.riders import movement, tracks
from paotui.riders.movement import Fix, Judged
from paotui.riders.records import RiderRecord, RiderState
from paotui.riders.service import compare_and_set, state_unchanged


@dataclass(frozen=True)
class Report:
    """An accepted update: the rider as stored after it, and how many points were trusted or flagged."""

    rider: RiderRecord
    accepted: int
    flagged: int


def update_location(rider_id: str, lat: float, lng: float) -> Report:
    """The rider is here now."""
    return report(rider_id, [Fix(lat, lng, clock.now())])


def report(rider_id: str, fixes: Sequence[Fix]) -> Report:
    """Record the rider's points (see the module's rules). 404 RIDER_NOT_FOUND, 422 POINT_*, 429 TOO_MANY_UPDATES."""
    settings = get_settings()
    now = clock.now()
    fixes = movement.admit(
        fixes, now, max_age_seconds=settings.location_max_age_seconds, skew_seconds=settings.location_clock_skew_seconds
    )
    judged: list[Judged] = []

    def change(rider: RiderRecord) -> tuple[list[Action], Condition]:
        _refuse_if_too_soon(rider, now, settings.location_min_interval_seconds)
        stored = _stored_fix(rider)
        on_duty = rider.current_state is not RiderState.OFFLINE
        judged[:] = movement.judge(fixes, stored if on_duty else None, settings.location_max_speed_kmh)
        actions = [RiderRecord.heard_at.set(clock.iso(now)), RiderRecord.reported_at.set(clock.iso(now))]
        moved = movement.newest_trusted(judged, stored.at if stored else None)
        if moved is not None:
            actions += [
                RiderRecord.location.set(LatLngMap(lat=moved.lat, lng=moved.lng)),
                RiderRecord.location_at.set(clock.iso(moved.at)),
            ]
            if rider.current_state is RiderState.ONLINE:
                actions.append(RiderRecord.cell.set(cell_of(moved.lat, moved.lng, settings.rider_cell_resolution)))
        reported_unchanged = (
            RiderRecord.reported_at == rider.reported_at
            if rider.reported_at
            else RiderRecord.reported_at.does_not_exist()
        )
        return actions, reported_unchanged & state_unchanged(rider)

    rider = compare_and_set(rider_id, change)
    flagged = sum(1 for point in judged if point.suspect)
    if flagged:
        logger.warning("suspect rider points", extra={"rider_id": rider_id, "flagged": flagged, "points": len(judged)})
        metrics.add_metric(name="SuspectRiderPoints", unit="Count", value=flagged)
    tracks.append(rider_id, tracks.tracked_orders(rider), judged)
    return Report(rider, accepted=len(judged) - flagged, flagged=flagged)


def _refuse_if_too_soon(rider: RiderRecord, now: datetime, interval_seconds: float) -> None:
    if not rider.reported_at:
        return
    wait = clock.parse_iso(rider.reported_at).timestamp() + interval_seconds - now.timestamp()
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
        raise TooManyRequests(
            f"Send your location at most once every {interval_seconds:g} seconds.",
            code="TOO_MANY_UPDATES",
            details={"retry_after": retry_after},
        )


def _stored_fix(rider: RiderRecord) -> Fix | None:
    if rider.location is None or not rider.location_at:
        return None
    return Fix(float(rider.location.lat), float(rider.location.lng), clock.parse_iso(rider.location_at))
