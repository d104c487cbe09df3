"""Merchants and products: reads for customers and order intake, and the writes seeding uses.

Finding merchants near a point queries the ``by-cell`` index for every H3 cell
(resolution ``merchant_cell_resolution``) within the widest delivery radius a
merchant may set, then keeps those whose own radius reaches the point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.exceptions import DoesNotExist

from paotui.catalog import fees, pricing
from paotui.catalog.models import Quote, QuoteRequest
from paotui.catalog.records import DeliveryMap, FeeTierMap, MerchantRecord, ProductRecord
from paotui.platform.dynamo import LatLngMap
from paotui.platform import clock
from paotui.platform.errors import NotFound, Unprocessable
from paotui.platform.geo import cell_of, disk_cells
from paotui.platform.ids import new_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

_CELL_QUERY_THREADS = 8  # below botocore's pool of 10 connections


def get_merchant(merchant_id: str) -> MerchantRecord:
    try:
        return MerchantRecord.get(merchant_id)
    except DoesNotExist:
        raise NotFound("No such merchant.", code="MERCHANT_NOT_FOUND") from None


def get_products(merchant_id: str, product_ids: Iterable[str]) -> dict[str, ProductRecord]:
    """This merchant's products among ``product_ids``, by id (another merchant's ids are simply absent)."""
    keys = [(merchant_id, product_id) for product_id in dict.fromkeys(product_ids)]
    return {product.id: product for product in ProductRecord.batch_get(keys, consistent_read=True)}


def list_products(merchant_id: str) -> list[ProductRecord]:
    get_merchant(merchant_id)
    return list(ProductRecord.query(merchant_id))


def owned_merchant_ids(owner_id: str) -> list[str]:
    return [merchant.id for merchant in MerchantRecord.by_owner.query(owner_id)]


def nearby_merchants(lat: float, lng: float) -> list[tuple[MerchantRecord, int]]:
    """Merchants whose delivery area contains the point, with their distance in metres, nearest first."""
    settings = get_settings()
    cells = disk_cells(lat, lng, settings.merchant_cell_resolution, settings.merchant_max_radius_m)
    with ThreadPoolExecutor(max_workers=_CELL_QUERY_THREADS) as pool:
        batches = pool.map(lambda cell: list(MerchantRecord.by_cell.query(cell)), cells)
    found = []
    for merchant in (merchant for batch in batches for merchant in batch):
        distance = pricing.distance_m(merchant, lat, lng)
        if fees.in_range(distance, int(merchant.delivery.radius_m)):
            found.append((merchant, distance))
    return sorted(found, key=lambda pair: (pair[1], pair[0].id))


def quote(request: QuoteRequest) -> Quote:
    merchant = get_merchant(request.merchant_id)
    products = get_products(merchant.id, [item.product_id for item in request.items])
    return pricing.price_order(merchant, products, request.items, request.address, scheduled_for=request.scheduled_for)


def create_merchant(
    owner_id: str,
    name: str,
    phone: str,
    location: Mapping[str, float],
    address: str,
    delivery: Mapping[str, Any],
    prep_minutes: int,
) -> MerchantRecord:
    """A new, open merchant.

    ``delivery``: radius_m, base_fee, base_distance_m, tiers [{up_to_m, fee_per_km}], min_order.
    """
    settings = get_settings()
    radius = int(delivery["radius_m"])
    if not 0 < radius <= settings.merchant_max_radius_m:
        raise Unprocessable(
            f"radius_m must be between 1 and {settings.merchant_max_radius_m}.",
            code="INVALID_RADIUS",
            details={"max_radius_m": settings.merchant_max_radius_m},
        )
    merchant = MerchantRecord(
        new_id("mer_"),
        owner_id=owner_id,
        name=name,
        phone=phone,
        address=address,
        location=LatLngMap(lat=location["lat"], lng=location["lng"]),
        cell=cell_of(location["lat"], location["lng"], settings.merchant_cell_resolution),
        open=True,
        prep_minutes=prep_minutes,
        delivery=DeliveryMap(
            radius_m=radius,
            base_fee=int(delivery["base_fee"]),
            base_distance_m=int(delivery["base_distance_m"]),
            tiers=[
                FeeTierMap(up_to_m=int(tier["up_to_m"]), fee_per_km=int(tier["fee_per_km"]))
                for tier in delivery.get("tiers", ())
            ],
            min_order=int(delivery.get("min_order", 0)),
        ),
        created_at=clock.now_iso(),
    )
    merchant.save(condition=MerchantRecord.id.does_not_exist())
    logger.info("merchant created", extra={"merchant_id": merchant.id, "owner_id": owner_id})
    return merchant


def add_product(merchant_id: str, name: str, price: int, stock: int) -> ProductRecord:
    get_merchant(merchant_id)
    product = ProductRecord(
        merchant_id,
        new_id("prd_"),
        name=name,
        price=price,
        stock=stock,
        reserved=0,
        available=stock,
        on_sale=True,
        version=1,
        created_at=clock.now_iso(),
    )
    product.save(condition=ProductRecord.id.does_not_exist())
    return product
