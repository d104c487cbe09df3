"""Rider state: location, availability, and the capacity count assignment relies on.

A rider is in the ``by-cell`` index exactly while online: going online sets
``cell`` from the last known location, going offline REMOVEs it (a sparse GSI
drops items without the key attribute). Location updates move ``cell`` only
while online. Each write is conditional on the state it was computed from, so a
location update racing an availability change can't leave a stale cell behind.

``active_orders`` only changes inside transactions owned by other domains:
+1 with the offer acceptance (dispatch), -1 with the order's terminal
transition (orders). Both staged here, so the Riders table keeps one writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from paotui.platform import clock
from paotui.platform.errors import Conflict, NotFound
from paotui.platform.geo import cell_of
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings
from paotui.platform.dynamo import LatLngMap
from paotui.riders.records import RiderRecord

_RETRIES_ON_RACE = 3
_MAX_PARALLEL_QUERIES = 16


def get_rider(rider_id: str, *, consistent: bool = False) -> RiderRecord:
    try:
        return RiderRecord.get(rider_id, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound("You are not registered as a rider.", code="RIDER_NOT_FOUND") from None


def find_rider(rider_id: str) -> RiderRecord | None:
    try:
        return RiderRecord.get(rider_id)
    except DoesNotExist:
        return None


def _point(location: Any) -> tuple[float, float]:
    if isinstance(location, Mapping):
        return float(location["lat"]), float(location["lng"])
    return float(location.lat), float(location.lng)


def create_rider(
    user_id: str,
    name: str,
    phone: str,
    location: Mapping[str, float] | Any | None = None,
    capacity: int | None = None,
    vehicle: str = "ebike",
    online: bool = False,
) -> RiderRecord:
    """Register ``user_id`` (who should hold the rider role) as a rider. For admin tools and the demo seed.

    ``location`` is ``{"lat","lng"}`` or anything with ``.lat``/``.lng``; a rider
    created ``online`` needs one. Idempotent: if the rider exists it is returned
    unchanged.
    """
    settings = get_settings()
    now = clock.now_iso()
    record = RiderRecord(
        id=user_id,
        name=name,
        phone=phone,
        capacity=capacity if capacity is not None else settings.rider_default_capacity,
        active_orders=0,
        vehicle=vehicle,
        online=online,
        created_at=now,
        updated_at=now,
        version=1,
    )
    if location is not None:
        lat, lng = _point(location)
        record.location = LatLngMap(lat=lat, lng=lng)
        record.location_at = now
        if online:
            record.cell = cell_of(lat, lng, settings.rider_cell_resolution)
    elif online:
        raise ValueError("a rider created online needs a location")
    try:
        record.save(condition=RiderRecord.id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return get_rider(user_id, consistent=True)
    logger.info("rider created", extra={"rider_id": user_id, "online": online})
    return record


def _compare_and_set(
    rider_id: str, change: Callable[[RiderRecord], tuple[list[Action], Condition | None]]
) -> RiderRecord:
    """Read, compute the update from what was read, write it on condition nothing relevant moved."""
    for _ in range(_RETRIES_ON_RACE):
        rider = get_rider(rider_id, consistent=True)
        actions, unchanged = change(rider)
        actions += [RiderRecord.updated_at.set(clock.now_iso()), RiderRecord.version.add(1)]
        condition = RiderRecord.id.exists() if unchanged is None else RiderRecord.id.exists() & unchanged
        try:
            rider.update(actions=actions, condition=condition)
            return rider
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    raise Conflict("Your rider state changed while we were updating it; try again.", code="CONCURRENT_UPDATE")


def update_location(rider_id: str, lat: float, lng: float) -> RiderRecord:
    """Record where the rider is; while online, their cell follows."""
    resolution = get_settings().rider_cell_resolution

    def change(rider: RiderRecord) -> tuple[list[Action], Condition]:
        actions = [
            RiderRecord.location.set(LatLngMap(lat=lat, lng=lng)),
            RiderRecord.location_at.set(clock.now_iso()),
        ]
        if rider.online:
            actions.append(RiderRecord.cell.set(cell_of(lat, lng, resolution)))
        return actions, RiderRecord.online == bool(rider.online)

    return _compare_and_set(rider_id, change)


def set_availability(rider_id: str, online: bool) -> RiderRecord:
    """Go online (into the ``by-cell`` index, at the last location) or offline (out of it)."""
    resolution = get_settings().rider_cell_resolution

    def change(rider: RiderRecord) -> tuple[list[Action], Condition | None]:
        if not online:
            return [RiderRecord.online.set(False), RiderRecord.cell.remove()], None
        if rider.location is None:
            raise Conflict("Send your location before going online.", code="LOCATION_REQUIRED")
        cell = cell_of(rider.location.lat, rider.location.lng, resolution)
        actions = [RiderRecord.online.set(True), RiderRecord.cell.set(cell)]
        return actions, RiderRecord.location_at == rider.location_at

    rider = _compare_and_set(rider_id, change)
    logger.info("rider availability", extra={"rider_id": rider_id, "online": online})
    return rider


def online_riders_in(cells: Sequence[str]) -> list[RiderRecord]:
    """Online riders whose cell is one of ``cells`` (one ``by-cell`` query per cell, in parallel)."""

    def in_cell(cell: str) -> list[RiderRecord]:
        return [rider for rider in RiderRecord.by_cell.query(cell) if rider.online]

    if len(cells) <= 1:
        return [rider for cell in cells for rider in in_cell(cell)]
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL_QUERIES, len(cells))) as pool:
        return [rider for riders in pool.map(in_cell, cells) for rider in riders]


def stage_take_order(transaction: TransactWrite, rider_id: str) -> None:
    """Add to the caller's transaction: one more open order, if online and below capacity."""
    transaction.update(
        RiderRecord(rider_id),
        actions=[
            RiderRecord.active_orders.add(1),
            RiderRecord.updated_at.set(clock.now_iso()),
            RiderRecord.version.add(1),
        ],
        condition=(RiderRecord.online == True)  # noqa: E712 (a pynamodb condition, not a comparison)
        & (RiderRecord.active_orders < RiderRecord.capacity),
    )


def stage_release_capacity(transaction: TransactWrite, rider_id: str) -> None:
    """Add to the caller's transaction: one open order fewer (the order reached a terminal status).

    No floor condition: this runs exactly once per order, in the same transaction
    as the order's compare-and-set into its terminal status, mirroring the +1 in
    :func:`stage_take_order`; a guard here could only block a delivery.
    """
    transaction.update(
        RiderRecord(rider_id),
        actions=[
            RiderRecord.active_orders.add(-1),
            RiderRecord.updated_at.set(clock.now_iso()),
            RiderRecord.version.add(1),
        ],
        condition=RiderRecord.id.exists(),
    )
