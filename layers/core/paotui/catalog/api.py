"""Routes of CatalogApi (API.md "Catalog and quotes"). Public: browsing needs no sign-in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import pricing, service, slot_bookings
from paotui.catalog.models import Location, MerchantCard, MerchantPage, ProductView, Quote, QuoteRequest, SlotView
from paotui.platform import clock

router = APIGatewayRouter()


def _card(near: service.Nearby, now: datetime) -> MerchantCard:
    merchant, distance = near.merchant, near.distance_m
    minutes = pricing.eta_minutes(merchant, distance)
    eta = now + timedelta(minutes=minutes)
    return MerchantCard(
        id=merchant.id,
        name=merchant.name,
        address=merchant.address,
        location=Location(lat=merchant.location.lat, lng=merchant.location.lng),
        open=pricing.is_open(merchant, now),
        distance_m=distance,
        delivery_fee=sum(line.amount for line in pricing.fee_lines(near.area.fees, distance, eta)),
        min_order=near.area.min_order,
        eta=clock.iso(eta),
        eta_minutes=minutes,
    )


@router.get("/merchants")
def nearby_merchants(
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
) -> MerchantPage:
    """Merchants taking orders (now, or scheduled: ``open`` false) that deliver to the point, nearest first,
    with the fee (before any free-delivery threshold) and ETA; ``q`` keeps those whose name or an on-sale
    product's name contains it (case-insensitive substring over the nearby merchants, no search index)."""
    now = clock.now()
    page, next_cursor = service.nearby_merchants(lat, lng, limit=limit, cursor=cursor, keyword=q, now=now)
    return MerchantPage(items=[_card(near, now) for near in page], next_cursor=next_cursor)


@router.get("/merchants/<merchantId>/products")
def merchant_products(merchantId: str) -> list[ProductView]:  # noqa: N803 (API path name)
    return [ProductView.of(product) for product in service.list_products(merchantId)]


@router.get("/merchants/<merchantId>/slots")
def delivery_slots(
    merchantId: str,  # noqa: N803 (API path name)
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
    day: Annotated[date, Query(alias="date", description="local (Asia/Shanghai) day, YYYY-MM-DD")],
) -> list[SlotView]:
    """Scheduled delivery slots of that day the point can still get; past and too-soon ones are left out."""
    merchant = service.get_merchant(merchantId)
    offered = slot_bookings.offered(merchant, lat, lng, day, clock.now())
    return [SlotView(start=clock.iso(slot.start), end=clock.iso(slot.end), available=room) for slot, room in offered]


@router.post("/quotes")
def quote(body: QuoteRequest) -> Quote:
    return service.quote(body)
