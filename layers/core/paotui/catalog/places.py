"""Where an address a customer gives on the phone may be, for the merchant to pick: AMap's places (catalog.amap),
nearest the store first, each with whether the merchant delivers there."""

from __future__ import annotations

from paotui.catalog import delivery
from paotui.catalog.records import MerchantRecord
from paotui.platform.geo import haversine_m
from paotui.platform.models import ResponseModel


class DeliveryPlace(ResponseModel):
    """A place the address may be, as the merchant picks among them for a phone order."""

    formatted_address: str
    lat: float
    lng: float
    level: str
    district: str
    distance_m: int  # from the store, as the crow flies
    deliverable: bool  # inside one of the merchant's delivery areas


class DeliveryPlaces(ResponseModel):
    items: list[DeliveryPlace]


def places_for(merchant: MerchantRecord, address: str, city: str | None = None) -> DeliveryPlaces:
    """Where ``address`` may be, nearest the store first, each with whether the merchant delivers there."""
    from paotui.catalog import amap  # with requests: only this route needs them, not every CatalogApi cold start

    store = merchant.location
    places = []
    for place in amap.configured().geocode(address, city):
        distance = round(haversine_m(store.lat, store.lng, place.lat, place.lng))
        deliverable = delivery.area_at(merchant, distance, place.lat, place.lng) is not None
        places.append(DeliveryPlace(**vars(place), distance_m=distance, deliverable=deliverable))
    return DeliveryPlaces(items=sorted(places, key=lambda place: place.distance_m))
