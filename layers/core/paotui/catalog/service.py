"""Merchants and products: reads for customers and order intake, and the writes seeding uses.

Finding merchants near a point queries the ``by-cell`` index for every H3 cell
(resolution ``merchant_cell_resolution``) within ``merchant_max_radius_m``, the
farthest any delivery area may reach, then keeps those with an area
containing the point (``paotui.catalog.delivery``) that take orders: open now,
or closed but opening within ``scheduled_horizon_hours`` (they take scheduled
orders meanwhile). A paused merchant takes none.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from paotui.catalog import delivery, hours, pricing, search
from paotui.catalog.delivery import StoredArea
from paotui.catalog.lookup import get_merchant
from paotui.catalog.models import Quote, QuoteRequest
from paotui.catalog.records import (
    UNLIMITED_STOCK,
    DeliveryMap,
    FeeTierMap,
    MerchantRecord,
    OptionGroupMap,
    OptionMap,
    ProductRecord,
    ShopDocumentMap,
)
from paotui.platform.dynamo import LatLngMap, side_by_side, transact_write
from paotui.platform import clock
from paotui.platform.errors import Conflict, Unprocessable
from paotui.platform.geo import cell_of, disk_cells
from paotui.platform.ids import new_id, stable_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

_CELL_QUERY_THREADS = 8  # below botocore's pool of 10 connections


class Nearby(NamedTuple):
    merchant: MerchantRecord
    distance_m: int
    area: StoredArea  # the area that prices deliveries to the point


def get_products(merchant_id: str, product_ids: Iterable[str]) -> dict[str, ProductRecord]:
    """This merchant's products among ``product_ids``, by id (another merchant's ids are simply absent)."""
    keys = [(merchant_id, product_id) for product_id in dict.fromkeys(product_ids)]
    return {product.id: product for product in ProductRecord.batch_get(keys, consistent_read=True)}


def list_products(merchant_id: str) -> list[ProductRecord]:
    get_merchant(merchant_id)
    return list(ProductRecord.query(merchant_id))


def owned_merchants(owner_id: str) -> list[MerchantRecord]:
    return list(MerchantRecord.by_owner.query(owner_id))


def owned_merchant_ids(owner_id: str) -> list[str]:
    return [merchant.id for merchant in owned_merchants(owner_id)]


def taking_orders(merchant: MerchantRecord, now: datetime) -> bool:
    """Open now, or opening soon enough to take a scheduled order for then."""
    opening = hours.next_opening(merchant.hours, merchant.holidays, merchant.switched_off, now)
    return opening is not None and opening <= now + timedelta(hours=get_settings().scheduled_horizon_hours)


def nearby_merchants(
    lat: float,
    lng: float,
    *,
    limit: int,
    cursor: str | None = None,
    keyword: str | None = None,
    now: datetime | None = None,
) -> tuple[list[Nearby], str | None]:
    """A page of the merchants taking orders with an area containing the point, nearest first, and the next cursor.

    ``keyword`` keeps those named for it or selling a product named for it (``paotui.catalog.search``).
    """
    now = now or clock.now()
    settings = get_settings()
    cells = disk_cells(lat, lng, settings.merchant_cell_resolution, settings.merchant_max_radius_m)
    batches = side_by_side(lambda cell: list(MerchantRecord.by_cell.query(cell)), cells, at_most=_CELL_QUERY_THREADS)
    found = deliverable((merchant for batch in batches for merchant in batch), lat, lng)
    if cursor is not None:
        after = _position(cursor)
        found = [near for near in found if (near.distance_m, near.merchant.id) > after]
    wanted = (
        near
        for near in found
        if taking_orders(near.merchant, now) and (keyword is None or search.matches(near.merchant, keyword))
    )
    page = list(islice(wanted, limit + 1))
    more = len(page) > limit
    page = page[:limit]
    return page, _cursor(page[-1]) if more else None


def deliverable(merchants: Iterable[MerchantRecord], lat: float, lng: float) -> list[Nearby]:
    """Those of ``merchants`` with an area containing the point, nearest first (ties by id, for stable pages)."""
    found = []
    for merchant in merchants:
        distance = pricing.distance_m(merchant, lat, lng)
        if merchant.reach_m is not None and distance > merchant.reach_m:
            continue  # beyond every area: no need to read its settings
        area = delivery.area_at(merchant, distance, lat, lng)
        if area is not None:
            found.append(Nearby(merchant, distance, area))
    return sorted(found, key=lambda near: (near.distance_m, near.merchant.id))


def _cursor(last: Nearby) -> str:
    return base64.urlsafe_b64encode(json.dumps([last.distance_m, last.merchant.id]).encode()).decode()


def _position(cursor: str) -> tuple[int, str]:
    try:
        distance, merchant_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(distance), str(merchant_id)
    except (ValueError, TypeError, OverflowError):  # OverflowError: a forged infinite distance (1e999)
        raise Unprocessable("This cursor is not one we gave out.", code="INVALID_CURSOR") from None


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
    merchant_id: str | None = None,
    licences: Sequence[ShopDocumentMap] | None = None,
) -> MerchantRecord:
    """A new, open merchant, under ``merchant_id`` if given (a retry's: the write is on condition the id is new),
    with the ``licences`` its application was approved by.

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
        merchant_id or new_id("mer_"),
        owner_id=owner_id,
        name=name,
        phone=phone,
        address=address,
        location=LatLngMap(lat=location["lat"], lng=location["lng"]),
        cell=cell_of(location["lat"], location["lng"], settings.merchant_cell_resolution),
        reach_m=radius,
        open=True,
        prep_minutes=prep_minutes,
        licences=list(licences) if licences else None,
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


def check_category(merchant: MerchantRecord, category_id: str) -> None:
    if category_id not in {category.id for category in merchant.categories}:
        raise Unprocessable("No such category on this menu.", code="UNKNOWN_CATEGORY")


def menu_unchanged(merchant: MerchantRecord) -> Any:
    """The condition that the merchant's categories, and the products put in them, are still as ``merchant`` read."""
    read = merchant.menu_version
    return MerchantRecord.menu_version.does_not_exist() if read is None else MerchantRecord.menu_version == read


def menu_changed(merchant_id: str, category_id: str | None = None) -> Conflict:
    """Why a write conditional on the menu was cancelled: 422 if its category was dropped meanwhile, else 409."""
    if category_id is not None:
        check_category(MerchantRecord.get(merchant_id, consistent_read=True), category_id)
    return Conflict("The menu changed while saving; reload and try again.", code="MENU_CHANGED")


def claim_menu(transaction: TransactWrite, merchant: MerchantRecord) -> None:
    """Make putting a product in a category and replacing the categories exclusive: each checks what the other bumps.

    Otherwise a product checked into a category as read lands after a replace, checked as having no product
    there, dropped it; a product in a category the menu no longer has.
    """
    transaction.update(merchant, actions=[MerchantRecord.menu_version.add(1)], condition=menu_unchanged(merchant))


def option_groups(groups: Iterable[Mapping[str, Any]]) -> list[OptionGroupMap]:
    """Stored option groups from their plain form (as OptionGroup.model_dump gives it)."""
    return [
        OptionGroupMap(
            name=group["name"],
            min=group["min"],
            max=group["max"],
            options=[OptionMap(name=option["name"], price_delta=option["price_delta"]) for option in group["options"]],
        )
        for group in groups
    ]


def add_product(
    merchant_id: str,
    name: str,
    price: int,
    stock: int | None,
    *,
    description: str = "",
    category_id: str | None = None,
    options: Sequence[Mapping[str, Any]] = (),
    on_sale: bool = True,
    low_stock_threshold: int | None = None,
    daily_stock: int | None = None,
    idempotency: tuple[str, str] | None = None,
) -> tuple[ProductRecord, bool]:
    """A new product, and whether this call created it; ``stock=None`` sells it without limit. ``options``:
    [{name, min, max, options: [...]}]. ``idempotency``: (the caller's key, the body's digest): the product's id
    is derived from the key, so a retry after a lost answer finds the product it made (422
    ``IDEMPOTENCY_KEY_REUSED`` if the key came with another body) instead of making a second."""
    merchant = get_merchant(merchant_id)
    key, digest = idempotency or (None, None)
    product_id = stable_id("prd_", merchant_id, key) if key else new_id("prd_")
    if key and (made := _made_with(merchant_id, product_id, digest)):
        return made, False
    if category_id is not None:
        check_category(merchant, category_id)
    on_hand = UNLIMITED_STOCK if stock is None else stock
    product = ProductRecord(
        merchant_id,
        product_id,
        name=name,
        description=description,
        category_id=category_id,
        options=option_groups(options),
        price=price,
        stock=on_hand,
        unlimited=stock is None,
        reserved=0,
        available=on_hand,
        on_sale=on_sale,
        low_stock_threshold=low_stock_threshold,
        daily_stock=daily_stock,
        version=1,
        created_at=clock.now_iso(),
        request_fingerprint=digest,
    )
    try:
        if category_id is None:
            product.save(condition=ProductRecord.id.does_not_exist())
            return product, True
        with transact_write() as transaction:
            transaction.save(product, condition=ProductRecord.id.does_not_exist())
            claim_menu(transaction, merchant)
    except (PutError, TransactWriteError) as error:
        made = _made_with(merchant_id, product_id, digest) if key else None  # a retry that raced its first try
        if made:
            return made, False
        if isinstance(error, PutError) or error.cause_response_code != "TransactionCanceledException":
            raise
        raise menu_changed(merchant_id, category_id) from None
    return product, True


def _made_with(merchant_id: str, product_id: str, digest: str | None) -> ProductRecord | None:
    """The product an earlier request under the same key made, or None; 422 if that request had another body."""
    try:
        made = ProductRecord.get(merchant_id, product_id, consistent_read=True)
    except DoesNotExist:
        return None
    if made.request_fingerprint != digest:
        raise Unprocessable("This Idempotency-Key was used for a different product.", code="IDEMPOTENCY_KEY_REUSED")
    return made
