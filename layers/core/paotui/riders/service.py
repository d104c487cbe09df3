"""Rider state: availability, and the capacity count assignment relies on.

A rider is in the ``by-cell`` index exactly while online: going online sets
``cell`` from the last known location, going offline or on a break REMOVEs it
(a sparse GSI drops items without the key attribute), so dispatch never sees
them. Only an APPROVED rider may go online (``paotui.riders.onboarding``).
While on duty (online or on a break) ``presence`` puts the rider in the
``by-presence`` index the presence job reads (``paotui.riders.presence``).
Location updates (``paotui.riders.location``) move ``cell`` only while online.
Each write is conditional on the state it was computed from, so a location
update racing an availability change can't leave a stale cell behind.

``active_orders`` only changes inside transactions owned by other domains:
+1 with the offer acceptance (dispatch), -1 with the order's terminal
transition (orders). Both staged here, so the Riders table keeps one writer;
so is ``offered_until``, which dispatch sets before it makes an offer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from paotui.dispatch import requests
from paotui.platform import clock
from paotui.platform.dynamo import LatLngMap, condition_failed, side_by_side, update_if
from paotui.platform.errors import Conflict, NotFound
from paotui.platform.geo import cell_of
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.ids import new_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings
from paotui.riders.records import ON_DUTY, RiderRecord, RiderState, RiderStatus, ZoneMap

_RETRIES_ON_RACE = 3
_MAX_PARALLEL_QUERIES = 16


def get_rider(rider_id: str, *, consistent: bool = False) -> RiderRecord:
    try:
        return RiderRecord.get(rider_id, consistent_read=consistent)
    except DoesNotExist:
        raise NotFound("You are not registered as a rider.", code="RIDER_NOT_FOUND") from None


def find_rider(rider_id: str, *, consistent: bool = False) -> RiderRecord | None:
    try:
        return RiderRecord.get(rider_id, consistent_read=consistent)
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
    *,
    status: RiderStatus = RiderStatus.APPROVED,
    zone: Mapping[str, Any] | None = None,
) -> RiderRecord:
    """Register ``user_id`` as a rider. For onboarding (``paotui.riders.onboarding``) and the demo seed.

    ``location`` is ``{"lat","lng"}`` or anything with ``.lat``/``.lng``; a rider
    created ``online`` needs one and must be APPROVED. ``zone`` is
    ``{"center": {"lat","lng"}, "radius_m"}``. Idempotent: if the rider exists
    it is returned unchanged.
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
        status=status.value,
        online=online,
        state=(RiderState.ONLINE if online else RiderState.OFFLINE).value,
        created_at=now,
        updated_at=now,
        version=1,
    )
    if zone is not None:
        record.zone = zone_map(zone)
    if online and status is not RiderStatus.APPROVED:
        raise ValueError("only an approved rider can be created online")
    if location is not None:
        lat, lng = _point(location)
        record.location = LatLngMap(lat=lat, lng=lng)
        record.location_at = now
        if online:
            record.cell = cell_of(lat, lng, settings.rider_cell_resolution)
            record.presence, record.heard_at = ON_DUTY, now
    elif online:
        raise ValueError("a rider created online needs a location")
    try:
        record.save(condition=RiderRecord.id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return get_rider(user_id, consistent=True)
    logger.info("rider created", extra={"rider_id": user_id, "online": online})
    return record


def zone_map(zone: Mapping[str, Any]) -> ZoneMap:
    center = zone["center"]
    lat, lng = _point(center)
    return ZoneMap(center=LatLngMap(lat=lat, lng=lng), radius_m=int(zone["radius_m"]))


def compare_and_set(
    rider_id: str, change: Callable[[RiderRecord], tuple[list[Action], Condition | None]]
) -> RiderRecord:
    """Read, compute the update from what was read, write it on condition nothing relevant moved."""
    for _ in range(_RETRIES_ON_RACE):
        rider = get_rider(rider_id, consistent=True)
        actions, unchanged = change(rider)
        actions += [RiderRecord.updated_at.set(clock.now_iso()), RiderRecord.version.add(1)]
        condition = RiderRecord.id.exists() if unchanged is None else RiderRecord.id.exists() & unchanged
        if update_if(rider, actions, condition=condition):
            return rider
    raise Conflict("Your rider state changed while we were updating it; try again.", code="CONCURRENT_UPDATE")


def off_duty(presence: str | None = None) -> list[Action]:
    """The actions that take a rider offline: out of ``by-cell``, and out of ``by-presence`` unless ``presence``."""
    return [
        RiderRecord.state.set(RiderState.OFFLINE.value),
        RiderRecord.online.set(False),
        RiderRecord.cell.remove(),
        RiderRecord.presence.set(presence) if presence else RiderRecord.presence.remove(),
    ]


def approved() -> Condition:
    """The stored rider is APPROVED (a record older than the lifecycle has no ``status`` and counts as approved)."""
    return (RiderRecord.status == RiderStatus.APPROVED.value) | RiderRecord.status.does_not_exist()


def state_unchanged(rider: RiderRecord) -> Condition:
    """The stored availability is still what ``rider`` says (a record older than ``state`` by its ``online``)."""
    if rider.state:
        return RiderRecord.state == rider.state
    return RiderRecord.state.does_not_exist() & (RiderRecord.online == bool(rider.online))


def set_state(rider_id: str, state: RiderState) -> RiderRecord:
    """Go online (into ``by-cell`` at the last location), on a break or offline (out of it).

    Online and on a break the rider is on duty: in ``by-presence``, heard from
    now (their app just asked), so the presence job takes them offline once
    they fall silent from here, not at once for a silence while they were off.
    409 RIDER_NOT_APPROVED, LOCATION_REQUIRED, RIDER_OFFLINE (a break is taken
    from online). A rider who comes online is announced to dispatch
    (:func:`_announce_on_duty`).
    """
    resolution = get_settings().rider_cell_resolution
    was_online = False

    def change(rider: RiderRecord) -> tuple[list[Action], Condition | None]:
        nonlocal was_online
        was_online = bool(rider.online)
        if state is RiderState.OFFLINE:
            return off_duty(), None
        if rider.status != RiderStatus.APPROVED:
            raise Conflict(
                "Only an approved rider can go on duty.", code="RIDER_NOT_APPROVED", details={"status": rider.status}
            )
        on_duty = [
            RiderRecord.state.set(state.value),
            RiderRecord.presence.set(ON_DUTY),
            RiderRecord.heard_at.set(clock.now_iso()),
        ]
        if state is RiderState.BREAK:
            if rider.current_state is RiderState.OFFLINE:
                raise Conflict("Go online before taking a break.", code="RIDER_OFFLINE")
            actions = on_duty + [RiderRecord.online.set(False), RiderRecord.cell.remove()]
            return actions, approved() & state_unchanged(rider)
        if rider.location is None:
            raise Conflict("Send your location before going online.", code="LOCATION_REQUIRED")
        cell = cell_of(rider.location.lat, rider.location.lng, resolution)
        actions = on_duty + [RiderRecord.online.set(True), RiderRecord.cell.set(cell)]
        return actions, approved() & (RiderRecord.location_at == rider.location_at)

    rider = compare_and_set(rider_id, change)
    logger.info("rider availability", extra={"rider_id": rider_id, "state": state.value})
    if state is RiderState.ONLINE and not was_online:
        _announce_on_duty(rider)
    return rider


def _announce_on_duty(rider: RiderRecord) -> None:
    """Tell dispatch where a rider came online (``rider.online`` on DispatchQueue): the orders waiting around them
    get a round now, not at their watchdogs' next try, up to an offer wait away. Best effort: if the message is
    lost, those tries still come, so going online does not fail for it."""
    event = DomainEvent(
        id=new_id("onl_"),
        type=EventType.RIDER_ONLINE,
        occurred_at=clock.now_iso(),
        subject=rider.id,
        data={"rider_id": rider.id, "lat": float(rider.location.lat), "lng": float(rider.location.lng)},
    )
    requests.send_or_count(event, unsent_metric="RiderOnlineNotAnnounced")


def online_riders_in(cells: Sequence[str]) -> list[RiderRecord]:
    """Online riders whose cell is one of ``cells`` (one ``by-cell`` query per cell, in parallel)."""

    def in_cell(cell: str) -> list[RiderRecord]:
        return [rider for rider in RiderRecord.by_cell.query(cell) if rider.online]

    return [rider for riders in side_by_side(in_cell, cells, at_most=_MAX_PARALLEL_QUERIES) for rider in riders]


def mark_offered(rider_id: str, until: str) -> None:
    """Record that the rider holds an offer open until ``until``: a dispatch round reads the offers of only the
    riders whose ``offered_until`` is still ahead (see ``dispatch.rounds``). Set before the offer is made, so a
    crash in between costs a round one needless read, never a missed offer; it only moves forward, so a
    concurrent round's earlier expiry can't hide a later one."""
    update_if(
        RiderRecord(rider_id),
        actions=[RiderRecord.offered_until.set(until)],
        condition=RiderRecord.id.exists()
        & (RiderRecord.offered_until.does_not_exist() | (RiderRecord.offered_until < until)),
    )


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
    """Add to the caller's transaction: one open order fewer (the order ended, or was taken from the rider).

    No floor condition: this runs exactly once per order, in the same transaction
    as the order's compare-and-set out of the rider's hands, mirroring the +1 in
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
