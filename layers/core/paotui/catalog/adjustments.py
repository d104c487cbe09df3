"""A merchant's own changes to stock on hand, and the ledger that explains any count.

Setting a count, restocking or the daily reset (to each product's
``daily_stock``, at opening time, once a day: StockResetJob) writes the
product and a ledger entry (``adj_<id>``, state ADJUSTED, ``qty`` = the
change on hand, who and why) in one transaction, conditional on the
product's ``version`` as read; every stock write bumps it (reservations
too), so a hold that lands in between makes us read again rather than lose
it. ``available`` = stock − reserved is never negative: a count below what
unpaid orders hold is 422.

The ledger then answers "why is stock N", one line per change, newest first:
each step of every order's hold (reserve, commit, release, return; stock.py)
and these adjustments, each with what it did to stock on hand and to what
customers may order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from paotui.catalog.merchant_models import LedgerEntry
from paotui.catalog.records import (
    UNLIMITED_STOCK,
    LedgerKind,
    LedgerState,
    MerchantRecord,
    ProductRecord,
    StockLedgerRecord,
    product_key,
)
from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from paotui.platform.ids import new_id
from paotui.platform.observability import logger, metrics

_RETRIES_ON_RACE = 3
_PRODUCTS_PER_TRANSACTION = 50  # two items each; DynamoDB takes 100 per transaction
_RESET_BY = "system"


def recount(
    product: ProductRecord, stock: int | None, kind: LedgerKind, by: str, reason: str | None
) -> tuple[list[Any], StockLedgerRecord]:
    """Product update actions and the ledger entry that set ``product`` (as read) to ``stock`` on hand.

    ``None`` makes it unlimited. Raises 422 STOCK_BELOW_RESERVED when unpaid orders hold more.
    """
    reserved = int(product.reserved)
    if stock is not None and stock < reserved:
        raise Unprocessable(
            "Stock can't go below what unpaid orders hold.",
            code="STOCK_BELOW_RESERVED",
            details={"product_id": product.id, "reserved": reserved, "stock": stock},
        )
    on_hand = UNLIMITED_STOCK if stock is None else stock
    delta = 0 if product.unlimited or stock is None else stock - int(product.stock)
    now = clock.now_iso()
    entry = StockLedgerRecord(
        product_key(product.merchant_id, product.id),
        new_id("adj_"),
        qty=delta,
        state=LedgerState.ADJUSTED,
        kind=kind,
        at=now,
        updated_at=now,
        by=by,
        reason=reason,
        stock_after=stock,
    )
    actions = [
        ProductRecord.stock.set(on_hand),
        ProductRecord.available.set(on_hand - reserved),
        ProductRecord.unlimited.set(stock is None),
    ]
    return actions, entry


def set_counts(merchant_id: str, counts: Mapping[str, tuple[int, str | None]], by: str) -> list[ProductRecord]:
    """Set each product's stock on hand ({product id: (stock, reason)}), all or none."""

    def target(product: ProductRecord) -> tuple[int | None, LedgerKind, str | None]:
        stock, reason = counts[product.id]
        return stock, LedgerKind.ADJUST, reason

    return _apply(merchant_id, list(counts), target, by)


def restock(merchant_id: str, product_id: str, qty: int, by: str, reason: str | None) -> ProductRecord:
    def target(product: ProductRecord) -> tuple[int | None, LedgerKind, str | None]:
        if product.unlimited:
            raise Unprocessable("This product's stock is unlimited.", code="UNLIMITED_STOCK")
        return int(product.stock) + qty, LedgerKind.RESTOCK, reason

    (product,) = _apply(merchant_id, [product_id], target, by)
    return product


def reset_daily_stock(merchant_id: str, day: str) -> list[ProductRecord]:
    """Set every product of the merchant that has a ``daily_stock`` back to it, never below what unpaid orders hold.

    Once per product for ``day`` (YYYY-MM-DD, China time), marked on the product with the reset: a rerun of the
    job (Lambda retries a failed invocation) leaves the products already reset alone, or it would put back on sale
    what was sold since.
    """

    def target(product: ProductRecord) -> tuple[int | None, LedgerKind, str | None] | None:
        if product.reset_for == day:
            return None
        if product.daily_stock is None:  # cleared since we listed it: keep the count
            return (None if product.unlimited else int(product.stock)), LedgerKind.RESET, "no daily stock"
        return max(int(product.daily_stock), int(product.reserved)), LedgerKind.RESET, "daily reset"

    listed = ProductRecord.query(merchant_id, filter_condition=ProductRecord.daily_stock.exists())
    product_ids = [product.id for product in listed]
    marks = [ProductRecord.reset_for.set(day)]
    reset = []
    for start in range(0, len(product_ids), _PRODUCTS_PER_TRANSACTION):
        reset += _apply(merchant_id, product_ids[start : start + _PRODUCTS_PER_TRANSACTION], target, _RESET_BY, marks)
    return reset


def reset_every_merchant() -> int:
    """The daily reset for every merchant (for today, China time); returns how many products were reset.

    A merchant whose reset fails (logged, metric ``DailyStockResetFailures``) doesn't stop the others; the
    invocation then fails, so that Lambda retries it and the merchants already reset today are left alone.
    """
    day = clock.china_date(clock.now())
    reset = 0
    failed = []
    for merchant in MerchantRecord.scan(attributes_to_get=["id"]):
        try:
            reset += len(reset_daily_stock(merchant.id, day))
        except Exception:
            logger.exception("daily stock reset failed", extra={"merchant_id": merchant.id, "day": day})
            metrics.add_metric(name="DailyStockResetFailures", unit="Count", value=1)
            failed.append(merchant.id)
    if failed:
        raise RuntimeError(f"Daily stock reset for {day} failed for merchants {', '.join(failed)}")
    return reset


Target = Callable[[ProductRecord], tuple[int | None, LedgerKind, str | None] | None]


def _apply(
    merchant_id: str, product_ids: list[str], target: Target, by: str, marks: Sequence[Action] = ()
) -> list[ProductRecord]:
    """Read the products, give each the count ``target`` decides and the ``marks``, write all unless one moved
    meanwhile; returns the products written (``target`` answers None to leave a product as it is)."""
    for _ in range(_RETRIES_ON_RACE):
        products = _read(merchant_id, product_ids)
        changes = [(product, change) for product in products if (change := target(product)) is not None]
        if not changes:
            return []
        try:
            with transact_write() as transaction:
                for product, (stock, kind, reason) in changes:
                    actions, entry = recount(product, stock, kind, by, reason)
                    transaction.update(
                        product,
                        actions=[*actions, *marks, ProductRecord.version.add(1)],
                        condition=ProductRecord.version == product.version,
                    )
                    transaction.save(entry, condition=StockLedgerRecord.ref.does_not_exist())
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            continue  # a hold or another edit landed after our read
        written = [product.id for product, _ in changes]
        logger.info("stock adjusted", extra={"merchant_id": merchant_id, "product_ids": written, "by": by})
        return _read(merchant_id, written)
    raise Conflict("Stock changed while we were updating it; try again.", code="CONCURRENT_UPDATE")


def _read(merchant_id: str, product_ids: list[str]) -> list[ProductRecord]:
    found = {
        p.id: p for p in ProductRecord.batch_get([(merchant_id, pid) for pid in product_ids], consistent_read=True)
    }
    missing = [pid for pid in product_ids if pid not in found]
    if missing:
        raise NotFound("No such product.", code="PRODUCT_NOT_FOUND", details={"product_ids": missing})
    return [found[pid] for pid in product_ids]


_STEP_EFFECTS = {  # a hold's step: the action it was, and its sign on (stock on hand, available)
    LedgerState.RESERVED: ("reserve", 0, -1),
    LedgerState.COMMITTED: ("commit", -1, 0),
    LedgerState.RELEASED: ("release", 0, 1),
    LedgerState.RETURNED: ("return", 1, 1),
}


def ledger(merchant_id: str, product_id: str, limit: int) -> list[LedgerEntry]:
    """The product's ledger lines, newest first (order ids don't sort by time, so sort by when each line happened)."""
    lines = [line for entry in StockLedgerRecord.query(product_key(merchant_id, product_id)) for line in _lines(entry)]
    lines.sort(key=lambda line: (line.at, line.ref, line.step), reverse=True)
    return lines[:limit]


def _lines(entry: StockLedgerRecord) -> list[LedgerEntry]:
    qty = int(entry.qty)
    if entry.kind != LedgerKind.ORDER:
        return [
            LedgerEntry(
                ref=entry.ref,
                kind=entry.kind,
                action=entry.kind,
                state=entry.state,
                qty=qty,
                stock_change=qty,
                available_change=qty,
                adjustment_id=entry.ref,
                stock_after=None if entry.stock_after is None else int(entry.stock_after),
                at=entry.at,
                by=entry.by,
                reason=entry.reason,
            )
        ]
    lines = []
    for step, move in enumerate(entry.steps):
        action, on_hand, available = _STEP_EFFECTS[LedgerState(move.state)]
        lines.append(
            LedgerEntry(
                ref=entry.ref,
                step=step,
                kind=entry.kind,
                action=action,
                state=move.state,
                qty=qty,
                stock_change=on_hand * qty,
                available_change=available * qty,
                order_id=entry.ref,
                at=move.at,
            )
        )
    return lines
