"""What an order costs and when it arrives: one pure function shared by quotes and order intake.

The caller loads the merchant and the products (only that merchant's, so a
product id from another merchant is simply unknown here) and passes them in;
nothing here touches a table, so a quote and the order placed from it agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from paotui.catalog import delivery, fees, hours
from paotui.catalog.delivery import FeeRules
from paotui.catalog.models import FeeLine, Quote, QuoteLine
from paotui.catalog.records import MerchantRecord, ProductRecord
from paotui.platform import clock
from paotui.platform.errors import Conflict, Unprocessable
from paotui.platform.geo import haversine_m
from paotui.platform.settings import get_settings


class LineItem(Protocol):
    product_id: str
    quantity: int


class Point(Protocol):
    lat: float
    lng: float


def distance_m(merchant: MerchantRecord, lat: float, lng: float) -> int:
    return round(haversine_m(merchant.location.lat, merchant.location.lng, lat, lng))


def fee_lines(
    rules: FeeRules, distance: int, at: datetime, *, items_total: int = 0, weight_g: int = 0
) -> list[FeeLine]:
    """The fee under ``rules`` (an area's, or the platform's errand rules), line by line, delivered at ``at``."""
    lines = fees.breakdown(rules.model_dump(), distance_m=distance, items_total=items_total, weight_g=weight_g, at=at)
    return [FeeLine(code=line.code, label=line.label, amount=line.amount) for line in lines]


def is_open(merchant: MerchantRecord, at: datetime) -> bool:
    """Switched on (by its owner, and not suspended), within its opening hours and not on a holiday."""
    return hours.is_open(merchant.hours, merchant.holidays, merchant.switched_off, at)


def allowed_to_sell(merchant: MerchantRecord) -> None:
    """Whether the platform lets the shop take orders of any channel: 409 ``MERCHANT_SUSPENDED`` while operators have
    suspended it, ``FOOD_PERMIT_EXPIRED`` while its food permit on file is lapsed (until a renewal is approved)."""
    if merchant.suspended_at is not None:
        raise Conflict("The platform has suspended this shop.", code="MERCHANT_SUSPENDED")
    if merchant.food_permit_lapsed:
        raise Conflict("This shop's food permit has lapsed.", code="FOOD_PERMIT_EXPIRED")


def riding_minutes(distance: int) -> int:
    """Riding time over ``distance`` metres at the configured average speed."""
    return math.ceil(distance / get_settings().delivery_speed_m_per_min)


def eta_minutes(merchant: MerchantRecord, distance: int) -> int:
    """Preparation plus riding time."""
    return int(merchant.prep_minutes) + riding_minutes(distance)


def minutes_until(at: datetime, now: datetime) -> int:
    return math.ceil((at - now).total_seconds() / 60)


def scheduled_time(at: datetime | None, now: datetime) -> datetime | None:
    """A time the customer asked for (naive is UTC); 422 ``SCHEDULE_IN_PAST`` when it has passed,
    ``SCHEDULE_TOO_FAR`` beyond ``schedule_max_days`` (which also keeps the dates computed from it in range)."""
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if at < now:
        raise Unprocessable("The scheduled time is in the past.", code="SCHEDULE_IN_PAST")
    return within_horizon(at, now)


def within_horizon(at: datetime, now: datetime) -> datetime:
    """``at``, unless it is more than ``schedule_max_days`` ahead: 422 ``SCHEDULE_TOO_FAR``."""
    max_days = get_settings().schedule_max_days
    if at > now + timedelta(days=max_days):
        raise Unprocessable("It is booked too far ahead.", code="SCHEDULE_TOO_FAR", details={"max_days": max_days})
    return at


def price_order(
    merchant: MerchantRecord,
    products_by_id: Mapping[str, ProductRecord],
    items: Sequence[LineItem],
    address: Point,
    *,
    scheduled_for: datetime | None = None,
    now: datetime | None = None,
) -> Quote:
    """Price ``items`` delivered to ``address``, or raise the API error that explains why not.

    The delivery area containing the address (highest priority first) sets the
    minimum order and the fee rules; surcharge windows are matched at the ETA.
    A merchant closed now (hours, holiday or paused) takes only a scheduled
    order, and any ``scheduled_for`` must fall within its opening hours: the
    kitchen hands over during them (``MERCHANT_CLOSED``'s ``next_opening`` is
    the next one from the time asked for).
    409 ``MERCHANT_SUSPENDED`` (by operators) / ``FOOD_PERMIT_EXPIRED``; 422 ``MERCHANT_CLOSED`` / ``OUT_OF_RANGE``
    (no area contains the address) / ``DUPLICATE_ITEM`` / ``UNKNOWN_PRODUCT`` / ``BELOW_MIN_ORDER`` /
    ``SCHEDULE_IN_PAST``; 409
    ``OUT_OF_STOCK`` (not on sale, or fewer available than asked; the stock reservation re-checks this atomically
    at intake).
    """
    now = now or clock.now()
    scheduled_for = scheduled_time(scheduled_for, now)
    allowed_to_sell(merchant)
    if not is_open(merchant, scheduled_for or now):
        opening = hours.next_opening(merchant.hours, merchant.holidays, merchant.switched_off, scheduled_for or now)
        raise Unprocessable(
            "This merchant is closed then.",
            code="MERCHANT_CLOSED",
            details={"next_opening": clock.iso(opening) if opening else None},
        )
    distance = distance_m(merchant, address.lat, address.lng)
    area = delivery.area_at(merchant, distance, address.lat, address.lng)
    if area is None:
        raise Unprocessable(
            "The address is outside this merchant's delivery area.",
            code="OUT_OF_RANGE",
            details={"distance_m": distance},
        )
    lines = _lines(products_by_id, items)
    items_total = sum(line.line_total for line in lines)
    if items_total < area.min_order:
        raise Unprocessable(
            "The order is below this merchant's minimum for this address.",
            code="BELOW_MIN_ORDER",
            details={"min_order": area.min_order, "items_total": items_total, "area": area.name},
        )
    weight = sum(int(products_by_id[line.product_id].weight_g or 0) * line.quantity for line in lines)
    minutes = eta_minutes(merchant, distance)
    eta = now + timedelta(minutes=minutes)
    if scheduled_for is not None:
        eta = max(eta, scheduled_for)
    breakdown = fee_lines(area.fees, distance, eta, items_total=items_total, weight_g=weight)
    fee = sum(line.amount for line in breakdown)
    return Quote(
        items_total=items_total,
        delivery_fee=fee,
        total=items_total + fee,
        distance_m=distance,
        eta=clock.iso(eta),
        eta_minutes=minutes_until(eta, now),
        lines=lines,
        breakdown=breakdown,
    )


def _lines(products_by_id: Mapping[str, ProductRecord], items: Sequence[LineItem]) -> list[QuoteLine]:
    ids = [item.product_id for item in items]
    if len(set(ids)) != len(ids):
        raise Unprocessable("List each product once, with its total quantity.", code="DUPLICATE_ITEM")
    unknown = [product_id for product_id in ids if product_id not in products_by_id]
    if unknown:
        raise Unprocessable(
            "Some products are not sold by this merchant.", code="UNKNOWN_PRODUCT", details={"product_ids": unknown}
        )
    short = {
        item.product_id: orderable(products_by_id[item.product_id])
        for item in items
        if orderable(products_by_id[item.product_id]) < item.quantity
    }
    if short:
        raise Conflict(
            "Not enough stock for some items.",
            code="OUT_OF_STOCK",
            details={"product_ids": list(short), "available": short},
        )
    lines = []
    for item in items:
        product = products_by_id[item.product_id]
        price = int(product.price)
        lines.append(
            QuoteLine(
                product_id=product.id,
                name=product.name,
                unit_price=price,
                quantity=item.quantity,
                line_total=price * item.quantity,
            )
        )
    return lines


def orderable(product: ProductRecord) -> int:
    """How many a customer may order now: none unless on sale."""
    return max(0, int(product.available)) if product.on_sale else 0
