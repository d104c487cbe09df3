"""Request and response shapes of the riders API (API.md "Riders")."""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictBool, StringConstraints

from paotui.platform.models import LatLng, PlaceView, PointView, RequestModel, ResponseModel


class UpdateLocation(LatLng):
    """``PUT /riders/me/location``: where the rider is now (GCJ-02)."""


class UpdateAvailability(RequestModel):
    online: StrictBool


class RejectOffer(RequestModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class RiderView(ResponseModel):
    id: str
    name: str
    phone: str
    online: bool
    location: PointView | None = None
    location_at: str | None = None
    capacity: int
    active_orders: int
    vehicle: str


class OfferDropoff(PointView):
    detail: str


class OfferView(ResponseModel):
    id: str
    order_id: str
    expires_at: str
    pickup: PlaceView
    dropoff: OfferDropoff
    fee: int
    status: str
    distance_m: int | None = None
    bundle_id: str | None = None  # offers of one trip (one store, several drop-offs) share it
    bundle_size: int | None = None

    @classmethod
    def of(cls, record) -> OfferView:
        return cls.model_validate(record.to_simple_dict())
