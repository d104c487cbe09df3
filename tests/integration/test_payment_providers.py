"""Each payment adapter against its local fake, over real HTTP both ways.

The fakes check our request signatures and sign their answers and callbacks
as WeChat Pay and Alipay do; callbacks are POSTed to a small receiver here
that runs ``parse_notify`` and answers with ``reply`` as a notify handler
would. The adapters report what they verified; applying it once (duplicates,
wrong amounts) is the payments service's job, not theirs.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from paotui.payments.alipay import AlipayConfig, AlipayProvider
from paotui.payments.providers import PaymentProvider, PaymentState, ProviderPayment, ProviderRefund, RefundState
from paotui.payments.wechatpay import WeChatPayConfig, WeChatPayProvider
from paotui.platform.errors import BadGateway, Conflict, NotFound, Unauthorized, Unprocessable
from paotui_local.fakes import generate_key, private_pem, public_pem
from paotui_local.fakes.alipay import FakeAlipay
from paotui_local.fakes.wechatpay import FakeWechatPay
from tests.integration.builders import LocalRoute


class Receiver(LocalRoute):
    """Our notify endpoint: ``POST /notify/<channel>`` → parse_notify → reply, recording each outcome."""

    def __init__(self) -> None:
        self.providers: dict[str, PaymentProvider] = {}
        self.outcomes: list[ProviderPayment | ProviderRefund | Exception] = []
        super().__init__(self._notify)

    def _notify(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        provider = self.providers[path.rsplit("/", 1)[-1]]
        try:
            self.outcomes.append(provider.parse_notify(headers, body))
            answer = provider.reply(True)
        except Unauthorized as refusal:
            self.outcomes.append(refusal)
            answer = provider.reply(False)
        return answer.status, answer.content_type, answer.body.encode()

    def url(self, channel: str) -> str:
        return f"{self.base_url}/notify/{channel}"

    def last(self):
        return self.outcomes[-1]


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def wx_fake():
    with FakeWechatPay() as fake:
        yield fake


@pytest.fixture(scope="module")
def wx(wx_fake, receiver) -> WeChatPayProvider:
    provider = WeChatPayProvider(WeChatPayConfig.from_secret(wx_fake.secret_json()))
    receiver.providers["wechat"] = provider
    return provider


@pytest.fixture(scope="module")
def ali_fake():
    with FakeAlipay() as fake:
        yield fake


@pytest.fixture(scope="module")
def ali(ali_fake, receiver) -> AlipayProvider:
    provider = AlipayProvider(AlipayConfig.from_secret(ali_fake.secret_json()))
    receiver.providers["alipay"] = provider
    return provider


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def later(minutes: int = 15) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def wx_trade(wx: WeChatPayProvider, receiver: Receiver, amount: int = 2590) -> tuple[str, dict[str, str]]:
    payment_id = new_id("pay")
    params = wx.create(
        payment_id=payment_id,
        amount=amount,
        description="跑腿订单 #1",
        payer_id="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        notify_url=receiver.url("wechat"),
        expires_at=later(),
    )
    return payment_id, params


def ali_trade(ali: AlipayProvider, receiver: Receiver, amount: int = 2590, payer_id: str | None = None):
    payment_id = new_id("pay")
    reference = ali.create(
        payment_id=payment_id,
        amount=amount,
        description="跑腿订单 #1",
        payer_id=payer_id,
        notify_url=receiver.url("alipay"),
        expires_at=later(),
    )
    return payment_id, reference


# -- WeChat Pay


def test_wechat_adapter_is_a_payment_provider(wx):
    assert isinstance(wx, PaymentProvider) and wx.channel == "wechat"


def test_wechat_prepay_gives_signed_request_payment_params(wx, wx_fake, receiver):
    expires_at = later()
    payment_id = new_id("pay")
    params = wx.create(
        payment_id=payment_id,
        amount=2590,
        description="跑腿订单 #1",
        payer_id="openid-1",
        notify_url=receiver.url("wechat"),
        expires_at=expires_at,
    )
    trade = wx_fake.trades[payment_id]
    assert params["package"] == f"prepay_id={trade.prepay_id}"
    assert params["appId"] == wx_fake.appid and params["signType"] == "RSA"
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    wx_fake.merchant_key.public_key().verify(
        base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256()
    )
    assert (trade.total, trade.openid, trade.notify_url) == (2590, "openid-1", receiver.url("wechat"))
    assert trade.time_expire.endswith("+08:00")
    assert datetime.fromisoformat(trade.time_expire) == expires_at.replace(microsecond=0)
    again = wx.create(
        payment_id=payment_id,
        amount=2590,
        description="跑腿订单 #1",
        payer_id="openid-1",
        notify_url=receiver.url("wechat"),
        expires_at=expires_at,
    )
    assert again["package"] == params["package"]
    assert wx.query(payment_id) == ProviderPayment(payment_id, None, 2590, PaymentState.PENDING, None)


def test_wechat_jsapi_needs_the_payers_openid(wx, receiver):
    with pytest.raises(Unprocessable):
        wx.create(
            payment_id=new_id("pay"),
            amount=1,
            description="x",
            payer_id=None,
            notify_url=receiver.url("wechat"),
            expires_at=later(),
        )


def test_wechat_payment_notify_is_verified_and_matches_the_query(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    notify = wx_fake.pay(payment_id)
    delivery = wx_fake.deliveries[-1]
    assert delivery.notify is notify and delivery.acknowledged and delivery.status == 200
    paid = receiver.last()
    assert isinstance(paid, ProviderPayment)
    assert (paid.payment_id, paid.amount, paid.state) == (payment_id, 2590, PaymentState.SUCCEEDED)
    assert paid.provider_txn_id == wx_fake.trades[payment_id].transaction_id
    assert paid.paid_at.endswith("Z")
    assert wx.query(payment_id) == paid


def test_wechat_duplicated_and_reordered_notifies_all_verify(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    first = wx_fake.pay(payment_id, deliver=False)
    wx.refund(
        payment_id=payment_id,
        refund_id="r1" + payment_id,
        amount=100,
        total=2590,
        reason="",
        notify_url=receiver.url("wechat"),
    )
    refunded = wx_fake.complete_refund("r1" + payment_id, deliver=False)
    deliveries = [wx_fake.deliver(n) for n in (refunded, first, first, refunded)]  # refund before payment, twice each
    assert all(d.acknowledged for d in deliveries)
    outcomes = receiver.outcomes[-4:]
    assert [type(o) for o in outcomes] == [ProviderRefund, ProviderPayment, ProviderPayment, ProviderRefund]
    assert outcomes[1] == outcomes[2] and outcomes[0] == outcomes[3]


def test_wechat_forged_stale_and_wrongly_encrypted_notifies_are_refused(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(payment_id, deliver=False)
    for notify, reason in (
        (wx_fake.payment_notify(payment_id, signing_key=generate_key()), "signature"),
        (wx_fake.payment_notify(payment_id, timestamp=str(int(datetime.now(UTC).timestamp()) - 600)), "stale"),
        (wx_fake.payment_notify(payment_id, apiv3_key="f" * 32), "signature"),
        (wx_fake.payment_notify(payment_id, serial="PUB_KEY_ID_0000"), "serial"),
    ):
        delivery = wx_fake.deliver(notify)
        assert delivery.status == 500 and json.loads(delivery.body)["code"] == "FAIL"
        assert not delivery.acknowledged
        refusal = receiver.last()
        assert isinstance(refusal, Unauthorized) and refusal.code == "INVALID_SIGNATURE"
        assert refusal.details["reason"] == reason


def test_wechat_tampered_notify_is_refused(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    notify = wx_fake.pay(payment_id, deliver=False)
    tampered = dataclasses.replace(notify, body=notify.body.replace(b"TRANSACTION.SUCCESS", b"REFUND.SUCCESS"))
    assert not wx_fake.deliver(tampered).acknowledged
    assert isinstance(receiver.last(), Unauthorized)


def test_wechat_wrong_amount_notify_is_reported_as_sent(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(payment_id, deliver=False)
    assert wx_fake.deliver(wx_fake.payment_notify(payment_id, total=1)).acknowledged
    assert receiver.last().amount == 1  # validly signed: the service's amount check refuses it


def test_wechat_close_is_idempotent_and_refuses_a_paid_trade(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    wx.close(payment_id)
    wx.close(payment_id)
    assert wx.query(payment_id).state is PaymentState.CLOSED
    wx.close(new_id("never_opened"))
    paid_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(paid_id, deliver=False)
    with pytest.raises(Conflict) as refusal:
        wx.close(paid_id)
    assert refusal.value.code == "ALREADY_PAID"


def test_wechat_query_of_an_unknown_trade_is_not_found(wx):
    with pytest.raises(NotFound) as missing:
        wx.query(new_id("pay"))
    assert missing.value.code == "TRADE_NOT_FOUND"


def test_wechat_partial_then_full_refund_with_refund_notifies(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(payment_id)
    notify_url = receiver.url("wechat")
    first = wx.refund(
        payment_id=payment_id,
        refund_id="ra" + payment_id,
        amount=1000,
        total=2590,
        reason="缺货",
        notify_url=notify_url,
    )
    assert (first.amount, first.state, first.payment_id) == (1000, RefundState.PROCESSING, payment_id)
    repeated = wx.refund(
        payment_id=payment_id,
        refund_id="ra" + payment_id,
        amount=1000,
        total=2590,
        reason="缺货",
        notify_url=notify_url,
    )
    assert repeated == first  # idempotent on refund_id
    wx_fake.complete_refund("ra" + payment_id)
    assert receiver.last() == dataclasses.replace(first, state=RefundState.SUCCEEDED)

    rest = wx.refund(
        payment_id=payment_id, refund_id="rb" + payment_id, amount=1590, total=2590, reason="", notify_url=notify_url
    )
    wx_fake.complete_refund("rb" + payment_id)
    assert receiver.last() == dataclasses.replace(rest, state=RefundState.SUCCEEDED)
    assert wx.query_refund(payment_id, "rb" + payment_id).state is RefundState.SUCCEEDED
    assert wx.query(payment_id).state is PaymentState.SUCCEEDED  # REFUND: it was paid

    with pytest.raises(Conflict) as refusal:
        wx.refund(
            payment_id=payment_id, refund_id="rc" + payment_id, amount=1, total=2590, reason="", notify_url=notify_url
        )
    refused = (refusal.value.code, refusal.value.details["provider_code"])
    assert refused == ("REFUND_REFUSED", "INVALID_REQUEST"), "nothing left to refund: refused for good"


def test_wechat_failed_refund_notify(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(payment_id, deliver=False)
    wx.refund(
        payment_id=payment_id,
        refund_id="r" + payment_id,
        amount=2590,
        total=2590,
        reason="",
        notify_url=receiver.url("wechat"),
    )
    wx_fake.complete_refund("r" + payment_id, status="ABNORMAL")
    assert receiver.last().state is RefundState.FAILED


@pytest.mark.parametrize(
    ("settled_as", "state"),
    [
        (None, RefundState.PROCESSING),
        ("SUCCESS", RefundState.SUCCEEDED),
        ("CLOSED", RefundState.FAILED),
        ("ABNORMAL", RefundState.FAILED),
    ],
)
def test_wechat_refund_query_reports_the_refund_as_wechat_has_it(wx, wx_fake, receiver, settled_as, state):
    payment_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(payment_id, deliver=False)
    asked = wx.refund(
        payment_id=payment_id,
        refund_id="r" + payment_id,
        amount=700,
        total=2590,
        reason="",
        notify_url=receiver.url("wechat"),
    )
    if settled_as:
        wx_fake.complete_refund("r" + payment_id, status=settled_as, deliver=False)  # its callback lost
    found = wx.query_refund(payment_id, "r" + payment_id)
    assert found == dataclasses.replace(asked, state=state)
    assert found.provider_refund_id == wx_fake.refunds["r" + payment_id].refund_id
    # the fake answered only because our request's Authorization verified (else 401 SIGN_ERROR)
    assert wx_fake.requests[-1] == ("GET", f"/v3/refund/domestic/refunds/r{payment_id}", 200)


def test_wechat_refund_query_of_a_refund_wechat_never_got_is_refund_not_found(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    wx_fake.pay(payment_id, deliver=False)
    with pytest.raises(NotFound) as missing:
        wx.query_refund(payment_id, "r" + payment_id)
    assert missing.value.code == "REFUND_NOT_FOUND"
    assert wx_fake.requests[-1] == ("GET", f"/v3/refund/domestic/refunds/r{payment_id}", 404)


def test_wechat_request_signed_with_the_wrong_merchant_key_is_refused(wx_fake, receiver):
    config = WeChatPayConfig.from_secret(wx_fake.secret_json())
    stranger = WeChatPayProvider(dataclasses.replace(config, merchant_private_key=private_pem(generate_key())))
    with pytest.raises(BadGateway) as failure:
        stranger.query(new_id("pay"))
    assert failure.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert failure.value.details["provider_code"] == "SIGN_ERROR"
    assert wx_fake.requests[-1][2] == 401


def test_wechat_answer_signed_by_another_platform_key_is_refused(wx, wx_fake, receiver):
    payment_id, _ = wx_trade(wx, receiver)
    config = WeChatPayConfig.from_secret(wx_fake.secret_json())
    fooled = WeChatPayProvider(dataclasses.replace(config, platform_public_key=public_pem(generate_key())))
    with pytest.raises(BadGateway) as failure:
        fooled.query(payment_id)
    assert failure.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
    headers, body = wx_fake.payment_notify(payment_id).headers, wx_fake.payment_notify(payment_id).body
    with pytest.raises(Unauthorized):
        fooled.parse_notify(headers, body)


def test_wechat_unreachable_is_bad_gateway(wx_fake):
    config = WeChatPayConfig.from_secret(wx_fake.secret_json())
    offline = WeChatPayProvider(dataclasses.replace(config, base_url="http://127.0.0.1:9", timeout=2))
    with pytest.raises(BadGateway) as failure:
        offline.query("pay_1")
    assert failure.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"


# -- Alipay


def test_alipay_adapter_is_a_payment_provider(ali):
    assert isinstance(ali, PaymentProvider) and ali.channel == "alipay"


def test_alipay_precreate_gives_a_qr_code_and_no_trade_until_scanned(ali, ali_fake, receiver):
    payment_id, reference = ali_trade(ali, receiver)
    assert reference == {"out_trade_no": payment_id, "qr_code": ali_fake.trades[payment_id].qr_code}
    again = ali.create(
        payment_id=payment_id,
        amount=2590,
        description="跑腿订单 #1",
        payer_id=None,
        notify_url=receiver.url("alipay"),
        expires_at=later(),
    )
    assert again == reference
    assert ali_fake.trades[payment_id].total == 2590
    with pytest.raises(NotFound) as missing:
        ali.query(payment_id)
    assert missing.value.code == "TRADE_NOT_FOUND"
    ali.close(payment_id)  # nothing to close at Alipay yet: fine
    ali_fake.scan(payment_id)
    assert ali.query(payment_id).state is PaymentState.PENDING


@pytest.mark.parametrize(
    ("payer_id", "field"),
    [("2088102177846880", "buyer_id"), ("074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5", "buyer_open_id")],
)
def test_alipay_create_with_a_payer_gives_a_trade_no(ali, ali_fake, receiver, payer_id, field):
    payment_id, reference = ali_trade(ali, receiver, payer_id=payer_id)
    trade = ali_fake.trades[payment_id]
    assert reference == {"out_trade_no": payment_id, "trade_no": trade.trade_no}
    assert trade.buyer_id == payer_id
    assert ali.query(payment_id) == ProviderPayment(payment_id, trade.trade_no, 2590, PaymentState.PENDING, None)
    method, biz, _ = next(
        r for r in ali_fake.requests if r[0] == "alipay.trade.create" and r[1]["out_trade_no"] == payment_id
    )
    assert biz[field] == payer_id and biz["product_code"] == "JSAPI_PAY"


def test_alipay_payment_notify_is_verified_and_matches_the_query(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver, amount=1)
    ali_fake.pay(payment_id)
    delivery = ali_fake.deliveries[-1]
    assert delivery.acknowledged and delivery.body == b"success"
    paid = receiver.last()
    assert isinstance(paid, ProviderPayment)
    assert (paid.payment_id, paid.amount, paid.state) == (payment_id, 1, PaymentState.SUCCEEDED)
    assert paid.provider_txn_id == ali_fake.trades[payment_id].trade_no
    assert recent_utc(paid.paid_at)
    assert ali.query(payment_id) == paid


def recent_utc(text: str) -> bool:
    return text.endswith("Z") and abs(
        datetime.fromisoformat(text.replace("Z", "+00:00")) - datetime.now(UTC)
    ) < timedelta(minutes=1)


def test_alipay_forged_tampered_foreign_and_wrong_amount_notifies(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver)
    notify = ali_fake.pay(payment_id, deliver=False)

    forged = ali_fake.deliver(ali_fake.payment_notify(payment_id, signing_key=generate_key()))
    assert not forged.acknowledged and forged.body == b"fail"
    assert receiver.last().code == "INVALID_SIGNATURE"

    tampered = dataclasses.replace(notify, body=notify.body.replace(b"total_amount=25.90", b"total_amount=0.01"))
    assert not ali_fake.deliver(tampered).acknowledged
    assert receiver.last().code == "INVALID_SIGNATURE"

    assert not ali_fake.deliver(ali_fake.payment_notify(payment_id, app_id="2021000000000009")).acknowledged
    assert receiver.last().code == "INVALID_NOTIFICATION"

    assert ali_fake.deliver(ali_fake.payment_notify(payment_id, total_amount="0.01")).acknowledged
    assert receiver.last().amount == 1  # validly signed: the service's amount check refuses it

    assert ali_fake.deliver(notify).acknowledged and ali_fake.deliver(notify).acknowledged  # duplicates verify
    assert receiver.outcomes[-1] == receiver.outcomes[-2]


def test_alipay_close_is_idempotent_and_refuses_a_paid_trade(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver)
    ali_fake.scan(payment_id)
    ali.close(payment_id)
    ali.close(payment_id)
    assert ali.query(payment_id).state is PaymentState.CLOSED
    paid_id, _ = ali_trade(ali, receiver)
    ali_fake.pay(paid_id, deliver=False)
    with pytest.raises(Conflict) as refusal:
        ali.close(paid_id)
    assert refusal.value.code == "ALREADY_PAID"


def test_alipay_partial_then_full_refund_with_refund_notifies(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver)
    ali_fake.pay(payment_id)
    first = ali.refund(payment_id=payment_id, refund_id="ra", amount=1000, total=2590, reason="缺货", notify_url="")
    assert first == ProviderRefund("ra", payment_id, None, 1000, RefundState.SUCCEEDED)
    assert (
        ali.refund(payment_id=payment_id, refund_id="ra", amount=1000, total=2590, reason="缺货", notify_url="")
        == first
    )
    rest = ali.refund(payment_id=payment_id, refund_id="rb", amount=1590, total=2590, reason="", notify_url="")
    assert rest.state is RefundState.SUCCEEDED

    # Refund notifies go to the payment's notify_url; delivered late and out of order, and twice.
    for request_no in ("rb", "ra", "rb"):
        assert ali_fake.deliver(ali_fake.refund_notify(payment_id, request_no)).acknowledged
    later_one, earlier_one, again = receiver.outcomes[-3:]
    assert (later_one.refund_id, later_one.amount) == ("rb", 2590)  # refund_fee: cumulative for the trade
    assert (earlier_one.refund_id, earlier_one.amount) == ("ra", 1000)
    assert again == later_one
    assert ali.query_refund(payment_id, "rb") == ProviderRefund("rb", payment_id, None, 1590, RefundState.SUCCEEDED)

    assert ali.query(payment_id).state is PaymentState.SUCCEEDED  # TRADE_CLOSED by the full refund, but paid
    with pytest.raises(Conflict) as refusal:
        ali.refund(payment_id=payment_id, refund_id="rc", amount=1, total=2590, reason="", notify_url="")
    refused = (refusal.value.code, refusal.value.details["provider_sub_code"])
    assert refused == ("REFUND_REFUSED", "ACQ.TRADE_STATUS_ERROR"), "closed by the full refund: refused for good"


def test_alipay_refund_not_yet_done_is_processing_until_settled(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver)
    ali_fake.pay(payment_id, deliver=False)
    ali_fake.defer_refunds = True
    try:
        pending = ali.refund(payment_id=payment_id, refund_id="r1", amount=500, total=2590, reason="", notify_url="")
    finally:
        ali_fake.defer_refunds = False
    assert pending == ProviderRefund("r1", payment_id, None, 500, RefundState.PROCESSING)
    ali_fake.settle_refund(payment_id, "r1")
    assert receiver.last() == ProviderRefund("r1", payment_id, None, 500, RefundState.SUCCEEDED)
    retried = ali.refund(payment_id=payment_id, refund_id="r1", amount=500, total=2590, reason="", notify_url="")
    assert retried.state is RefundState.SUCCEEDED


def test_alipay_refund_query_is_done_only_with_refund_success_and_else_refund_not_found(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver)
    ali_fake.pay(payment_id, deliver=False)
    with pytest.raises(NotFound) as never_asked:  # Alipay: an empty success
        ali.query_refund(payment_id, "r1")
    ali_fake.defer_refunds = True
    try:
        ali.refund(payment_id=payment_id, refund_id="r1", amount=500, total=2590, reason="", notify_url="")
    finally:
        ali_fake.defer_refunds = False
    with pytest.raises(NotFound) as not_done:  # an answer without refund_status: not received, or failed
        ali.query_refund(payment_id, "r1")
    ali_fake.settle_refund(payment_id, "r1", deliver=False)  # its notify lost
    assert ali.query_refund(payment_id, "r1") == ProviderRefund("r1", payment_id, None, 500, RefundState.SUCCEEDED)
    assert {never_asked.value.code, not_done.value.code} == {"REFUND_NOT_FOUND"}
    # the fake answered only because our request's signature verified; its signed answer was verified by the adapter
    method, biz, node = ali_fake.requests[-1]
    assert (method, biz, node["code"]) == (
        "alipay.trade.fastpay.refund.query",
        {"out_trade_no": payment_id, "out_request_no": "r1"},
        "10000",
    )


def test_alipay_request_signed_with_the_wrong_app_key_is_refused(ali_fake):
    config = AlipayConfig.from_secret(ali_fake.secret_json())
    stranger = AlipayProvider(dataclasses.replace(config, app_private_key=private_pem(generate_key())))
    with pytest.raises(BadGateway) as failure:
        stranger.query(new_id("pay"))
    assert failure.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert failure.value.details["provider_sub_code"] == "isv.invalid-signature"


def test_alipay_answer_signed_by_another_alipay_key_is_refused(ali, ali_fake, receiver):
    payment_id, _ = ali_trade(ali, receiver)
    config = AlipayConfig.from_secret(ali_fake.secret_json())
    fooled = AlipayProvider(dataclasses.replace(config, alipay_public_key=public_pem(generate_key())))
    with pytest.raises(BadGateway):
        fooled.query(payment_id)
    notify = ali_fake.pay(payment_id, deliver=False)
    with pytest.raises(Unauthorized):
        fooled.parse_notify(notify.headers, notify.body)


def test_alipay_unreachable_is_bad_gateway(ali_fake):
    config = AlipayConfig.from_secret(ali_fake.secret_json())
    offline = AlipayProvider(dataclasses.replace(config, gateway_url="http://127.0.0.1:9/gateway.do", timeout=2))
    with pytest.raises(BadGateway) as failure:
        offline.query("pay_1")
    assert failure.value.code == "PAYMENT_PROVIDER_UNAVAILABLE"
