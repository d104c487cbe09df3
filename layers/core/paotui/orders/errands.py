"""Errands (跑腿, docs/adr/0008): 帮送 send, 帮买 buy, 帮取 fetch, orders that no merchant takes part in.

An errand is an order like any other (same table, lifecycle, payment,
dispatch from its pick-up, watchdog, notifications) with ``kind`` "errand",
no ``merchant_id`` (the sparse ``by-merchant`` index leaves it out), no items
and an ``errand`` map. The platform prices it: its fee rules are a setting,
a catalog ``FeeRules`` document run through the same fee engine as a
merchant's delivery areas, over the straight-line distance from pick-up to
drop-off, the declared weight and the delivery time. The customer pays that
fee up front; a buy errand's goods are paid by the rider and repaid by the
customer on delivery, the rider reporting their cost with DELIVERED
(``paotui.orders.service.transition``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from pynamodb.exceptions import PutError

from paotui.catalog import pricing
from paotui.catalog.delivery import FeeRules
from paotui.orders import service
from paotui.orders.models import ErrandQuote, ErrandQuoteRequest, PlaceErrand
from paotui.orders.records import AddressMap, AmountsMap, ErrandMap, OrderRecord, PickupAddressMap
from paotui.platform import clock
from paotui.platform.dynamo import PlaceMap, condition_failed
from paotui.platform.errors import Unprocessable
from paotui.platform.geo import haversine_m
from paotui.platform.ids import fingerprint
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

TYPE_LABELS = {"send": "帮送", "buy": "帮买", "fetch": "帮取"}


@lru_cache(maxsize=4)
def fee_rules(document: str) -> FeeRules:
    """The platform's errand fee rules, parsed once per container (``document`` is the setting)."""
    return FeeRules.model_validate_json(document)


def price_errand(request: ErrandQuoteRequest, *, now: datetime | None = None) -> ErrandQuote:
    """What the errand costs up front and when it arrives, or the 422 that says why it can't be run.

    ``SCHEDULE_IN_PAST`` / ``SCHEDULE_TOO_FAR`` (``pickup_at`` past, or more than ``schedule_max_days``
    ahead), ``POINTS_TOO_CLOSE`` (pick-up and
    drop-off are one place), ``OUT_OF_RANGE`` (farther apart than the platform
    rides). The ETA is the pick-up (after the lead time a rider needs, or at
    ``pickup_at``) plus the ride; surcharge windows are matched at the ETA.
    """
    now = now or clock.now()
    settings = get_settings()
    pickup_at = pricing.scheduled_time(request.pickup_at, now)
    pickup, dropoff = request.pickup, request.dropoff
    distance = round(haversine_m(pickup.lat, pickup.lng, dropoff.lat, dropoff.lng))
    if distance < settings.errand_min_distance_m:
        raise Unprocessable(
            "The pick-up and the drop-off are the same place.",
            code="POINTS_TOO_CLOSE",
            details={"distance_m": distance, "min_m": settings.errand_min_distance_m},
        )
    if distance > settings.errand_max_distance_m:
        raise Unprocessable(
            "The drop-off is too far from the pick-up for an errand.",
            code="OUT_OF_RANGE",
            details={"distance_m": distance, "max_m": settings.errand_max_distance_m},
        )
    picked_up = max(now + timedelta(minutes=settings.errand_lead_minutes), pickup_at or now)
    eta = picked_up + timedelta(minutes=pricing.riding_minutes(distance))
    breakdown = pricing.fee_lines(fee_rules(settings.errand_fee_rules), distance, eta, weight_g=request.weight_g or 0)
    fee = sum(line.amount for line in breakdown)
    return ErrandQuote(
        delivery_fee=fee,
        total=fee,
        distance_m=distance,
        eta=clock.iso(eta),
        eta_minutes=pricing.minutes_until(eta, now),
        breakdown=breakdown,
    )


def pickup_name(request: PlaceErrand) -> str:
    """What the rider's offer calls the pick-up: the errand's type and the place, e.g. "帮买 · 全家便利店"."""
    return f"{TYPE_LABELS[request.type]} · {request.pickup.name or request.pickup.detail}"


def place_errand(customer_id: str, idempotency_key: str, request: PlaceErrand) -> tuple[OrderRecord, bool]:
    """Create the errand once per (customer, idempotency key), as ``place_order`` does an order.

    Returns the order and whether this call created it; nothing is written when the errand is refused.
    """
    order_id = service.order_id_for(customer_id, idempotency_key)
    digest = fingerprint(request)
    existing = service.replay(order_id, digest)
    if existing:
        return existing, False

    quote = price_errand(request)
    pickup = request.pickup
    record = service.pending_order(
        order_id,
        customer_id,
        digest,
        kind="errand",
        items=[],
        amounts=AmountsMap(
            items_total=0,
            delivery_fee=quote.delivery_fee,
            total=quote.total,
            breakdown=service.fee_breakdown(quote.breakdown),
        ),
        address=AddressMap(**request.dropoff.model_dump()),
        pickup=PlaceMap(lat=pickup.lat, lng=pickup.lng, name=pickup_name(request)),
        promised_at=quote.eta,
        note=request.note,
        errand=ErrandMap(
            type=request.type,
            item=request.item,
            weight_g=request.weight_g,
            pickup_address=PickupAddressMap(
                detail=pickup.detail, contact_name=pickup.contact_name, contact_phone=pickup.contact_phone
            ),
            pickup_at=clock.iso(request.pickup_at) if request.pickup_at else None,
            goods_estimate=request.goods_estimate,
        ),
    )
    try:
        record.save(condition=OrderRecord.id.does_not_exist())
    except PutError as error:
        replayed = condition_failed(error) and service.replay(order_id, digest)  # a concurrent duplicate won
        if not replayed:
            raise
        return replayed, False
    logger.info("errand placed", extra={"order_id": order_id, "type": request.type, "total": quote.total})
    return record, True
