"""Payments against moto with the sandbox channel: callbacks apply once, refunds never exceed what was paid."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from paotui.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.integration.builders import CUSTOMER, Dropped, LocalRoute, placed_order, principal

MERCHANT_OWNER = principal("usr_owner", "merchant")


class RecordingTransport:
    """Delivers the sandbox's callback in-process (as our notify route would) and keeps a copy to replay."""

    def __init__(self, deliver: bool = True):
        self.deliver = deliver
        self.sent: list[tuple[dict, bytes]] = []
        self.providers = None

    def __call__(self, url: str, headers: dict, body: bytes) -> int:
        from paotui.payments import service

        assert url.endswith("/payments/notify/sandbox")
        self.sent.append((headers, body))
        if not self.deliver:
            return 200
        return service.handle_notify("sandbox", headers, body, self.providers).status


def sandbox(transport: RecordingTransport | None = None):
    """Providers whose sandbox callbacks go through ``transport`` (by default: delivered in-process)."""
    from paotui.payments.channels import Providers
    from paotui.platform.settings import get_settings

    transport = transport or RecordingTransport()
    providers = Providers(get_settings(), transport)
    transport.providers = providers
    return providers


@pytest.fixture
def order(aws):
    placed, _ = placed_order("key-pay-00001", 2)
    return placed


def _kept_back_notify(order) -> tuple[dict, bytes, object]:
    """Open a sandbox payment whose callback is kept back: (headers, body, providers), to deliver by hand."""
    from paotui.payments import service

    transport = RecordingTransport(deliver=False)
    providers = sandbox(transport)
    service.start_payment(order.id, CUSTOMER, "sandbox", providers)
    headers, body = transport.sent[0]
    return headers, body, providers


def _order(order_id: str):
    from paotui.orders.service import get_order

    return get_order(order_id)


def _refunds(order_id: str) -> list[tuple[str, int, str]]:
    from paotui.payments.refunds import refunds_of

    return sorted((r.status, int(r.amount), r.requested_by) for r in refunds_of(order_id))


def test_sandbox_payment_marks_the_order_paid(order):
    from paotui.payments import service

    payment = service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    assert (payment.status, int(payment.amount)) == ("SUCCEEDED", int(order.amounts.total))
    assert json.loads(payment.client_params) == {"trade_no": order.id.removeprefix("ord_")}
    assert _order(order.id).status == "PAID"


def test_a_callback_whose_connection_is_cut_in_its_answer_is_sent_again_and_pays_the_order(order):
    from paotui.payments import sandbox as sandbox_channel
    from paotui.payments import service
    from paotui.payments.channels import Providers
    from paotui.platform.settings import get_settings

    deliveries = []

    def notify(path: str, headers: dict, body: bytes):
        deliveries.append(path)
        if len(deliveries) == 1:
            return Dropped(b"HTTP/1.1 2")  # our notify route's answer lost midway through its status line
        reply = service.handle_notify("sandbox", headers, body, providers)
        return reply.status, reply.content_type, reply.body.encode()

    route = LocalRoute(notify)
    try:
        settings = get_settings().model_copy(update={"public_base_url": route.base_url})
        providers = Providers(settings, sandbox_channel.http_transport)
        payment = service.start_payment(order.id, CUSTOMER, "sandbox", providers)
    finally:
        route.close()
    assert deliveries == ["/payments/notify/sandbox"] * 2
    assert payment.status == "SUCCEEDED" and _order(order.id).status == "PAID"


def test_callback_delivered_five_times_and_concurrently_applies_once(order, serialized_moto, fine_thread_switching):
    from paotui.payments import service

    headers, body, providers = _kept_back_notify(order)
    with ThreadPoolExecutor(5) as pool:
        replies = list(pool.map(lambda _: service.handle_notify("sandbox", headers, body, providers), range(5)))
    service.handle_notify("sandbox", headers, body, providers)
    assert {reply.status for reply in replies} == {200}
    assert [entry.status for entry in _order(order.id).timeline] == ["PENDING_PAYMENT", "PAID"]


def test_forged_and_wrong_amount_callbacks_are_refused_and_change_nothing(order):
    from paotui.payments import sandbox as sandbox_channel
    from paotui.payments import service
    from paotui.platform.secrets import secret_value
    from paotui.platform.settings import get_settings

    headers, body, providers = _kept_back_notify(order)
    forged = json.dumps({**json.loads(body), "amount": 1}).encode()
    assert service.handle_notify("sandbox", headers, forged, providers).status == 401

    note = sandbox_channel.Notification(**{**json.loads(body), "amount": 1})
    signed_headers, signed_body = sandbox_channel.signed_request(secret_value(get_settings().payment_secret_arn), note)
    mismatch = service.handle_notify("sandbox", signed_headers, signed_body, providers)
    assert (mismatch.status, json.loads(mismatch.body)["code"]) == (422, "FAIL")

    unknown = sandbox_channel.Notification(**{**json.loads(body), "trade_no": "0" * 32})
    headers_u, body_u = sandbox_channel.signed_request(secret_value(get_settings().payment_secret_arn), unknown)
    assert service.handle_notify("sandbox", headers_u, body_u, providers).status == 404
    assert _order(order.id).status == "PENDING_PAYMENT"


def test_paying_a_paid_order_again_is_refused_and_records_no_second_payment(order):
    from paotui.payments import service

    service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    with pytest.raises(Conflict) as refused:
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    assert refused.value.code == "ORDER_NOT_PAYABLE"
    assert [p.status for p in service.payments_of(order.id)] == ["SUCCEEDED"]


def test_only_the_customer_pays_and_unconfigured_channels_say_so(order):
    from paotui.payments import service

    with pytest.raises(NotFound):
        service.start_payment(order.id, principal("usr_other", "customer"), "sandbox", sandbox())
    for channel in ("wechat", "alipay"):
        with pytest.raises(Unprocessable) as refused:
            service.start_payment(order.id, CUSTOMER, channel, sandbox())
        assert refused.value.code == "CHANNEL_NOT_CONFIGURED"
    with pytest.raises(NotFound):
        sandbox().for_notify("paypal")


def test_a_payment_racing_the_timeout_is_refunded_and_the_order_stays_cancelled(order):
    """The timeout cancels first, the payment's callback comes after: the money goes back, once."""
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import service

    headers, body, providers = _kept_back_notify(order)
    orders.system_transition(order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout")
    for _ in range(3):  # the provider retries the late callback
        assert service.handle_notify("sandbox", headers, body, providers).status == 200
    cancelled = _order(order.id)
    assert cancelled.status == "CANCELLED"
    assert _refunds(order.id) == [("SUCCEEDED", int(order.amounts.total), "system")]
    assert (int(cancelled.refunded), int(cancelled.refunds_pending)) == (int(order.amounts.total), 0)
    with pytest.raises(Conflict):
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())


def test_the_payment_timeout_closes_open_trades_before_cancelling(order):
    from paotui.payments import service
    from paotui.workflow import service as watchdog

    headers, body, providers = _kept_back_notify(order)
    assert service.close_unpaid(order.id, providers) is False
    assert [p.status for p in service.payments_of(order.id)] == ["CLOSED"]
    watchdog.handle_timeout(order.id, "payment")
    assert _order(order.id).status == "CANCELLED"
    service.handle_notify("sandbox", headers, body, providers)  # a closed trade that got paid anyway
    assert [p.status for p in service.payments_of(order.id)] == ["SUCCEEDED"]
    assert _refunds(order.id) == [("SUCCEEDED", int(order.amounts.total), "system")]


def test_a_payment_whose_callback_was_killed_before_the_order_moved_pays_the_order_when_the_window_closes(
    order, monkeypatch
):
    """The payment is recorded, the Lambda dies before the order moves: the timeout finds the money, pays the order."""
    from paotui.orders import service as orders
    from paotui.payments import service
    from paotui.workflow import timeouts

    headers, body, providers = _kept_back_notify(order)
    move = orders.system_transition

    def killed(*args, **kwargs):
        monkeypatch.setattr(orders, "system_transition", move)
        raise RuntimeError("Lambda killed")

    monkeypatch.setattr(orders, "system_transition", killed)
    with pytest.raises(RuntimeError):
        service.handle_notify("sandbox", headers, body, providers)
    assert [p.status for p in service.payments_of(order.id)] == ["SUCCEEDED"]
    timeouts.payment(order.id)  # the payment window closes before the provider sends its callback again
    assert [entry.status for entry in _order(order.id).timeline] == ["PENDING_PAYMENT", "PAID"]


def test_a_cancelled_paid_order_is_refunded_once_however_often_the_event_comes(order):
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events, service
    from paotui.platform.events import DomainEvent
    from tests.integration.builders import order_event

    service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    cancelled = orders.system_transition(order.id, Status.CANCELLED, expected={Status.PAID}, reason="merchant_rejected")
    event = DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PAID"))
    for _ in range(3):
        refund_events.handle(event)
    assert _refunds(order.id) == [("SUCCEEDED", int(order.amounts.total), "system")]
    assert int(_order(order.id).refunded) == int(order.amounts.total)


def test_an_unpaid_cancelled_order_has_nothing_to_refund(order):
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events
    from paotui.platform.events import DomainEvent
    from tests.integration.builders import order_event

    cancelled = orders.system_transition(order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="x")
    refund_events.handle(DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PENDING_PAYMENT")))
    assert _refunds(order.id) == []


def _merchant_refund(order, amount: int, key: str, who=MERCHANT_OWNER, reason: str = "少送一份"):
    from paotui.orders import service as orders
    from paotui.payments import refunds

    current = _order(order.id)
    return refunds.refund_part(
        current,
        orders.actors_for(current, who),
        amount=amount,
        reason=reason,
        key=key,
        by=who.user_id,
        providers=sandbox(),
    )


def test_a_merchant_refunds_part_of_an_order_once_per_key_and_never_more_than_was_paid(order):
    from paotui.payments import service

    service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    total = int(order.amounts.total)
    first = _merchant_refund(order, 300, "refund-key-0001")
    again = _merchant_refund(order, 300, "refund-key-0001")
    assert (first.id, first.status) == (again.id, "SUCCEEDED")
    with pytest.raises(Unprocessable) as reused:
        _merchant_refund(order, 301, "refund-key-0001")
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    with pytest.raises(Unprocessable) as too_much:
        _merchant_refund(order, total - 299, "refund-key-0002")
    assert (too_much.value.code, too_much.value.details["refundable"]) == ("REFUND_EXCEEDS_PAYMENT", total - 300)
    with pytest.raises(Forbidden):
        _merchant_refund(order, 100, "refund-key-0003", who=CUSTOMER)
    assert _refunds(order.id) == [("SUCCEEDED", 300, "usr_owner")]
    assert int(_order(order.id).refunded) == 300


def test_concurrent_refunds_stop_at_the_amount_paid(order, serialized_moto, fine_thread_switching):
    from paotui.payments import service

    service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    share = int(order.amounts.total) * 2 // 5  # two fit, the third doesn't

    def attempt(n: int) -> str:
        try:
            return _merchant_refund(order, share, f"refund-race-{n:04d}").status
        except Unprocessable as refused:
            return refused.code

    with ThreadPoolExecutor(5) as pool:
        outcomes = sorted(pool.map(attempt, range(5)))
    assert outcomes == ["REFUND_EXCEEDS_PAYMENT"] * 3 + ["SUCCEEDED"] * 2
    assert int(service.payments_of(order.id)[0].refunded) == 2 * share


def test_nothing_to_refund_before_payment(order):
    with pytest.raises(Conflict) as refused:
        _merchant_refund(order, 100, "refund-key-0009")
    assert refused.value.code == "NOTHING_TO_REFUND"


def test_a_merchant_that_auto_confirms_has_its_paid_orders_confirmed_once(order):
    from paotui.catalog.records import MerchantRecord
    from paotui.catalog.service import get_merchant
    from paotui.payments import service

    get_merchant(order.merchant_id).update(actions=[MerchantRecord.auto_confirm.set(True)])
    headers, body, providers = _kept_back_notify(order)
    for _ in range(3):  # the provider retries: still one PAID and one CONFIRMED
        service.handle_notify("sandbox", headers, body, providers)
    timeline = _order(order.id).timeline
    assert [(entry.status, entry.by) for entry in timeline] == [
        ("PENDING_PAYMENT", CUSTOMER.user_id),
        ("PAID", timeline[1].by),
        ("CONFIRMED", f"merchant:{order.merchant_id}"),
    ]


def test_a_merchant_that_confirms_by_hand_keeps_paid_orders_waiting(order):
    from paotui.payments import service

    service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
    assert _order(order.id).status == "PAID"
