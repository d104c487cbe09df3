"""The Merchants, Products, StockLedger and Slots tables.

Product stock is three numbers kept consistent by every write: ``stock`` is on
hand, ``reserved`` is held by unpaid orders, and ``available`` = stock − reserved
is what a new order may take. ``available`` is stored (not computed) so that a
reservation is one conditional update: ``available >= qty``.

An unlimited product keeps ``stock`` at UNLIMITED_STOCK, so reservations,
commits and releases work on it unchanged (and the ledger still records each
hold); views show it as unlimited rather than as a count.
"""

from __future__ import annotations

from enum import StrEnum

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from paotui.platform import clock
from paotui.platform.dynamo import LatLngMap, table_meta

UNLIMITED_STOCK = 1_000_000_000


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


class CategoryMap(MapAttribute):
    id = UnicodeAttribute()
    name = UnicodeAttribute()


class OptionMap(MapAttribute):
    name = UnicodeAttribute()
    price_delta = NumberAttribute()  # fen


class OptionGroupMap(MapAttribute):
    """A choice on a product (size, spice, add-ons): pick between ``min`` and ``max`` of ``options``."""

    name = UnicodeAttribute()
    min = NumberAttribute()
    max = NumberAttribute()
    options = ListAttribute(of=OptionMap, default=list)


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


class AwaitingReview(GlobalSecondaryIndex):
    """Shops with something for operators to review (a licence renewal), oldest first: sparse, keys only, since shops
    are written often and only this queue reads it."""

    class Meta:
        index_name = "awaiting-review"
        projection = KeysOnlyProjection()

    awaiting_review = UnicodeAttribute(hash_key=True)
    awaiting_since = UnicodeAttribute(range_key=True)


class ApplicationsByStatus(GlobalSecondaryIndex):
    """Applications of one status, oldest first: the pending ones are operators' queue."""

    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class PrinterMap(MapAttribute):
    """The shop's cloud receipt printer (paotui.printing): kitchen tickets print there when an order is confirmed."""

    provider = UnicodeAttribute(default="feie")
    sn = UnicodeAttribute()  # the printer's number at the provider (its label's SN)
    label = UnicodeAttribute()  # what the shop calls it (后厨, 前台)
    copies = NumberAttribute(default=1)
    bound_at = UnicodeAttribute()


class ShopDocumentMap(MapAttribute):
    """One of an applicant's licences (catalog.documents), kept in the private documents bucket."""

    kind = UnicodeAttribute()  # business_licence | food_permit
    id = UnicodeAttribute()  # the upload's id, which the applicant applied with
    key = UnicodeAttribute()  # where it is kept: documents/<applicant>/<id>-<copy>.<ext>
    content_type = UnicodeAttribute()
    uploaded_at = UnicodeAttribute()  # when it was attached
    # the last day it is valid (YYYY-MM-DD), as the operator who approved it read it off the image; None: no end
    # (a business licence of 长期) or none recorded (shops approved before dates were)
    valid_until = UnicodeAttribute(null=True)


class LicenceRenewalMap(MapAttribute):
    """A shop owner's renewal of its licences (catalog.documents), on file once an operator approves it."""

    status = UnicodeAttribute()  # PENDING | APPROVED | DECLINED
    documents = ListAttribute(of=ShopDocumentMap)  # what it puts on file, dated once approved
    submitted_at = UnicodeAttribute()  # each change: what a decision is conditional on
    submitted_by = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)  # why it was declined: the owner reads it
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)


class MerchantRecord(Model):
    Meta = table_meta("merchants_table")

    id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    address = UnicodeAttribute()
    location = LatLngMap()
    cell = UnicodeAttribute()  # H3 at settings.merchant_cell_resolution
    open = BooleanAttribute(default=True)  # the merchant's own switch: False while paused
    prep_minutes = NumberAttribute(default=15)
    slot_minutes = NumberAttribute(default=30)  # length of a scheduled delivery slot (catalog.slots)
    slot_capacity = NumberAttribute(default=10)  # scheduled orders one slot takes
    hours = JSONAttribute(null=True)  # weekday -> [[HH:MM, HH:MM]], see catalog.hours; None: always open
    holidays = ListAttribute(of=UnicodeAttribute, default=list)  # closed local dates, YYYY-MM-DD
    auto_confirm = BooleanAttribute(default=False)
    proof_of_delivery = UnicodeAttribute(default="code")  # what proves a delivery (orders.proof)
    on_confirm_timeout = UnicodeAttribute(default="cancel")  # an order not confirmed in time: cancel | confirm
    refund_rules = JSONAttribute(null=True)  # failure reason -> refund rule of a returned order (orders.refund_rules)
    categories = ListAttribute(of=CategoryMap, default=list)  # in menu order
    menu_version = NumberAttribute(null=True)  # bumped by a category replace and by a product put in a category
    delivery = DeliveryMap()  # the settings a merchant starts with: one radius area, until it saves its own
    delivery_settings = UnicodeAttribute(null=True)  # JSON; see paotui.catalog.delivery
    reach_m = NumberAttribute(null=True)  # farthest any saved area reaches; lets a search skip parsing the rest
    printer = PrinterMap(null=True)  # bound by its owner (printing.binding); None: tickets print from the console
    # set while operators have suspended the shop (catalog.onboarding): it takes no orders, whatever ``open`` says
    suspended_at = UnicodeAttribute(null=True)
    suspended_by = UnicodeAttribute(null=True)
    suspension_reason = UnicodeAttribute(null=True)
    commission_bp = NumberAttribute(null=True)  # the platform's share of its dishes (settlement); None: the default
    licences = ListAttribute(of=ShopDocumentMap, null=True)  # on record and shown (catalog.documents)
    licence_renewal = LicenceRenewalMap(null=True)  # the owner's latest, pending or as decided
    # what operators are to review ("licences": the pending renewal) and since when; absent otherwise (the index is
    # sparse)
    awaiting_review = UnicodeAttribute(null=True)
    awaiting_since = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()

    by_cell = ByCell()
    by_owner = ByOwner()
    awaiting = AwaitingReview()

    @property
    def switched_off(self) -> bool:
        """Taking no orders whatever its hours: paused by its owner, suspended by operators, or its food permit
        lapsed."""
        return not self.open or self.suspended_at is not None or self.food_permit_lapsed

    @property
    def food_permit(self) -> ShopDocumentMap | None:
        """Its food business permit on file (catalog.documents), if any."""
        return next((licence for licence in self.licences or () if licence.kind == "food_permit"), None)

    @property
    def food_permit_lapsed(self) -> bool:
        """Its food permit on file is past the day it is valid until (China time): it may not sell food."""
        permit = self.food_permit
        return bool(permit and permit.valid_until and permit.valid_until < clock.china_date(clock.now()))


class MerchantApplicationRecord(Model):
    """A user's application to open a shop on the platform (catalog.onboarding): one per user, keyed by the applicant;
    applying again after a decline replaces it."""

    Meta = table_meta("merchant_applications_table")

    applicant_id = UnicodeAttribute(hash_key=True)  # the user applying, the shop's owner once approved
    applicant_phone = UnicodeAttribute()  # the account's phone, which operators call back
    status = UnicodeAttribute()  # PENDING | APPROVED | DECLINED
    name = UnicodeAttribute()
    phone = UnicodeAttribute()  # the shop's, as customers will see it
    address = UnicodeAttribute()
    location = LatLngMap()
    note = UnicodeAttribute(null=True)  # what the applicant adds: what it sells, its licence number
    documents = ListAttribute(of=ShopDocumentMap, null=True)  # the licences an approval needs (catalog.documents)
    reason = UnicodeAttribute(null=True)  # why it was declined
    merchant_id = UnicodeAttribute(null=True)  # the shop made on approval
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()  # each change: what an edit or a decision is conditional on

    by_status = ApplicationsByStatus()


class ProductRecord(Model):
    Meta = table_meta("products_table", stream_view_type="NEW_AND_OLD_IMAGES")  # low-stock alerts

    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category_id = UnicodeAttribute(null=True)
    options = ListAttribute(of=OptionGroupMap, default=list)
    price = NumberAttribute()  # fen
    stock = NumberAttribute()  # on hand; UNLIMITED_STOCK when unlimited
    unlimited = BooleanAttribute(default=False)
    reserved = NumberAttribute(default=0)  # held by unpaid orders
    available = NumberAttribute()  # stock - reserved
    on_sale = BooleanAttribute(default=True)
    weight_g = NumberAttribute(null=True)  # for weight surcharges; unknown counts as 0
    low_stock_threshold = NumberAttribute(null=True)  # alert the merchant when available drops below it
    daily_stock = NumberAttribute(null=True)  # on hand after each opening-time reset; None: no reset
    reset_for = UnicodeAttribute(null=True)  # the China-time day (YYYY-MM-DD) of the last daily reset
    images = ListAttribute(of=UnicodeAttribute, default=list)  # S3 keys in display order (catalog.images)
    version = NumberAttribute(default=1)  # bumped by every write, for compare-and-set edits
    created_at = UnicodeAttribute()
    request_fingerprint = UnicodeAttribute(null=True)  # created under an Idempotency-Key: the body's digest


class LedgerState(StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    RETURNED = "RETURNED"
    ADJUSTED = "ADJUSTED"  # a merchant's restock or count: final, never moved


class LedgerKind(StrEnum):
    ORDER = "order"  # an order's hold; its state moves (stock.py)
    ADJUST = "adjust"  # the merchant set the count on hand
    RESTOCK = "restock"  # the merchant added units
    RESET = "reset"  # the daily reset to the product's daily_stock


class LedgerStepMap(MapAttribute):
    """One move of an order's hold: RESERVED when taken, then COMMITTED, RELEASED or RETURNED."""

    state = UnicodeAttribute()
    at = UnicodeAttribute()


class StockLedgerRecord(Model):
    """One order's hold on one product (``paotui.catalog.stock``), or one merchant adjustment (``adjustments``)."""

    Meta = table_meta("stock_ledger_table")

    product_key = UnicodeAttribute(hash_key=True)  # f"{merchant_id}#{product_id}"
    ref = UnicodeAttribute(range_key=True)  # order id, or adjustment id (adj_...)
    qty = NumberAttribute()  # units held; for an adjustment, the change on hand (0 to or from unlimited)
    state = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    kind = UnicodeAttribute(default=LedgerKind.ORDER)
    at = UnicodeAttribute(null=True)  # when the entry was made (updated_at: when its state last moved)
    by = UnicodeAttribute(null=True)  # the user who adjusted
    reason = UnicodeAttribute(null=True)
    stock_after = NumberAttribute(null=True)  # on hand after an adjustment; None when unlimited
    steps = ListAttribute(of=LedgerStepMap, default=list)  # an order hold's moves, oldest first


def product_key(merchant_id: str, product_id: str) -> str:
    return f"{merchant_id}#{product_id}"


class SlotRecord(Model):
    """How many scheduled orders one delivery slot of a merchant has taken (``paotui.catalog.slot_bookings``)."""

    Meta = table_meta("slots_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    slot_start = UnicodeAttribute(range_key=True)  # UTC ISO-8601, as clock.iso writes it (sorts as time)
    taken = NumberAttribute(default=0)
    orders = UnicodeSetAttribute(null=True)  # the orders holding a place: a place is given back once
