"""Sandbox payments against moto: a notify callback moves the order once, however it arrives."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from paotui.platform.errors import Conflict, Unauthorized, Unprocessable
from tests.integration.builders import CUSTOMER, placed_order, principal


class RecordingTransport:
    """Delivers the provider's callback in-process and keeps a copy to replay."""

    def __init__(self, deliver: bool = True):
        self.deliver = deliver
        self.sent: list[tuple[dict, bytes]] = []

    def __call__(self, url: str, headers: dict, body: bytes) -> int:
        from paotui.payments import service

        assert url.endswith("/payments/notify/sandbox")
        self.sent.append((headers, body))
        if self.deliver:
            service.handle_notify("sandbox", headers, body)
        return 200


@pytest.fixture
def order(aws):
    placed, _ = placed_order("key-pay-00001", 2)
    return placed


def _undelivered_notify(order) -> tuple[dict, bytes]:
    """Start a sandbox payment whose provider callback is kept back: its (headers, body), to deliver by hand."""
    from paotui.payments import service

    transport = RecordingTransport(deliver=False)
    service.start_payment(order.id, CUSTOMER, "sandbox", transport)
    return transport.sent[0]


def _status(order_id: str) -> str:
    from paotui.orders.service import get_order

    return get_order(order_id).status


def test_sandbox_payment_marks_the_order_paid(order):
    from paotui.payments import service

    payment = service.start_payment(order.id, CUSTOMER, "sandbox", RecordingTransport())
    assert (payment.status, int(payment.amount)) == ("SUCCEEDED", int(order.amounts.total))
    assert _status(order.id) == "PAID"


def test_callback_delivered_five_times_and_concurrently_applies_once(order, serialized_moto, fine_thread_switching):
    from paotui.orders.service import get_order
    from paotui.payments import service

    headers, body = _undelivered_notify(order)
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda _: service.handle_notify("sandbox", headers, body), range(5)))
    service.handle_notify("sandbox", headers, body)
    timeline = [entry.status for entry in get_order(order.id).timeline]
    assert timeline == ["PENDING_PAYMENT", "PAID"]


def test_forged_and_wrong_amount_callbacks_are_refused_and_change_nothing(order):
    from paotui.payments import sandbox, service
    from paotui.platform.secrets import secret_value
    from paotui.platform.settings import get_settings

    headers, body = _undelivered_notify(order)

    forged = json.dumps({**json.loads(body), "amount": 1}).encode()
    with pytest.raises(Unauthorized):
        service.handle_notify("sandbox", headers, forged)

    note = sandbox.Notification(**{**json.loads(body), "amount": 1})
    signed_headers, signed_body = sandbox.signed_request(secret_value(get_settings().payment_secret_arn), note)
    with pytest.raises(Unprocessable) as mismatch:
        service.handle_notify("sandbox", signed_headers, signed_body)
    assert mismatch.value.code == "AMOUNT_MISMATCH"
    assert _status(order.id) == "PENDING_PAYMENT"


def test_paying_a_paid_order_again_is_refused_and_records_no_second_payment(order):
    from paotui.payments import service
    from paotui.payments.records import PaymentRecord

    service.start_payment(order.id, CUSTOMER, "sandbox", RecordingTransport())
    with pytest.raises(Conflict) as refused:
        service.start_payment(order.id, CUSTOMER, "sandbox", RecordingTransport())
    assert refused.value.code == "ORDER_NOT_PAYABLE"
    assert [p.status for p in PaymentRecord.query(order.id)] == ["SUCCEEDED"]


def test_a_late_notify_leaves_a_cancelled_order_cancelled_and_it_cannot_be_paid_again(order):
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import service

    headers, body = _undelivered_notify(order)
    orders.system_transition(order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout")
    service.handle_notify("sandbox", headers, body)  # a late notify is accepted but moves nothing
    assert _status(order.id) == "CANCELLED"
    with pytest.raises(Conflict):
        service.start_payment(order.id, CUSTOMER, "sandbox", RecordingTransport())


def test_only_the_customer_pays_and_unconfigured_channels_say_so(order):
    from paotui.platform.errors import NotFound
    from paotui.payments import service

    with pytest.raises(NotFound):
        service.start_payment(order.id, principal("usr_other", "customer"), "sandbox", RecordingTransport())
    with pytest.raises(Unprocessable) as refused:
        service.start_payment(order.id, CUSTOMER, "wechat", RecordingTransport())
    assert refused.value.code == "CHANNEL_NOT_CONFIGURED"
