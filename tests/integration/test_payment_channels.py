"""The payments service with WeChat Pay and Alipay: their local fakes over real HTTP, the service against moto.

The fakes sign as the providers do and call back a small HTTP receiver here
that is our notify route (``service.handle_notify``, answered as the provider
expects). What is checked is what the issue asks of money: a callback applies
once however it arrives, forged or wrong-amount callbacks change nothing, a
payment racing the timeout is either applied or refunded, and refunds (full
and partial) settle once through their own signed callbacks.
"""

from __future__ import annotations

import boto3
import pytest

from paotui_local.fakes import generate_key
from paotui_local.fakes.alipay import FakeAlipay
from paotui_local.fakes.wechatpay import FakeWechatPay
from tests.integration.builders import CUSTOMER, LocalRoute, placed_order, principal

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
MERCHANT_OWNER = principal("usr_owner", "merchant")


@pytest.fixture(scope="module")
def route():
    """``POST /payments/notify/<channel>`` as PaymentsApi serves it, on a local port."""
    from paotui.payments import service

    def notify(path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        reply = service.handle_notify(path.rsplit("/", 1)[-1], headers, body, route.providers)
        return reply.status, reply.content_type, reply.body.encode()

    route = LocalRoute(notify)
    route.providers = None
    yield route
    route.close()


@pytest.fixture(scope="module")
def fakes():
    with FakeWechatPay() as wechat, FakeAlipay() as alipay:
        yield {"wechat": wechat, "alipay": alipay}


@pytest.fixture
def providers(aws, fakes, route):
    """Providers as a deployment builds them: from the channels' secrets (here: the fakes' keys)."""
    from paotui.accounts.records import IdentityRecord
    from paotui.payments.channels import Providers
    from paotui.platform.settings import get_settings

    secrets = boto3.client("secretsmanager")
    arns = {
        channel: secrets.create_secret(Name=f"paotui-{channel}-pay", SecretString=fake.secret_json())["ARN"]
        for channel, fake in fakes.items()
    }
    settings = get_settings().model_copy(
        update={
            "wechatpay_secret_arn": arns["wechat"],
            "alipay_secret_arn": arns["alipay"],
            "public_base_url": route.base_url,
        }
    )
    route.providers = Providers(settings, transport=None)
    IdentityRecord(f"wechat#{OPENID}", user_id=CUSTOMER.user_id, created_at="2026-11-26T00:00:00.000Z").save()
    return route.providers


@pytest.fixture
def order(providers, request):
    """A fresh order per test: the fakes live for the module and know every trade number they saw."""
    placed, _ = placed_order(f"key-{request.node.name}"[:128], 2)
    return placed


def _order(order_id: str):
    from paotui.orders.service import get_order

    return get_order(order_id)


def _pay(order, channel: str, providers):
    from paotui.payments import service

    return service.start_payment(order.id, CUSTOMER, channel, providers)


def _refunds(order_id: str) -> list[tuple[str, int]]:
    from paotui.payments.refunds import refunds_of

    return sorted((r.status, int(r.amount)) for r in refunds_of(order_id))


def _refunds_of(order_id: str):
    from paotui.payments.refunds import refunds_of

    return refunds_of(order_id)


def _merchant_refunds(order, amount: int, key: str, providers):
    """The order's merchant refunds part of it: one item short (少送一份)."""
    from paotui.orders import service as orders
    from paotui.payments import refunds

    actors = orders.actors_for(order, MERCHANT_OWNER)
    return refunds.refund_part(
        order, actors, amount=amount, reason="少送一份", key=key, by=MERCHANT_OWNER.user_id, providers=providers
    )


def test_wechat_pay_gives_jsapi_params_and_its_callback_pays_the_order_once(order, providers, fakes):
    import json

    payment = _pay(order, "wechat", providers)
    params = json.loads(payment.client_params)
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"].startswith("prepay_id=")
    assert _pay(order, "wechat", providers).client_params == payment.client_params  # asked again: same trade
    trade = order.id.removeprefix("ord_")
    notify = fakes["wechat"].pay(trade)
    assert fakes["wechat"].deliveries[-1].acknowledged
    for _ in range(4):  # WeChat retries, and a reordered copy arrives late
        assert fakes["wechat"].deliver(notify).status == 200
    current = _order(order.id)
    assert [entry.status for entry in current.timeline] == ["PENDING_PAYMENT", "PAID"]
    assert current.timeline[1].reason == "paid via wechat"


def test_wechat_forged_and_wrong_amount_callbacks_are_refused_and_change_nothing(order, providers, fakes):
    _pay(order, "wechat", providers)
    trade = order.id.removeprefix("ord_")
    wechat = fakes["wechat"]
    wechat.pay(trade, deliver=False)
    forged = wechat.deliver(wechat.payment_notify(trade, signing_key=generate_key()))
    wrong_amount = wechat.deliver(wechat.payment_notify(trade, total=1))
    stale = wechat.deliver(wechat.payment_notify(trade, timestamp="1600000000"))
    assert (forged.status, wrong_amount.status, stale.status) == (401, 422, 401)
    assert not (forged.acknowledged or wrong_amount.acknowledged)
    assert _order(order.id).status == "PENDING_PAYMENT"
    assert wechat.deliver(wechat.payment_notify(trade)).status == 200
    assert _order(order.id).status == "PAID"


def test_wechat_pay_needs_a_wechat_sign_in(aws, providers):
    from paotui.payments import service
    from paotui.platform.errors import Unprocessable

    placed, _ = placed_order("key-channel-no-wechat", 1)
    placed.update(actions=[type(placed).customer_id.set("usr_sms_only")])
    with pytest.raises(Unprocessable) as refused:
        service.start_payment(placed.id, principal("usr_sms_only", "customer"), "wechat", providers)
    assert refused.value.code == "WECHAT_LOGIN_REQUIRED"
    assert service.payments_of(placed.id) == []  # nothing opened, nothing for the timeout to close


def test_a_payment_whose_callback_is_lost_is_found_when_the_timeout_closes_the_trade(order, providers, fakes):
    from paotui.payments import service

    _pay(order, "wechat", providers)
    fakes["wechat"].pay(order.id.removeprefix("ord_"), deliver=False)  # paid at WeChat, callback lost
    assert service.close_unpaid(order.id, providers) is True  # WeChat says ORDERPAID: we query and apply it
    assert _order(order.id).status == "PAID"
    assert [p.status for p in service.payments_of(order.id)] == ["SUCCEEDED"]


def test_an_unpaid_wechat_trade_is_closed_at_wechat_on_timeout(order, providers, fakes):
    from paotui.payments import service

    _pay(order, "wechat", providers)
    assert service.close_unpaid(order.id, providers) is False
    assert fakes["wechat"].trades[order.id.removeprefix("ord_")].state == "CLOSED"
    assert [p.status for p in service.payments_of(order.id)] == ["CLOSED"]


def test_wechat_money_arriving_after_the_cancel_is_refunded_through_the_refund_callback(order, providers, fakes):
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status

    _pay(order, "wechat", providers)
    orders.system_transition(order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout")
    fakes["wechat"].pay(order.id.removeprefix("ord_"))
    total = int(order.amounts.total)
    assert _refunds(order.id) == [("PROCESSING", total)]  # WeChat refunds asynchronously
    (refund_no,) = [no for no, r in fakes["wechat"].refunds.items() if r.out_trade_no == order.id.removeprefix("ord_")]
    settled = fakes["wechat"].complete_refund(refund_no)
    fakes["wechat"].deliver(settled)  # the refund callback twice
    assert _refunds(order.id) == [("SUCCEEDED", total)]
    current = _order(order.id)
    assert (current.status, int(current.refunded), int(current.refunds_pending)) == ("CANCELLED", total, 0)


def test_a_partial_wechat_refund_settles_once(order, providers, fakes):
    _pay(order, "wechat", providers)
    fakes["wechat"].pay(order.id.removeprefix("ord_"))
    current = _order(order.id)
    refund = _merchant_refunds(current, 500, "partial-refund-01", providers)
    assert refund.status == "PROCESSING"
    notify = fakes["wechat"].complete_refund(refund.id)
    fakes["wechat"].deliver(notify)
    assert _refunds(order.id) == [("SUCCEEDED", 500)]
    assert (_order(order.id).status, int(_order(order.id).refunded)) == ("PAID", 500)


def test_an_order_paid_on_two_channels_keeps_the_first_payment_and_gives_the_second_back(order, providers, fakes):
    from paotui.payments import service

    _pay(order, "wechat", providers)
    _pay(order, "alipay", providers)  # the customer switched channels, and both sheets got paid
    trade = order.id.removeprefix("ord_")
    wechat_paid = fakes["wechat"].pay(trade, deliver=False)
    alipay_paid = fakes["alipay"].pay(trade, deliver=False)
    fakes["wechat"].deliver(wechat_paid)  # WeChat's callback first: it pays the order ...
    for _ in range(2):  # ... and Alipay's, twice, finds it paid
        assert fakes["alipay"].deliver(alipay_paid).status == 200
    total = int(order.amounts.total)
    current = _order(order.id)
    assert [entry.status for entry in current.timeline] == ["PENDING_PAYMENT", "PAID"]
    assert current.timeline[1].reason == "paid via wechat"
    assert _refunds(order.id) == [("SUCCEEDED", total)]  # the Alipay payment, whole, once
    refunded = sorted((p.channel, p.status, int(p.refunded)) for p in service.payments_of(order.id))
    assert refunded == [("alipay", "SUCCEEDED", total), ("wechat", "SUCCEEDED", 0)]
    assert int(current.refunded) == total

    part = _merchant_refunds(current, 300, "partial-after-duplicate", providers)  # out of the payment kept
    assert part.channel == "wechat"


def test_paying_on_one_channel_closes_the_trade_opened_on_the_other(order, providers, fakes):
    from paotui.payments import service

    _pay(order, "alipay", providers)
    _pay(order, "wechat", providers)
    trade = order.id.removeprefix("ord_")
    fakes["alipay"].scan(trade)  # Alipay knows the trade once the code is scanned
    fakes["wechat"].pay(trade)
    assert fakes["alipay"].trades[trade].status == "TRADE_CLOSED"
    assert sorted((p.channel, p.status) for p in service.payments_of(order.id)) == [
        ("alipay", "CLOSED"),
        ("wechat", "SUCCEEDED"),
    ]
    assert _refunds(order.id) == []


def test_a_double_tapped_pay_answers_both_taps_with_the_same_trade(aws):
    from paotui.payments import service
    from paotui.payments.channels import Providers
    from paotui.platform.settings import get_settings

    placed, _ = placed_order("key-double-tap-01", 1)
    taps = []

    def transport(url, headers, body):
        """The sandbox provider answers slowly: the second tap overtakes the first and stores its trade first."""
        taps.append(body)
        if len(taps) == 1:
            taps.append(service.start_payment(placed.id, CUSTOMER, "sandbox", providers))
        return 200  # its callback kept back: the order stays unpaid

    providers = Providers(get_settings(), transport)
    first = service.start_payment(placed.id, CUSTOMER, "sandbox", providers)
    second = taps[-1]
    assert first.client_params is not None
    assert first.client_params == second.client_params


def test_alipay_pays_and_a_cancellation_refunds_it(order, providers, fakes):
    import json

    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events
    from paotui.platform.events import DomainEvent
    from tests.integration.builders import order_event

    payment = _pay(order, "alipay", providers)
    assert json.loads(payment.client_params)["qr_code"]
    notify = fakes["alipay"].pay(order.id.removeprefix("ord_"))
    assert fakes["alipay"].deliveries[-1].acknowledged
    fakes["alipay"].deliver(notify)
    assert _order(order.id).status == "PAID"

    cancelled = orders.system_transition(order.id, Status.CANCELLED, expected={Status.PAID}, reason="merchant_rejected")
    event = DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PAID"))
    refund_events.handle(event, providers)
    refund_events.handle(event, providers)  # redelivered
    assert _refunds(order.id) == [("SUCCEEDED", int(order.amounts.total))]


# --- refunds left PROCESSING: the refund sweep (RefundSweepJob) ------------------------------------------------


def _swept(providers, minutes: float = 11):
    """One run of the refund sweep, ``minutes`` from now (the default: past ``refund_sweep_after_minutes``)."""
    from datetime import timedelta

    from paotui.payments import refund_sweep
    from paotui.platform import clock

    return refund_sweep.sweep(providers, now=clock.now() + timedelta(minutes=minutes))


def _counters(order_id: str) -> tuple[int, int, int]:
    """The order's refund counters: refunded, pending, failed."""
    current = _order(order_id)
    return int(current.refunded or 0), int(current.refunds_pending or 0), int(current.refunds_failed or 0)


def _paid(order, channel: str, providers, fakes):
    _pay(order, channel, providers)
    fakes[channel].pay(order.id.removeprefix("ord_"))
    assert _order(order.id).status == "PAID"
    return _order(order.id)


def test_a_merchants_wechat_refund_whose_call_failed_is_asked_again_by_the_sweep_and_settles(
    order, providers, fakes, monkeypatch
):
    from paotui.payments.providers import unavailable
    from paotui.payments.wechatpay import WeChatPayProvider
    from paotui.platform.errors import BadGateway

    def timed_out(*args, **kwargs):
        raise unavailable("WeChat Pay could not be reached.", reason="ReadTimeout")

    current = _paid(order, "wechat", providers, fakes)
    with monkeypatch.context() as down:
        down.setattr(WeChatPayProvider, "refund", timed_out)
        with pytest.raises(BadGateway):
            _merchant_refunds(current, 500, "refund-call-failed", providers)
    (refund_id,) = [r.id for r in _refunds_of(order.id)]
    assert refund_id not in fakes["wechat"].refunds and _counters(order.id) == (0, 1, 0)

    swept = _swept(providers)
    assert (swept.checked, swept.processing, swept.failed) == (1, 1, 0)
    assert fakes["wechat"].refunds[refund_id].refund == 500  # WeChat has it now, once, PROCESSING
    fakes["wechat"].complete_refund(refund_id, deliver=False)  # and its callback is lost too
    assert (_swept(providers).succeeded, _refunds(order.id), _counters(order.id)) == (
        1,
        [("SUCCEEDED", 500)],
        (500, 0, 0),
    )
    assert _swept(providers).checked == 0  # settled: no longer open


@pytest.mark.parametrize(
    ("wechat_says", "refunds", "counters", "payment_refunded"),
    [
        ("SUCCESS", [("SUCCEEDED", 500)], (500, 0, 0), 500),
        ("ABNORMAL", [("FAILED", 500)], (0, 0, 1), 0),
    ],
)
def test_a_wechat_refund_whose_callback_was_lost_is_settled_by_the_sweep(
    order, providers, fakes, wechat_says, refunds, counters, payment_refunded
):
    from paotui.payments.service import payments_of

    refund = _merchant_refunds(_paid(order, "wechat", providers, fakes), 500, "callback-lost", providers)
    fakes["wechat"].complete_refund(refund.id, status=wechat_says, deliver=False)
    assert _swept(providers, minutes=0).checked == 0  # a young refund is left to its callback
    assert _refunds(order.id) == [("PROCESSING", 500)]
    _swept(providers)
    assert (_refunds(order.id), _counters(order.id)) == (refunds, counters)
    assert [int(p.refunded) for p in payments_of(order.id)] == [payment_refunded]


def test_a_late_wechat_callback_racing_the_sweep_settles_the_refund_once(order, providers, fakes, monkeypatch):
    """The callback lands after the sweep read the refund as PROCESSING and asked WeChat, before it settles it."""
    from paotui.payments.wechatpay import WeChatPayProvider

    refund = _merchant_refunds(_paid(order, "wechat", providers, fakes), 500, "callback-races", providers)
    asked = WeChatPayProvider.query_refund

    def query_then_callback(self, payment_id: str, refund_id: str):
        answer = asked(self, payment_id, refund_id)
        fakes["wechat"].deliver(fakes["wechat"].refund_notify(refund_id))
        return answer

    fakes["wechat"].complete_refund(refund.id, deliver=False)
    monkeypatch.setattr(WeChatPayProvider, "query_refund", query_then_callback)
    assert _swept(providers).failed == 0
    assert fakes["wechat"].deliveries[-1].acknowledged
    assert (_refunds(order.id), _counters(order.id)) == ([("SUCCEEDED", 500)], (500, 0, 0))


def test_an_alipay_refund_it_did_not_do_is_asked_again_and_settled_by_the_sweep(order, providers, fakes):
    current = _paid(order, "alipay", providers, fakes)
    fakes["alipay"].defer_refunds = True
    try:
        refund = _merchant_refunds(current, 500, "alipay-not-done", providers)
    finally:
        fakes["alipay"].defer_refunds = False
    assert refund.status == "PROCESSING"  # fund_change N, no refund_status

    asked_before = len(fakes["alipay"].requests)
    assert _swept(providers).processing == 1
    methods = [method for method, _, _ in fakes["alipay"].requests[asked_before:]]
    assert methods.count("alipay.trade.refund") == 1  # asked again, as Alipay advises, under the same out_request_no
    fakes["alipay"].settle_refund(order.id.removeprefix("ord_"), refund.id, deliver=False)
    assert _swept(providers).succeeded == 1
    assert (_refunds(order.id), _counters(order.id)) == ([("SUCCEEDED", 500)], (500, 0, 0))


# --- refunds the provider refuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "words"),
    [("wechat", "USER_ACCOUNT_ABNORMAL: 退款请求失败，用户帐号注销"), ("alipay", "ACQ.BUYER_ERROR: 买家状态非法")],
)
def test_a_refund_the_provider_refuses_for_good_fails_at_once_and_gives_its_amount_back(
    order, providers, fakes, channel, words
):
    """The payer closed their account since paying: the provider will never do this refund. It fails now, with the
    provider's words, instead of staying 退款中 and being asked again every sweep forever."""
    from paotui.payments.api import refund_view
    from paotui.payments.service import payments_of

    current = _paid(order, channel, providers, fakes)
    fakes[channel].closed_accounts.add(order.id.removeprefix("ord_"))

    refund = _merchant_refunds(current, 500, "refused-for-good", providers)

    assert (refund.status, refund_view(refund).failure) == ("FAILED", words)
    assert _counters(order.id) == (0, 0, 1)
    assert [int(p.refunded) for p in payments_of(order.id)] == [0], "the amount is the payment's to refund again"
    asked = len(fakes[channel].requests)
    again = _merchant_refunds(_order(order.id), 500, "refused-for-good", providers)
    assert (again.id, again.status, len(fakes[channel].requests)) == (refund.id, "FAILED", asked), "settled: not asked"
    assert _swept(providers).checked == 0, "nothing left open for the sweep"


@pytest.mark.parametrize("channel", ["wechat", "alipay"])
def test_a_refund_held_up_while_the_balance_is_short_waits_and_the_sweep_does_it_once_topped_up(
    order, providers, fakes, channel
):
    """NOT_ENOUGH / ACQ.SELLER_BALANCE_NOT_ENOUGH holds the refund up: it is opened and stays 退款中, its amount
    reserved (the merchant is not told it failed), and the sweep asks again until the account is topped up."""
    current = _paid(order, channel, providers, fakes)
    fakes[channel].balance = 0
    try:
        refund = _merchant_refunds(current, 500, "balance-short", providers)
        assert (refund.status, refund.failure) == ("PROCESSING", None)
        assert _counters(order.id) == (0, 1, 0)
        swept = _swept(providers)  # asked again, held up again: still open, and no failure of the sweep
        assert (swept.processing, swept.failed, _refunds(order.id)) == (1, 0, [("PROCESSING", 500)])
    finally:
        fakes[channel].balance = None  # topped up
    _swept(providers)
    if channel == "wechat":  # WeChat takes it PROCESSING and says when it is done
        fakes["wechat"].complete_refund(refund.id, deliver=False)
        _swept(providers)
    assert (_refunds(order.id), _counters(order.id)) == ([("SUCCEEDED", 500)], (500, 0, 0))


def test_a_cancellations_refund_held_up_is_left_to_the_sweep_not_retried_as_a_failed_message(order, providers, fakes):
    """RefundWorker's message succeeds (no retries into RefundDLQ for a short balance): the refund is open, and the
    sweep finishes it once the account is topped up."""
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events
    from paotui.platform.events import DomainEvent
    from tests.integration.builders import order_event

    _paid(order, "alipay", providers, fakes)
    cancelled = orders.system_transition(order.id, Status.CANCELLED, expected={Status.PAID}, reason="merchant_rejected")
    fakes["alipay"].balance = 0
    try:
        refund_events.handle(DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PAID")), providers)
        assert _refunds(order.id) == [("PROCESSING", int(order.amounts.total))]
    finally:
        fakes["alipay"].balance = None
    assert _swept(providers).succeeded == 1
    assert _refunds(order.id) == [("SUCCEEDED", int(order.amounts.total))]
