"""Request and response shapes of the riders API (API.md "Riders")."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, AwareDatetime, Field, StrictBool, StringConstraints, model_validator

from paotui.platform.models import (
    LatLng,
    Line,
    Phone,
    PlaceView,
    PointView,
    Prose,
    RequestModel,
    ResponseModel,
    in_utc,
)
from paotui.platform.settings import get_settings
from paotui.riders.records import RiderRecord, RiderState, RiderStatus

Vehicle = Literal["walk", "bike", "ebike", "scooter", "car"]
RiderName = Annotated[Line, StringConstraints(min_length=1, max_length=50)]


def _within_max_capacity(capacity: int) -> int:
    if capacity > get_settings().rider_max_capacity:
        raise ValueError(f"capacity is at most {get_settings().rider_max_capacity}")
    return capacity


Capacity = Annotated[int, Field(ge=1), AfterValidator(_within_max_capacity)]
"""Open orders a rider may carry at once: 1 to ``settings.rider_max_capacity``."""


class ServiceZone(RequestModel):
    """Where a rider takes orders: pickups within ``radius_m`` of ``center`` (GCJ-02)."""

    center: LatLng
    radius_m: int = Field(ge=500, le=50_000)


class UpdateLocation(LatLng):
    """``PUT /riders/me/location``: where the rider is now (GCJ-02)."""


class TrackPoint(LatLng):
    """A position the app recorded, with when (ISO-8601 with a zone) and, if known, how precise."""

    at: Annotated[AwareDatetime, AfterValidator(in_utc)]
    accuracy_m: float | None = Field(default=None, ge=0, le=10_000)


class LocationBatch(RequestModel):
    """``PUT /riders/me/location``: the points the app buffered since its last update (one update for the limit)."""

    points: list[TrackPoint] = Field(min_length=1, max_length=50)


class UpdateAvailability(RequestModel):
    """``{"online": bool}`` (API.md) or ``{"state": "online"|"offline"|"break"}``: exactly one of the two."""

    online: StrictBool | None = None
    state: RiderState | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.online is None) == (self.state is None):
            raise ValueError('send either "online" or "state"')
        return self

    @property
    def wanted(self) -> RiderState:
        if self.state is not None:
            return self.state
        return RiderState.ONLINE if self.online else RiderState.OFFLINE


class RiderApplication(RequestModel):
    """``POST /riders/applications``: the signed-in user asks to ride."""

    name: RiderName
    vehicle: Vehicle
    zone: ServiceZone | None = None


class NewRider(RequestModel):
    """``POST /admin/riders``: an approved rider for this phone."""

    phone: Phone
    name: RiderName
    vehicle: Vehicle
    capacity: Capacity | None = None
    zone: ServiceZone | None = None


class RiderChange(RequestModel):
    """``PATCH /admin/riders/{riderId}``: what to change; ``"zone": null`` removes the zone."""

    status: Literal[RiderStatus.APPROVED, RiderStatus.SUSPENDED] | None = None
    vehicle: Vehicle | None = None
    capacity: Capacity | None = None
    zone: ServiceZone | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("name at least one of status, vehicle, capacity, zone")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent (a zone sent as null is kept: it means remove the zone)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class RejectOffer(RequestModel):
    reason: Annotated[Prose, StringConstraints(min_length=1, max_length=200)] | None = None


class ZoneView(ResponseModel):
    center: PointView
    radius_m: int


class RiderView(ResponseModel):
    id: str
    name: str
    phone: str
    status: RiderStatus
    state: RiderState
    online: bool  # state is online: the rider gets offers
    location: PointView | None = None
    location_at: str | None = None
    capacity: int
    active_orders: int
    vehicle: str
    zone: ZoneView | None = None
    cash_held: int = 0  # fen taken at doors for the platform and not handed in yet (settlement.cash)

    @classmethod
    def of(cls, record: RiderRecord) -> Self:
        return cls.model_validate({**record.to_simple_dict(), "state": record.current_state, "status": record.status})


class LocationUpdated(RiderView):
    """A location update's answer: the rider, and how many points were trusted or flagged as suspect."""

    accepted: int
    flagged: int


class RiderPage(ResponseModel):
    """A page of ``GET /admin/riders``; pass ``next_cursor`` back as ``cursor`` for the next (null: the last page)."""

    items: list[RiderView]
    next_cursor: str | None


class TrackPointView(ResponseModel):
    lat: float
    lng: float
    at: str
    suspect: bool


class TrackView(ResponseModel):
    order_id: str
    points: list[TrackPointView]


class OfferDropoff(PointView):
    detail: str


class OfferView(ResponseModel):
    id: str
    order_id: str
    expires_at: str
    pickup: PlaceView
    dropoff: OfferDropoff
    fee: int
    bonus: int = 0  # included in fee: an order no rider took in time pays more (dispatch.escalation)
    collect: int = 0  # fen to take from the customer at the door: the order is paid on delivery
    status: str
    distance_m: int | None = None
    bundle_id: str | None = None  # offers of one trip (one store, several drop-offs) share it
    bundle_size: int | None = None

    @classmethod
    def of(cls, record) -> OfferView:
        return cls.model_validate(record.to_simple_dict())
