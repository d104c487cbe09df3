"""StockWorker and WatchdogWorker with real SQS-shaped batches: duplicates apply once, poison fails alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from paotui.orders.models import PlaceOrder
from tests.integration.builders import HOME, merchant_with_products, order_event, principal, sqs_event

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = principal("usr_customer", "customer")


class FakeContext:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def load_handler(function_dir: str):
    spec = importlib.util.spec_from_file_location(f"fn_{function_dir}", ROOT / "functions" / function_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


@pytest.fixture
def placed(aws):
    from paotui.orders import service

    merchant, (dumplings,) = merchant_with_products(10)
    request = PlaceOrder.model_validate(
        {"merchant_id": merchant.id, "items": [{"product_id": dumplings.id, "quantity": 3}], "address": HOME}
    )
    order, _ = service.place_order(CUSTOMER.user_id, "key-worker-01", request)
    return order, dumplings


def _stock(product) -> tuple[int, int, int]:
    product.refresh(consistent_read=True)
    return int(product.stock), int(product.reserved), int(product.available)


def test_stock_worker_commits_once_and_reports_the_poison_message(placed):
    order, product = placed
    handler = load_handler("stock_worker")
    paid = order_event(order, "PAID", "PENDING_PAYMENT", event_id="evt-paid")
    response = handler(sqs_event(paid, "{not json", paid), FakeContext())
    assert len(response["batchItemFailures"]) == 1
    assert _stock(product) == (7, 0, 7)
    handler(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), FakeContext())  # a second publish
    assert _stock(product) == (7, 0, 7)


def test_stock_worker_returns_committed_stock_on_cancel_and_release_beats_late_commit(placed):
    order, product = placed
    handler = load_handler("stock_worker")
    handler(sqs_event(order_event(order, "CANCELLED", "PENDING_PAYMENT")), FakeContext())
    assert _stock(product) == (10, 0, 10)
    handler(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), FakeContext())  # arrives late
    assert _stock(product) == (10, 0, 10)


def test_watchdog_timeout_cancels_only_an_unpaid_order(placed):
    from paotui.orders.service import get_order
    from paotui.platform.events import DomainEvent

    order, _ = placed
    handler = load_handler("watchdog_worker")
    timeout = DomainEvent(
        id="wd-1", type="watchdog.timeout", occurred_at="2026-11-25T00:00:00.000Z",
        subject=order.id, data={"order_id": order.id, "step": "payment"},
    ).model_dump_json()
    assert handler(sqs_event(timeout), FakeContext()) == {"batchItemFailures": []}
    cancelled = get_order(order.id)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.timeline[-1].by) == ("CANCELLED", "payment_timeout", "watchdog")
