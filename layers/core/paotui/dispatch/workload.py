"""A rider's workload as dispatch and the rider's route both see it: the orders they carry, when each is ready.

Dispatch rounds plan a busy rider after the orders they carry; the rider's own
route (paotui.riders.route_service) orders those orders' stops. Both read them
and estimate each kitchen's ready time here, the same way. No numpy: the
rider-facing functions import this without the dispatch engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.geo import haversine_m
from paotui.platform.settings import get_settings

CARRYING = (Status.ASSIGNED.value, Status.PICKING_UP.value, Status.DELIVERING.value)
"""A rider's orders in these statuses are theirs to pick up or deliver."""


def carried_by(rider_id: str) -> Iterable[OrderRecord]:
    return OrderRecord.by_rider.query(rider_id, filter_condition=OrderRecord.status.is_in(*CARRYING))


def prep_minutes(orders: Sequence[OrderRecord]) -> dict[str, int]:
    """Each kitchen's current estimate, read once for all the orders (a merchant gone since the order: 0, food as
    ready as it will be)."""
    from paotui.catalog.records import MerchantRecord

    merchant_ids = sorted({order.merchant_id for order in orders if order.merchant_id})
    found = MerchantRecord.batch_get(merchant_ids, attributes_to_get=["id", "prep_minutes"]) if merchant_ids else []
    return {merchant.id: int(merchant.prep_minutes) for merchant in found}


def ready_at(order: OrderRecord, prep: Mapping[str, int]) -> datetime:
    """When the kitchen is done: its prep estimate after the merchant confirmed (placed, if never confirmed); an
    errand has no kitchen."""
    placed = clock.parse_iso(order.created_at)
    confirmed = next((clock.parse_iso(e.at) for e in order.timeline if e.status == Status.CONFIRMED.value), placed)
    return confirmed + timedelta(minutes=prep.get(order.merchant_id, 0) if order.merchant_id else 0)


def road_minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Dispatch's travel time between two points (paotui.dispatch.engine.HaversineTravel), without numpy."""
    settings = get_settings()
    return haversine_m(*a, *b) * settings.road_detour / settings.delivery_speed_m_per_min
