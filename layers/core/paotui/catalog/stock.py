"""Stock reservations: hold at intake, then commit on payment or release on cancel/timeout.

Why the ledger item *is* the reservation: a hold is the ledger item
``(merchant#product, order id)`` together with the counts it moved on the
product, written in one transaction. Every later step is a transaction that
moves the ledger out of a state *on condition of that state* and adjusts the
product counts with it. So the ledger state is the one fact that says whether
an effect already happened: a redelivered PAID finds COMMITTED and does
nothing, a CANCELLED that overtakes PAID releases the hold and the late commit
finds RELEASED and does nothing. Conditions on the counts alone could not tell
"release 2" from "release 2 again". The ledger also keeps the quantity, so
settling needs only the order id.

States: RESERVED → COMMITTED (paid: stock and reserved go down) → RETURNED
(cancelled after payment: stock and available go back up); RESERVED → RELEASED
(cancelled or timed out unpaid: available back up, reserved down).
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from paotui.catalog.records import LedgerState, LedgerStepMap, ProductRecord, StockLedgerRecord, product_key
from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.observability import logger

_CONDITION_FAILED = "ConditionalCheckFailed"


def stage_reservation(transaction: TransactWrite, merchant_id: str, product_id: str, order_id: str, qty: int) -> None:
    """Add a hold of ``qty`` to the caller's transaction (e.g. with the order's own put).

    The transaction fails unless the product is on sale with ``available >= qty``
    and this order holds nothing of it yet; :func:`shortfalls` says which
    products were short. List each product once per order.
    """
    transaction.update(
        ProductRecord(merchant_id, product_id),
        actions=[ProductRecord.available.add(-qty), ProductRecord.reserved.add(qty), ProductRecord.version.add(1)],
        condition=(ProductRecord.available >= qty) & (ProductRecord.on_sale == True),  # noqa: E712 (a condition)
        return_values="ALL_OLD",
    )
    now = clock.now_iso()
    transaction.save(
        StockLedgerRecord(
            product_key(merchant_id, product_id),
            order_id,
            qty=qty,
            state=LedgerState.RESERVED,
            at=now,
            updated_at=now,
            steps=[LedgerStepMap(state=LedgerState.RESERVED, at=now)],
        ),
        condition=StockLedgerRecord.ref.does_not_exist(),
    )


def shortfalls(error: TransactWriteError) -> dict[str, int]:
    """Product id → units available, for each staged hold that failed its stock condition.

    Read from the failed items themselves, because DynamoDB reports reasons by
    position and pynamodb reorders a transaction's items (checks, deletes, puts, updates).
    """
    short = {}
    for reason in error.cancellation_reasons:
        item = reason.raw_item if reason and reason.code == _CONDITION_FAILED else None
        if item and "available" in item and "reserved" in item:
            on_sale = item.get("on_sale", {}).get("BOOL", True)
            short[item["id"]["S"]] = int(item["available"]["N"]) if on_sale else 0
    return short


def commit_reservation(merchant_id: str, product_id: str, order_id: str) -> bool:
    """The order was paid: the hold becomes a decrement of stock. False if there was no hold to commit."""
    ledger = _ledger(merchant_id, product_id, order_id)
    if ledger is None or ledger.state != LedgerState.RESERVED:
        return False
    qty = int(ledger.qty)
    return _move(
        ledger,
        merchant_id,
        product_id,
        LedgerState.COMMITTED,
        [ProductRecord.reserved.add(-qty), ProductRecord.stock.add(-qty)],
    )


def release_reservation(merchant_id: str, product_id: str, order_id: str) -> bool:
    """The order was cancelled: give back a hold, or the stock a paid order took. False if nothing to give back."""
    for _ in range(2):  # a commit can land between our read and our write; then we return what it took
        ledger = _ledger(merchant_id, product_id, order_id)
        if ledger is None:
            return False
        qty = int(ledger.qty)
        if ledger.state == LedgerState.RESERVED:
            target, actions = LedgerState.RELEASED, [ProductRecord.reserved.add(-qty), ProductRecord.available.add(qty)]
        elif ledger.state == LedgerState.COMMITTED:
            target, actions = LedgerState.RETURNED, [ProductRecord.stock.add(qty), ProductRecord.available.add(qty)]
        else:
            return False
        if _move(ledger, merchant_id, product_id, target, actions):
            return True
    return False


def _ledger(merchant_id: str, product_id: str, order_id: str) -> StockLedgerRecord | None:
    try:
        return StockLedgerRecord.get(product_key(merchant_id, product_id), order_id, consistent_read=True)
    except DoesNotExist:
        return None


def _move(
    ledger: StockLedgerRecord, merchant_id: str, product_id: str, target: LedgerState, product_actions: list[Action]
) -> bool:
    """Move the ledger from the state we read to ``target`` with the product counts; False if it moved meanwhile."""
    source, now = ledger.state, clock.now_iso()
    try:
        with transact_write() as transaction:
            transaction.update(
                ledger,
                actions=[
                    StockLedgerRecord.state.set(target),
                    StockLedgerRecord.updated_at.set(now),
                    StockLedgerRecord.steps.set(StockLedgerRecord.steps.append([LedgerStepMap(state=target, at=now)])),
                ],
                condition=StockLedgerRecord.state == source,
            )
            transaction.update(
                ProductRecord(merchant_id, product_id),
                actions=[*product_actions, ProductRecord.version.add(1)],
                condition=ProductRecord.id.exists(),
            )
    except TransactWriteError as error:
        ledger_reason = error.cancellation_reasons[0] if error.cancellation_reasons else None
        if ledger_reason and ledger_reason.code == _CONDITION_FAILED:
            return False
        raise
    logger.info(
        "stock reservation moved",
        extra={"product_id": product_id, "order_id": ledger.ref, "from": source, "to": str(target), "qty": ledger.qty},
    )
    return True
