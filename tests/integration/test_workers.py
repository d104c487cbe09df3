"""StockWorker and WatchdogWorker with real SQS-shaped batches: duplicates apply once, poison fails alone."""

from __future__ import annotations

import pytest

from tests.integration.builders import (
    CUSTOMER,
    LAMBDA_CONTEXT,
    AwsFaults,
    crash_at_every_step,
    load_handler,
    merchant_with_products,
    order_request,
    order_event,
    placed_order,
    sqs_event,
    stock_of,
    watchdog_event,
)


@pytest.fixture
def placed(aws):
    return placed_order("key-worker-01", 3)


def test_stock_worker_commits_once_and_reports_the_poison_message(placed):
    order, product = placed
    handler = load_handler("StockWorker")
    paid = order_event(order, "PAID", "PENDING_PAYMENT", event_id="evt-paid")
    response = handler(sqs_event(paid, "{not json", paid), LAMBDA_CONTEXT)
    assert len(response["batchItemFailures"]) == 1
    assert stock_of(product) == (7, 0, 7)
    handler(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)  # a second publish
    assert stock_of(product) == (7, 0, 7)


def test_stock_worker_returns_committed_stock_on_cancel_and_release_beats_late_commit(placed):
    order, product = placed
    handler = load_handler("StockWorker")
    handler(sqs_event(order_event(order, "CANCELLED", "PENDING_PAYMENT")), LAMBDA_CONTEXT)
    assert stock_of(product) == (10, 0, 10)
    handler(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)  # arrives late
    assert stock_of(product) == (10, 0, 10)


def _paid_two_products(status: str, previous: str, *, commit_first: bool = False):
    """A fresh order of two products (2 and 3 of 10) and its ``status`` event; observed: both products' counts."""
    import uuid

    from paotui.catalog import stock
    from paotui.orders import service

    merchant, products = merchant_with_products(10, 10)
    order, _ = service.place_order(
        CUSTOMER.user_id, uuid.uuid4().hex, order_request(merchant, *zip(products, (2, 3), strict=True))
    )
    if commit_first:
        for product in products:
            stock.commit_reservation(merchant.id, product.id, order.id)
    return sqs_event(order_event(order, status, previous)), lambda: [stock_of(product) for product in products]


@pytest.mark.parametrize(
    ("status", "previous", "commit_first"),
    [("PAID", "PENDING_PAYMENT", False), ("CANCELLED", "PENDING_PAYMENT", False), ("CANCELLED", "CONFIRMED", True)],
)
def test_stock_worker_settles_each_product_once_whichever_call_fails_or_kills_it(
    aws, monkeypatch, status, previous, commit_first
):
    faults = AwsFaults(monkeypatch)
    handler = load_handler("StockWorker")
    assert crash_at_every_step(faults, handler, lambda: _paid_two_products(status, previous, commit_first=commit_first))


def test_watchdog_timeout_cancels_only_an_unpaid_order(placed):
    from paotui.orders.service import get_order

    order, _ = placed
    handler = load_handler("WatchdogWorker")
    assert handler(sqs_event(_payment_timeout(order.id, "wd-1")), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    cancelled = get_order(order.id)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.timeline[-1].by) == (
        "CANCELLED",
        "payment_timeout",
        "watchdog",
    )


def test_watchdog_payment_timeout_leaves_a_paid_order_alone(placed):
    from paotui.orders.service import get_order, system_transition
    from paotui.orders.transitions import Status

    order, _ = placed
    system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="paid just in time")
    assert load_handler("WatchdogWorker")(sqs_event(_payment_timeout(order.id, "wd-2")), LAMBDA_CONTEXT) == {
        "batchItemFailures": []
    }
    assert get_order(order.id).status == "PAID"


def _payment_timeout(order_id: str, event_id: str) -> str:
    """What the watchdog posts when an order's payment window closes."""
    return watchdog_event("watchdog.timeout", order_id, event_id=event_id, step="payment")
