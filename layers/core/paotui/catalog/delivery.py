"""A merchant's delivery settings: who delivers, and the areas it delivers to, each with its own fees.

An area is a radius around the merchant or a drawn polygon (``paotui.catalog.areas``),
with a name, a priority, fee rules (``paotui.catalog.fees``) and a minimum
order. Where areas overlap, the one with the highest priority prices the
order (ties: the first listed), so "inner ring cheap, outer ring dearer" is
two areas. Every area lies within ``merchant_max_radius_m`` of the merchant
(for a polygon: every corner, hence the whole polygon), which is what the
``by-cell`` search around a customer's point relies on.

Settings are stored whole as JSON in ``MerchantRecord.delivery_settings``:
they are always read and written as one document and never queried by field,
so the pydantic models here are the one schema, checked on write and on read.
A polygon area is stored with its compacted H3 cover, computed once on write.
A merchant that never saved settings delivers within ``MerchantRecord.delivery``
(what it was created with), read as one radius area.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from paotui.catalog import areas
from paotui.catalog.records import MerchantRecord
from paotui.platform.errors import Unprocessable
from paotui.platform.models import Fen, Line, RequestModel
from paotui.platform.settings import get_settings

Metres = Annotated[int, Field(ge=0, le=100_000)]
Label = Annotated[Line, StringConstraints(min_length=1, max_length=32)]
RESERVED_CODES = {"base", "distance", "weight", "free_delivery"}
# the stored settings' share of the merchant item, which DynamoDB caps at 400 KB with the profile, menu and hours
MAX_STORED_BYTES = 300_000


def _without_offset(value: time) -> time:
    """Windows are China time; an offset ("22:00Z") would make every fee compare an aware time with a naive one."""
    if value.tzinfo is not None:
        raise ValueError("give a China time without a UTC offset, e.g. 22:00")
    return value


ChinaTime = Annotated[time, AfterValidator(_without_offset)]


class Tier(RequestModel):
    up_to_m: Metres
    fee_per_km: Fen


class TimeSurcharge(RequestModel):
    """A fixed amount for orders delivered in [start, end) China time, e.g. night 22:00–06:00."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    label: Label
    start: ChinaTime
    end: ChinaTime
    amount: Fen

    @model_validator(mode="after")
    def _a_window(self) -> TimeSurcharge:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        if self.code in RESERVED_CODES:
            raise ValueError(f"code must not be one of {sorted(RESERVED_CODES)}")
        return self


class WeightSurcharge(RequestModel):
    free_g: Annotated[int, Field(ge=0)]
    fee_per_kg: Fen  # per started kilogram above free_g


class FeeRules(RequestModel):
    base_fee: Fen
    base_distance_m: Metres
    tiers: list[Tier] = Field(default_factory=list, max_length=10)
    surcharges: list[TimeSurcharge] = Field(default_factory=list, max_length=10)
    weight: WeightSurcharge | None = None
    free_over: Fen | None = None  # items total from which the distance fee is waived

    @model_validator(mode="after")
    def _tiers_increase(self) -> FeeRules:
        bounds = [tier.up_to_m for tier in self.tiers]
        if any(a >= b for a, b in zip([self.base_distance_m, *bounds], bounds, strict=False)):
            raise ValueError("tiers must have increasing up_to_m, all beyond base_distance_m")
        codes = [surcharge.code for surcharge in self.surcharges]
        if len(set(codes)) != len(codes):
            raise ValueError("surcharge codes must be unique")
        return self


class Polygon(RequestModel):
    """GeoJSON Polygon geometry, GCJ-02, positions ``[lng, lat]``."""

    type: Literal["Polygon"]
    coordinates: list[list[tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]]]


class Area(RequestModel):
    name: Label
    priority: int = Field(default=0, ge=0, le=1000)
    radius_m: Annotated[int, Field(gt=0)] | None = None
    polygon: Polygon | None = None
    min_order: Fen = 0
    fees: FeeRules

    @model_validator(mode="after")
    def _one_shape(self) -> Area:
        if (self.radius_m is None) == (self.polygon is None):
            raise ValueError("give either radius_m or polygon")
        return self


class CarrierShop(RequestModel):
    """The merchant's shop at its carrier: Dada's 门店编号 (registered with Dada) and the city code of its orders."""

    shop_no: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    city_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{3,4}$")]


class DeliverySettings(RequestModel):
    """``mode`` "self": our riders deliver. "carrier": a third party does (``paotui.carriers``), from ``carrier_shop``.

    ``allow_carrier_fallback`` (mode "self"): when none of our riders takes an order in time, the carrier does
    (``paotui.dispatch.escalation``). Either way the areas price the order for the customer; what the carrier
    charges is the merchant's cost.
    """

    mode: Literal["self", "carrier"] = "self"
    carrier: Literal["dada"] | None = None
    carrier_shop: CarrierShop | None = None
    allow_carrier_fallback: bool = False
    areas: list[Area] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _carrier_with_mode(self) -> DeliverySettings:
        if self.mode == "carrier" and self.allow_carrier_fallback:
            raise ValueError('allow_carrier_fallback is for mode "self": in mode "carrier" the carrier delivers all')
        uses_carrier = self.mode == "carrier" or self.allow_carrier_fallback
        if len({uses_carrier, self.carrier is not None, self.carrier_shop is not None}) > 1:
            raise ValueError(
                'carrier and carrier_shop are required with mode "carrier" or allow_carrier_fallback, and only then'
            )
        return self


class StoredArea(Area):
    cells: frozenset[str] = frozenset()  # a polygon's compacted H3 cover
    reach_m: int = 0  # the farthest point of the area from the merchant


class StoredSettings(DeliverySettings):
    areas: list[StoredArea]

    def public(self) -> DeliverySettings:
        return DeliverySettings.model_validate(self.model_dump(exclude={"areas": {"__all__": {"cells", "reach_m"}}}))


def settings_of(merchant: MerchantRecord) -> StoredSettings:
    """The merchant's settings; treat them as read-only (parsed documents are shared between calls)."""
    if merchant.delivery_settings:
        return _parsed(merchant.delivery_settings)
    start = merchant.delivery
    fees = FeeRules(
        base_fee=int(start.base_fee),
        base_distance_m=int(start.base_distance_m),
        tiers=sorted((Tier(**tier.as_dict()) for tier in start.tiers), key=lambda tier: tier.up_to_m),
    )
    radius = int(start.radius_m)
    area = StoredArea(name="默认", radius_m=radius, min_order=int(start.min_order), fees=fees, reach_m=radius)
    return StoredSettings(areas=[area])


@lru_cache(maxsize=1024)
def _parsed(document: str) -> StoredSettings:
    """Parsing costs ~ms per merchant and a warm container lists the same merchants again and again."""
    return StoredSettings.model_validate_json(document)


def area_at(merchant: MerchantRecord, distance_m: int, lat: float, lng: float) -> StoredArea | None:
    """The area that prices a delivery to the point (``distance_m`` from the merchant), or None: out of range."""
    by_priority = sorted(settings_of(merchant).areas, key=lambda area: -area.priority)
    for area in by_priority:
        if area.radius_m is not None:
            if distance_m <= area.radius_m:
                return area
        elif areas.covers(area.cells, lat, lng):
            return area
    return None


def indexed(merchant: MerchantRecord, settings: DeliverySettings) -> StoredSettings:
    """The settings as stored, polygons checked and covered.

    422 ``INVALID_POLYGON`` / ``AREA_TOO_LARGE``, and ``AREAS_TOO_DETAILED`` when the document would not fit in
    :data:`MAX_STORED_BYTES`: detailed polygons, each within every limit, can have covers of ~100 KB each.
    """
    stored = StoredSettings(
        mode=settings.mode,
        carrier=settings.carrier,
        carrier_shop=settings.carrier_shop,
        allow_carrier_fallback=settings.allow_carrier_fallback,
        areas=[_indexed(index, area, merchant) for index, area in enumerate(settings.areas)],
    )
    size = len(stored.model_dump_json().encode())
    if size > MAX_STORED_BYTES:
        raise Unprocessable(
            "The delivery areas are too detailed to store; use fewer or simpler polygons.",
            code="AREAS_TOO_DETAILED",
            details={"bytes": size, "max_bytes": MAX_STORED_BYTES},
        )
    return stored


def save(merchant: MerchantRecord, settings: DeliverySettings) -> StoredSettings:
    """Replace the merchant's settings whole, with the reach a search filters on before parsing them."""
    stored = indexed(merchant, settings)
    merchant.update(actions=stored_actions(stored), condition=MerchantRecord.id.exists())
    return stored


def stored_actions(stored: StoredSettings) -> list[Any]:
    """The merchant update that stores ``stored``."""
    return [
        MerchantRecord.delivery_settings.set(stored.model_dump_json()),
        MerchantRecord.reach_m.set(max(area.reach_m for area in stored.areas)),
    ]


def _indexed(index: int, area: Area, merchant: MerchantRecord) -> StoredArea:
    """The area with its reach and, for a polygon, its cover: computed last, as a far-flung polygon's takes seconds."""
    limit = get_settings().merchant_max_radius_m
    with _about_area(index):
        ring = None if area.polygon is None else areas.validate_ring(area.polygon.coordinates)
    reach = area.radius_m if ring is None else areas.farthest_m(ring, merchant.location.lat, merchant.location.lng)
    if reach > limit:
        raise Unprocessable(
            f"A delivery area must lie within {limit} m of the merchant.",
            code="AREA_TOO_LARGE",
            details={"area": index, "reach_m": reach, "max_m": limit},
        )
    with _about_area(index):
        cells = frozenset() if ring is None else _cover(ring)
    return StoredArea(**area.model_dump(), cells=cells, reach_m=reach)


def _cover(ring: list[areas.Position]) -> frozenset[str]:
    cells = frozenset(areas.cover(ring))
    if not cells:
        raise areas.invalid_polygon("too_small")
    return cells


@contextmanager
def _about_area(index: int) -> Iterator[None]:
    """A 422 raised inside says which area it is about."""
    try:
        yield
    except Unprocessable as invalid:
        invalid.details["area"] = index
        raise
