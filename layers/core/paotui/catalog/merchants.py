"""What a merchant changes about its shop and menu: profile, categories, products.

Only the owner (or an admin) may (``lookup.managed_merchant``). Product edits are
compare-and-set on ``version``, which every write to the product bumps (a
reservation too), so an editor never overwrites a change it has not seen.
Orders copy name and unit price at intake, so no edit here reaches an order
already placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.catalog import adjustments, delivery, service
from paotui.catalog.merchant_models import CategoryIn, EditProduct, UpdateMerchant
from paotui.catalog.records import CategoryMap, LedgerKind, MerchantRecord, ProductRecord, StockLedgerRecord
from paotui.platform.dynamo import LatLngMap, transact_write, update_if
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from paotui.platform.geo import cell_of
from paotui.platform.ids import new_id
from paotui.platform.settings import get_settings

_PLAIN_FIELDS = (
    "name",
    "address",
    "phone",
    "auto_confirm",
    "prep_minutes",
    "slot_minutes",
    "slot_capacity",
    "proof_of_delivery",
    "on_confirm_timeout",
)


def get_product(merchant_id: str, product_id: str) -> ProductRecord:
    try:
        return ProductRecord.get(merchant_id, product_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such product.", code="PRODUCT_NOT_FOUND") from None


def update_profile(merchant: MerchantRecord, changes: UpdateMerchant) -> MerchantRecord:
    given = changes.model_fields_set
    actions = [getattr(MerchantRecord, field).set(getattr(changes, field)) for field in _PLAIN_FIELDS if field in given]
    if "location" in given:
        point = changes.location
        cell = cell_of(point.lat, point.lng, get_settings().merchant_cell_resolution)
        actions += [
            MerchantRecord.location.set(LatLngMap(lat=point.lat, lng=point.lng)),
            MerchantRecord.cell.set(cell),
            *_areas_from(merchant, point.lat, point.lng),
        ]
    if "hours" in given:
        week = changes.hours.model_dump() if changes.hours else None
        actions.append(MerchantRecord.hours.set(week) if week else MerchantRecord.hours.remove())
    if "holidays" in given:
        actions.append(MerchantRecord.holidays.set(sorted({day.isoformat() for day in changes.holidays})))
    if "refund_rules" in given:
        rules = changes.refund_rules
        actions.append(MerchantRecord.refund_rules.set(rules) if rules else MerchantRecord.refund_rules.remove())
    if "paused" in given:
        actions.append(MerchantRecord.open.set(not changes.paused))
    if actions:
        merchant.update(actions=actions, condition=MerchantRecord.id.exists())
    return merchant


def _areas_from(merchant: MerchantRecord, lat: float, lng: float) -> list[Any]:
    """Saved areas measured again from a new location: their reach changes, and each must still be in range."""
    if not merchant.delivery_settings:
        return []
    moved = MerchantRecord(merchant.id, location=LatLngMap(lat=lat, lng=lng))
    return delivery.stored_actions(delivery.indexed(moved, delivery.settings_of(merchant).public()))


def replace_categories(merchant: MerchantRecord, categories: Sequence[CategoryIn]) -> MerchantRecord:
    """The menu's categories become exactly ``categories``, in that order.

    422 for an id that is not one of the menu's, 409 CATEGORY_IN_USE for dropping
    a category a product is still in, 409 MENU_CHANGED when a product was put in a category (or the list replaced)
    since ``merchant`` was read (``service.claim_menu``). Otherwise last write wins: the list is one value.
    """
    known = {category.id for category in merchant.categories}
    unknown = [category.id for category in categories if category.id is not None and category.id not in known]
    kept = [category.id for category in categories if category.id is not None]
    if unknown or len(set(kept)) != len(kept):
        raise Unprocessable("Unknown or repeated category ids.", code="UNKNOWN_CATEGORY", details={"ids": unknown})
    dropped = known - set(kept)
    products = ProductRecord.query(merchant.id, consistent_read=True)
    in_use = sorted({p.category_id for p in products if p.category_id in dropped})
    if in_use:
        raise Conflict("Move the products out of a category first.", code="CATEGORY_IN_USE", details={"ids": in_use})
    stored = [CategoryMap(id=category.id or new_id("cat_"), name=category.name) for category in categories]
    if not update_if(
        merchant,
        actions=[MerchantRecord.categories.set(stored), MerchantRecord.menu_version.add(1)],
        condition=MerchantRecord.id.exists() & service.menu_unchanged(merchant),
    ):
        raise service.menu_changed(merchant.id)
    return merchant


def edit_product(merchant: MerchantRecord, product_id: str, edit: EditProduct, by: str) -> ProductRecord:
    """Apply the named fields if ``edit.version`` is still the product's; a stock change is ledgered."""
    product = get_product(merchant.id, product_id)
    if int(product.version) != edit.version:
        raise version_conflict(product)
    given = edit.model_fields_set - {"version"}
    moved_to = edit.category_id if "category_id" in given else None
    if moved_to is not None:
        service.check_category(merchant, moved_to)
    actions: list[Any] = [
        getattr(ProductRecord, field).set(getattr(edit, field))
        for field in ("name", "description", "price", "on_sale")
        if field in given
    ]
    for field in ("category_id", "low_stock_threshold", "daily_stock"):  # nullable: null removes
        if field in given:
            attribute, value = getattr(ProductRecord, field), getattr(edit, field)
            actions.append(attribute.set(value) if value is not None else attribute.remove())
    if "options" in given:
        actions.append(ProductRecord.options.set(service.option_groups(o.model_dump() for o in edit.options)))
    entry = None
    if "stock" in given:
        stock_actions, entry = adjustments.recount(product, edit.stock, LedgerKind.ADJUST, by, "edited")
        actions += stock_actions
    try:
        with transact_write() as transaction:
            transaction.update(
                product,
                actions=[*actions, ProductRecord.version.add(1)],
                condition=ProductRecord.version == edit.version,
            )
            if entry is not None:
                transaction.save(entry, condition=StockLedgerRecord.ref.does_not_exist())
            if moved_to is not None:
                service.claim_menu(transaction, merchant)
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        current = get_product(merchant.id, product_id)
        if int(current.version) != edit.version or moved_to is None:
            raise version_conflict(current) from None
        raise service.menu_changed(merchant.id, moved_to) from None
    return get_product(merchant.id, product_id)


def take_off_sale(merchant: MerchantRecord, product_id: str) -> ProductRecord:
    """DELETE is soft: the product stays (orders and the ledger name it) but can't be ordered."""
    product = ProductRecord(merchant.id, product_id)
    if not update_if(
        product,
        actions=[ProductRecord.on_sale.set(False), ProductRecord.version.add(1)],
        condition=ProductRecord.id.exists(),
    ):
        raise NotFound("No such product.", code="PRODUCT_NOT_FOUND")
    return get_product(merchant.id, product_id)


def version_conflict(current: ProductRecord) -> Conflict:
    return Conflict(
        "The product changed since you read it; reload and edit again.",
        code="VERSION_CONFLICT",
        details={"version": int(current.version)},
    )
