"""The Merchants, Products and StockLedger tables.

Product stock is three numbers kept consistent by every write: ``stock`` is on
hand, ``reserved`` is held by unpaid orders, and ``available`` = stock − reserved
is what a new order may take. ``available`` is stored (not computed) so that a
reservation is one conditional update: ``available >= qty``.
"""

from __future__ import annotations

from enum import StrEnum

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import LatLngMap, table_meta


class FeeTierMap(MapAttribute):
    up_to_m = NumberAttribute()
    fee_per_km = NumberAttribute()  # fen per started kilometre


class DeliveryMap(MapAttribute):
    """How a merchant charges for delivery; see ``paotui.catalog.fees``."""

    radius_m = NumberAttribute()
    base_fee = NumberAttribute()  # fen, covers the first base_distance_m
    base_distance_m = NumberAttribute()
    tiers = ListAttribute(of=FeeTierMap, default=list)
    min_order = NumberAttribute(default=0)  # fen, items total


class ByCell(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-cell"
        projection = AllProjection()

    cell = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class ByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)


class MerchantRecord(Model):
    Meta = table_meta("merchants_table")

    id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    address = UnicodeAttribute()
    location = LatLngMap()
    cell = UnicodeAttribute()  # H3 at settings.merchant_cell_resolution
    open = BooleanAttribute(default=True)
    prep_minutes = NumberAttribute(default=15)
    delivery = DeliveryMap()
    created_at = UnicodeAttribute()

    by_cell = ByCell()
    by_owner = ByOwner()


class ProductRecord(Model):
    Meta = table_meta("products_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    price = NumberAttribute()  # fen
    stock = NumberAttribute()  # on hand
    reserved = NumberAttribute(default=0)  # held by unpaid orders
    available = NumberAttribute()  # stock - reserved
    on_sale = BooleanAttribute(default=True)
    version = NumberAttribute(default=1)  # bumped by every write, for compare-and-set edits
    created_at = UnicodeAttribute()


class LedgerState(StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    RETURNED = "RETURNED"


class StockLedgerRecord(Model):
    """One order's hold on one product; see ``paotui.catalog.stock``."""

    Meta = table_meta("stock_ledger_table")

    product_key = UnicodeAttribute(hash_key=True)  # f"{merchant_id}#{product_id}"
    ref = UnicodeAttribute(range_key=True)  # order id
    qty = NumberAttribute()
    state = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def product_key(merchant_id: str, product_id: str) -> str:
    return f"{merchant_id}#{product_id}"
