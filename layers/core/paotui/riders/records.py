"""The Riders and RiderTracks tables.

``cell`` is set only while a rider is online, so ``by-cell`` is a sparse index
of exactly the riders dispatch may offer an order to. ``presence`` is set only
while a rider is on duty (online or on a break), or while the notice that the
presence job took them offline is still to be pushed, so ``by-presence`` finds
silent riders (oldest ``heard_at`` first) without a scan.

A record written before riders had a lifecycle reads as APPROVED (``status``
defaults to it) and its ``state`` follows ``online``.
"""

from __future__ import annotations

from enum import StrEnum

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from paotui.platform.dynamo import LatLngMap, table_meta
from paotui.platform.geo import haversine_m
from paotui.platform.settings import get_settings


class RiderStatus(StrEnum):
    """Where a rider is in onboarding: applied, allowed to work, or barred from working."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    SUSPENDED = "SUSPENDED"


class RiderState(StrEnum):
    """Availability: only ``online`` riders get offers; ``break`` stays on duty (watched for silence) without them."""

    ONLINE = "online"
    OFFLINE = "offline"
    BREAK = "break"


ON_DUTY = "on_duty"  # ``presence`` while online or on a break
NOTICE_PENDING = "notice_pending"  # ``presence`` once set offline for silence, until the rider is told


class ZoneMap(MapAttribute):
    """Where a rider works: a disk around ``center`` (GCJ-02)."""

    center = LatLngMap()
    radius_m = NumberAttribute()

    def contains(self, lat: float, lng: float) -> bool:
        return haversine_m(float(self.center.lat), float(self.center.lng), lat, lng) <= float(self.radius_m)


class ByCell(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-cell"
        projection = AllProjection()

    cell = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class ByPresence(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-presence"
        projection = AllProjection()

    presence = UnicodeAttribute(hash_key=True)
    heard_at = UnicodeAttribute(range_key=True)


class RidersByStatus(GlobalSecondaryIndex):
    """Riders of one status, oldest first, for operators' queues (applications pending, riders suspended); keys
    only, since riders are written at every location update and only these lists read it. Riders older than the
    lifecycle have no ``status`` and are not in it."""

    class Meta:
        index_name = "by-status"
        projection = KeysOnlyProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


def _default_capacity() -> int:
    return get_settings().rider_default_capacity


class RiderRecord(Model):
    Meta = table_meta("riders_table")

    id = UnicodeAttribute(hash_key=True)  # the rider's user id
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    online = BooleanAttribute(default=False)
    location = LatLngMap(null=True)
    location_at = UnicodeAttribute(null=True)
    cell = UnicodeAttribute(null=True)  # H3 at settings.rider_cell_resolution, only while online
    capacity = NumberAttribute(default=_default_capacity)
    active_orders = NumberAttribute(default=0)
    offered_until = UnicodeAttribute(null=True)  # the last expiry of an offer made to them (riders.mark_offered)
    vehicle = UnicodeAttribute(default="ebike")
    status = UnicodeAttribute(default=RiderStatus.APPROVED.value)
    state = UnicodeAttribute(null=True)  # a RiderState; absent on records older than it, where ``online`` says
    zone = ZoneMap(null=True)  # no zone: orders anywhere
    heard_at = UnicodeAttribute(null=True)  # last heard from: a location update (riders.location), or coming on duty
    reported_at = UnicodeAttribute(null=True)  # the last accepted location update: the rate limit's clock
    presence = UnicodeAttribute(null=True)  # ON_DUTY or NOTICE_PENDING, else absent (``by-presence`` is sparse)
    locale = UnicodeAttribute(default="zh-CN")
    application_decision = UnicodeAttribute(null=True)  # APPROVED | SUSPENDED (declined): how its application went
    cash_held = NumberAttribute(null=True)  # fen the rider took at doors and has not handed in (settlement.cash)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_cell = ByCell()
    by_presence = ByPresence()
    by_status = RidersByStatus()

    @property
    def current_state(self) -> RiderState:
        if self.state:
            return RiderState(self.state)
        return RiderState.ONLINE if self.online else RiderState.OFFLINE

    def serves(self, lat: float, lng: float) -> bool:
        """Whether an order picked up at this point is in the rider's zone (a rider without one serves anywhere)."""
        return self.zone is None or self.zone.contains(lat, lng)


class RiderTrackRecord(Model):
    """One point of the rider's way while carrying an order, kept per order until ``ttl``."""

    Meta = table_meta("rider_tracks_table")

    order_id = UnicodeAttribute(hash_key=True)
    point = UnicodeAttribute(range_key=True)  # its time (``at``); before 2026-11-26 "<at>#<position in its batch>"
    rider_id = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    at = UnicodeAttribute()
    accuracy_m = NumberAttribute(null=True)
    suspect = BooleanAttribute(default=False)  # implied an impossible speed: shown, never trusted
    ttl = TTLAttribute()
