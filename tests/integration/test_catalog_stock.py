"""Stock reservations against moto: never oversell, and settle exactly once in any order."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError

from tests.integration.builders import LAMBDA_CONTEXT, load_handler, merchant_with_products, stock_of


def _reserve(merchant_id: str, product_id: str, order_id: str, qty: int = 1) -> bool:
    from paotui.catalog.stock import stage_reservation
    from paotui.platform.dynamo import transact_write

    try:
        with transact_write() as transaction:
            stage_reservation(transaction, merchant_id, product_id, order_id, qty)
    except TransactWriteError:
        return False
    return True


def _ledger_state(merchant_id: str, product_id: str, order_id: str) -> str:
    from paotui.catalog.records import StockLedgerRecord, product_key

    return StockLedgerRecord.get(product_key(merchant_id, product_id), order_id, consistent_read=True).state


def test_fifty_concurrent_reservations_of_ten_in_stock_reserve_ten(aws, serialized_moto):
    from paotui.catalog.records import StockLedgerRecord

    merchant, (product,) = merchant_with_products(10)
    start = threading.Barrier(50)

    def reserve(n: int) -> bool:
        start.wait()
        return _reserve(merchant.id, product.id, f"ord_{n:02d}")

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(reserve, range(50)))
    assert results.count(True) == 10
    assert stock_of(product) == (10, 10, 0)
    assert StockLedgerRecord.count() == 10


def test_a_failed_reservation_says_which_products_were_short(aws):
    from paotui.catalog.stock import shortfalls, stage_reservation
    from paotui.platform.dynamo import transact_write

    merchant, (plenty, scarce) = merchant_with_products(10, 1)
    with pytest.raises(TransactWriteError) as failed, transact_write() as transaction:
        stage_reservation(transaction, merchant.id, plenty.id, "ord_1", 3)
        stage_reservation(transaction, merchant.id, scarce.id, "ord_1", 2)
    assert shortfalls(failed.value) == {scarce.id: 1}
    assert stock_of(plenty) == (10, 0, 10) and stock_of(scarce) == (1, 0, 1)


def test_one_order_holds_a_product_once(aws):
    merchant, (product,) = merchant_with_products(10)
    assert _reserve(merchant.id, product.id, "ord_1", 2)
    assert not _reserve(merchant.id, product.id, "ord_1", 2)
    assert stock_of(product) == (10, 2, 8)


def test_products_off_sale_cannot_be_reserved(aws):
    from paotui.catalog.records import ProductRecord

    merchant, (product,) = merchant_with_products(10)
    product.update(actions=[ProductRecord.on_sale.set(False)])
    assert not _reserve(merchant.id, product.id, "ord_1")
    assert stock_of(product) == (10, 0, 10)


def test_commit_turns_the_hold_into_a_decrement(aws):
    from paotui.catalog.stock import commit_reservation

    merchant, (product,) = merchant_with_products(10)
    _reserve(merchant.id, product.id, "ord_1", 3)
    assert commit_reservation(merchant.id, product.id, "ord_1")
    assert stock_of(product) == (7, 0, 7)
    assert _ledger_state(merchant.id, product.id, "ord_1") == "COMMITTED"


def test_release_gives_the_hold_back(aws):
    from paotui.catalog.stock import release_reservation

    merchant, (product,) = merchant_with_products(10)
    _reserve(merchant.id, product.id, "ord_1", 3)
    assert release_reservation(merchant.id, product.id, "ord_1")
    assert stock_of(product) == (10, 0, 10)
    assert _ledger_state(merchant.id, product.id, "ord_1") == "RELEASED"


def test_nothing_to_settle_without_a_hold(aws):
    from paotui.catalog.stock import commit_reservation, release_reservation

    merchant, (product,) = merchant_with_products(10)
    assert not commit_reservation(merchant.id, product.id, "ord_none")
    assert not release_reservation(merchant.id, product.id, "ord_none")
    assert stock_of(product) == (10, 0, 10)


# What every sequence of settlements must end in, by whether a commit came before the first release.
_FINAL = {
    "paid": ((7, 0, 7), "COMMITTED"),
    "released": ((10, 0, 10), "RELEASED"),
    "returned": ((10, 0, 10), "RETURNED"),
}


def _expected(sequence: tuple[str, ...]) -> str:
    if "release" not in sequence:
        return "paid"
    first_release = sequence.index("release")
    return "returned" if "commit" in sequence[:first_release] else "released"


@pytest.mark.parametrize("sequence", list(itertools.product(("commit", "release"), repeat=3)))
def test_any_order_of_duplicated_settlements_applies_once(aws, sequence):
    from paotui.catalog import stock

    merchant, (product,) = merchant_with_products(10)
    _reserve(merchant.id, product.id, "ord_1", 3)
    applied = [getattr(stock, f"{step}_reservation")(merchant.id, product.id, "ord_1") for step in sequence]
    counts, state = _FINAL[_expected(sequence)]
    assert stock_of(product) == counts
    assert _ledger_state(merchant.id, product.id, "ord_1") == state
    assert applied[0] is True and sum(applied) == (2 if _expected(sequence) == "returned" else 1)


def test_commit_and_release_racing_leave_the_stock_whole(aws, serialized_moto):
    from paotui.catalog import stock

    merchant, (product,) = merchant_with_products(10)
    orders = [f"ord_{n}" for n in range(6)]
    for order_id in orders:
        _reserve(merchant.id, product.id, order_id)
    start = threading.Barrier(2 * len(orders))

    def settle(job: tuple[str, str]) -> bool:
        step, order_id = job
        start.wait()
        return getattr(stock, f"{step}_reservation")(merchant.id, product.id, order_id)

    jobs = [(step, order_id) for order_id in orders for step in ("commit", "release")]
    with ThreadPoolExecutor(len(jobs)) as pool:
        list(pool.map(settle, jobs))
    assert stock_of(product) == (10, 0, 10)
    assert {_ledger_state(merchant.id, product.id, order_id) for order_id in orders} <= {"RELEASED", "RETURNED"}


def test_daily_reset_sets_stock_back_to_daily_stock_and_ledgers_it(aws):
    from paotui.catalog import adjustments
    from paotui.catalog.records import ProductRecord, StockLedgerRecord, product_key

    merchant, (daily, held, plain) = merchant_with_products(3, 0, 7)
    for product, quantity in ((daily, 20), (held, 2)):
        product.update(actions=[ProductRecord.daily_stock.set(quantity)])
    adjustments.restock(merchant.id, held.id, 5, merchant.owner_id, None)
    assert _reserve(merchant.id, held.id, "ord_held", 4)

    assert adjustments.reset_every_merchant() == 2
    assert stock_of(daily) == (20, 0, 20)
    assert stock_of(held) == (4, 4, 0), "never below what unpaid orders hold"
    assert stock_of(plain) == (7, 0, 7), "no daily stock: untouched"
    (reset,) = [e for e in StockLedgerRecord.query(product_key(merchant.id, daily.id)) if e.kind == "reset"]
    assert (int(reset.qty), int(reset.stock_after), reset.by, reset.state) == (17, 20, "system", "ADJUSTED")


def _with_daily_stock(owner_id: str) -> tuple[Any, Any]:
    """A merchant with one product: 5 on hand, a daily stock of 20."""
    from paotui.catalog.records import ProductRecord

    merchant, (product,) = merchant_with_products(5, owner_id=owner_id)
    product.update(actions=[ProductRecord.daily_stock.set(20)])
    return merchant, product


def _an_order_lands_after_every_read_of(busy_id: str, monkeypatch) -> None:
    """A busy shop: an order holds one more unit between each read of the reset and its write."""
    from paotui.catalog import adjustments

    read = adjustments._read
    order_numbers = itertools.count()

    def read_then_an_order_lands(merchant_id: str, product_ids: list[str]) -> list[Any]:
        products = read(merchant_id, product_ids)
        if merchant_id == busy_id:
            _reserve(merchant_id, product_ids[0], f"ord_busy_{next(order_numbers)}")
        return products

    monkeypatch.setattr(adjustments, "_read", read_then_an_order_lands)


def test_a_merchant_whose_reset_keeps_failing_does_not_stop_the_others_and_fails_the_run(aws, monkeypatch, capsys):
    """Lambda retries a failed run and the alarm counts it; a run that gave up at the first busy shop would leave
    every shop after it without today's stock."""
    from paotui.catalog.records import MerchantRecord

    shops = [_with_daily_stock(f"usr_owner{n}") for n in range(2)]
    scan_order = [merchant.id for merchant in MerchantRecord.scan(attributes_to_get=["id"])]
    (busy, busy_product), (quiet, quiet_product) = sorted(shops, key=lambda shop: scan_order.index(shop[0].id))
    _an_order_lands_after_every_read_of(busy.id, monkeypatch)

    with pytest.raises(RuntimeError, match=busy.id):
        load_handler("StockResetJob")({}, LAMBDA_CONTEXT)
    assert stock_of(quiet_product) == (20, 0, 20), "the shop after the busy one was reset"
    assert stock_of(busy_product) == (5, 3, 2), "the busy shop kept its orders and is left for the retry"
    assert '"DailyStockResetFailures":[1.0]' in capsys.readouterr().out, "the metric, flushed as EMF"


def test_a_rerun_the_same_day_keeps_what_was_sold_and_the_next_day_resets_again(aws, monkeypatch):
    """A retried run must not put back on sale what was sold since the first one (an oversell), yet every day
    starts from the daily stock again."""
    from paotui.catalog import adjustments, stock
    from paotui.platform import clock

    merchant, product = _with_daily_stock("usr_owner")
    assert adjustments.reset_every_merchant() == 1
    _reserve(merchant.id, product.id, "ord_sold", 3)
    assert stock.commit_reservation(merchant.id, product.id, "ord_sold")

    adjustments.reset_every_merchant()  # Lambda's retry of the same morning's run
    assert stock_of(product) == (17, 0, 17), "the 3 sold are not on sale again"

    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    assert adjustments.reset_every_merchant() == 1
    assert stock_of(product) == (20, 0, 20)


def test_a_daily_reset_killed_midway_resets_each_product_once_when_run_again(aws, monkeypatch):
    """A shop with a daily-stock product and one whose daily stock is below what an order holds, whichever call of
    the job fails or kills it; the previous scenario's shop is deleted so that each run resets only this one."""
    from paotui.catalog.records import MerchantRecord, ProductRecord, StockLedgerRecord, product_key
    from tests.integration.builders import AwsFaults, crash_at_every_step, scheduled

    faults = AwsFaults(monkeypatch)
    earlier: list[Any] = []

    def a_shop():
        for merchant in earlier:
            MerchantRecord.get(merchant.id).delete()
        merchant, products = merchant_with_products(5, 5)
        earlier[:] = [merchant]
        daily, held = products
        for product, quantity in ((daily, 20), (held, 2)):
            product.update(actions=[ProductRecord.daily_stock.set(quantity)])
        assert _reserve(merchant.id, held.id, f"ord_{merchant.id}", 4)

        def observe():
            return [(stock_of(product), resets(product)) for product in products]

        return {}, observe

    def resets(product: Any) -> int:
        ledger = StockLedgerRecord.query(product_key(product.merchant_id, product.id))
        return sum(entry.kind == "reset" for entry in ledger)

    assert crash_at_every_step(faults, scheduled(load_handler("StockResetJob")), a_shop)
