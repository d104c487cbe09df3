"""Routes of CatalogApi (API.md "Catalog and quotes"). Public: browsing needs no sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import pricing, service
from paotui.catalog.models import Location, MerchantCard, ProductView, Quote, QuoteRequest
from paotui.catalog.records import MerchantRecord, ProductRecord
from paotui.platform import clock

router = APIGatewayRouter()


def _card(merchant: MerchantRecord, distance: int, now: datetime) -> MerchantCard:
    minutes = pricing.eta_minutes(merchant, distance)
    return MerchantCard(
        id=merchant.id,
        name=merchant.name,
        address=merchant.address,
        location=Location(lat=merchant.location.lat, lng=merchant.location.lng),
        open=merchant.open,
        distance_m=distance,
        delivery_fee=pricing.delivery_fee(merchant, distance),
        min_order=int(merchant.delivery.min_order),
        eta=clock.iso(now + timedelta(minutes=minutes)),
        eta_minutes=minutes,
    )


def _product(product: ProductRecord) -> ProductView:
    count = max(0, int(product.available))
    return ProductView(
        id=product.id, name=product.name, price=int(product.price), stock=count, available=product.on_sale and count > 0
    )


@router.get("/merchants")
def nearby_merchants(
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
) -> list[MerchantCard]:
    now = clock.now()
    return [_card(merchant, distance, now) for merchant, distance in service.nearby_merchants(lat, lng)]


@router.get("/merchants/<merchantId>/products")
def merchant_products(merchantId: str) -> list[ProductView]:  # noqa: N803 (API path name)
    return [_product(product) for product in service.list_products(merchantId)]


@router.post("/quotes")
def quote(body: QuoteRequest) -> Quote:
    return service.quote(body)
