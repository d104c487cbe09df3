"""Correctly signed callbacks with malformed content, one field at a time, through the routes' own handlers.

The bad-input sweep (``test_bad_input_sweep.py``) stops at the signatures: its
payment notifies, Dada callbacks and Ele.me pushes are refused as forged or
unconfigured. A provider's own bug, or anyone holding a leaked key, can sign
odd content, so each table here signs it as the provider does (WeChat Pay v3:
the resource AES-GCM-encrypted with the APIv3 key and the body RSA-signed;
Alipay: RSA2 over the form; Dada: the MD5 of its three fields; Ele.me: the MD5
with the app secret) and checks what matters to the provider and to us:
never a 5xx (the provider would redeliver it forever), the provider's own
refusal form (WeChat Pay ``{"code": "FAIL"}``, Alipay ``fail``, our error shape
for Dada and Ele.me) with a 4xx, and nothing applied that should not be: the
order's status, its payments and refunds, its carrier state unchanged.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from paotui.orders.transitions import Status
from paotui.payments.alipay import rsa2_sign, sign_content
from paotui_local.fakes.alipay import FakeAlipay
from paotui_local.fakes.dada import FakeDada
from paotui_local.fakes.eleme import FakeEleme
from paotui_local.fakes.wechatpay import FakeWechatPay, encrypt_resource, signed_headers
from tests.integration.builders import (
    CUSTOMER,
    HOME,
    LAMBDA_CONTEXT,
    api_event,
    delivering_by_dada,
    load_handler,
    loaded_module,
    merchant_with_products,
    order_event,
    order_request,
    placed_order,
    principal,
    stock_of,
)

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BEIJING = timezone(timedelta(hours=8))
LONG = "x" * 5000
SURROGATE = "\ud800"
MERCHANT_OWNER = principal("usr_owner", "merchant")

Change = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Case:
    """One malformed message: ``change`` edits the signed content in place; ``status`` is the answer expected
    (None: any 4xx); ``applied``: whether the message is one that should take effect."""

    name: str
    change: Change
    status: int | None = None
    applied: bool = False
    bug: str | None = None
    """A known bug that still makes the case fail: a strict xfail, so fixing it must remove the mark."""


def setting(**fields: Any) -> Change:
    return lambda content: content.update(fields)


def dropping(*names: str) -> Change:
    return lambda content: [content.pop(name) for name in names]


def table(*cases: Case) -> list[Any]:
    return [
        pytest.param(case, id=case.name, marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [])
        for case in cases
    ]


def assert_refused_in_form(status: int, expected: int | None) -> None:
    assert status < 500, "a 5xx: the provider would redeliver it forever"
    if expected is None:
        assert 400 <= status < 500
    else:
        assert status == expected


@pytest.fixture(scope="module")
def env(module_aws):
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield monkeypatch


# --- payments: WeChat Pay and Alipay notifies ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pay_fakes():
    with FakeWechatPay() as wechat, FakeAlipay() as alipay:
        yield {"wechat": wechat, "alipay": alipay}


@pytest.fixture(scope="module")
def payments(env, pay_fakes):
    """PaymentsApi's handler (one warm container), with providers built from the fakes' secrets."""
    from paotui.accounts.records import IdentityRecord
    from paotui.payments.api import get_providers
    from paotui.payments.channels import Providers
    from paotui.platform.settings import get_settings

    arns = {
        channel: boto3.client("secretsmanager").create_secret(
            Name=f"paotui-{channel}-pay-content", SecretString=fake.secret_json()
        )["ARN"]
        for channel, fake in pay_fakes.items()
    }
    update = {"wechatpay_secret_arn": arns["wechat"], "alipay_secret_arn": arns["alipay"]}
    providers = Providers(get_settings().model_copy(update=update), transport=None)
    IdentityRecord(f"wechat#{OPENID}", user_id=CUSTOMER.user_id, created_at="2026-11-26T00:00:00.000Z").save()
    handler = load_handler("PaymentsApi")
    loaded_module("PaymentsApi").app.dependency_overrides[get_providers] = lambda: providers
    merchant, (product,) = merchant_with_products(10**6)
    return handler, providers, (merchant, product)


def opened(payments, channel: str) -> Any:
    """A fresh PENDING_PAYMENT order of the shop's whose trade is open on ``channel``."""
    from paotui.orders import service as orders
    from paotui.payments import service

    order, _ = orders.place_order(
        CUSTOMER.user_id, f"key-{uuid.uuid4().hex}", order_request(payments[2][0], (payments[2][1], 2))
    )
    service.start_payment(order.id, CUSTOMER, channel, payments[1])
    return order


def notify(payments, channel: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    event = api_event("POST", f"/payments/notify/{channel}", headers=headers)
    event["body"] = body.decode()
    response = payments[0](event, LAMBDA_CONTEXT)
    return response["statusCode"], response.get("body") or ""


def money(order_id: str) -> tuple[str, list[tuple[str, str]], list[tuple[str, str, int]], int]:
    """What a notify may change: the order's status, its payments and refunds, what was refunded."""
    from paotui.orders.service import get_order
    from paotui.payments.refunds import refunds_of
    from paotui.payments.service import payments_of

    order = get_order(order_id)
    return (
        order.status,
        sorted((p.channel, p.status) for p in payments_of(order_id)),
        sorted((r.id, r.status, int(r.amount)) for r in refunds_of(order_id)),
        int(order.refunded or 0),
    )


def trade_of(order: Any) -> str:
    return order.id.removeprefix("ord_")


def wechat_body(fake: FakeWechatPay, resource: Any, event_type: Any, original_type: str, **top: Any) -> bytes:
    """A callback body as WeChat Pay builds it; JSON escapes keep lone surrogates sendable, as JSON allows."""
    encrypted = encrypt_resource(fake.apiv3_key, json.dumps(resource), original_type)
    message = {
        "id": str(uuid.uuid4()),
        "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "通知",
        "resource": {"original_type": original_type, **encrypted},
        **top,
    }
    return json.dumps(message).encode()


def wechat_send(payments, fake: FakeWechatPay, body: bytes) -> tuple[int, str]:
    headers = signed_headers(fake.platform_key, fake.platform_public_key_id, body)
    return notify(payments, "wechat", {**headers, "Content-Type": "application/json"}, body)


def wechat_paid(fake: FakeWechatPay, order: Any) -> dict[str, Any]:
    total = int(order.amounts.total)
    return {
        "mchid": fake.mchid,
        "appid": fake.appid,
        "out_trade_no": trade_of(order),
        "transaction_id": "4200002026112600000000000001",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
        "payer": {"openid": OPENID},
        "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
    }


def assert_wechat_refusal(status: int, body: str, expected: int | None) -> None:
    assert_refused_in_form(status, expected)
    assert json.loads(body)["code"] == "FAIL"


WECHAT_PAYMENTS = table(
    Case("as sent", lambda r: None, 200, applied=True),
    Case("an extra field", setting(promotion_detail=[{"coupon_id": "1"}], mood="😀"), 200, applied=True),
    Case("amount negative", lambda r: r["amount"].update(total=-2590), 422),
    Case("amount zero", lambda r: r["amount"].update(total=0), 422),
    Case("amount huge", lambda r: r["amount"].update(total=10**30), 422),
    Case("amount not an integer", lambda r: r["amount"].update(total=25.9), 401),
    Case("amount a string", lambda r: r["amount"].update(total="2590"), 401),
    Case("amount missing", dropping("amount"), 401),
    Case("trade unknown", setting(out_trade_no=secrets.token_hex(16)), 404),
    Case("trade empty", setting(out_trade_no=""), 401),
    Case("trade very long", setting(out_trade_no=LONG), 404),
    Case("trade a number", setting(out_trade_no=12345)),
    Case("trade with NUL", setting(out_trade_no="\x00" * 32), 404),
    Case("trade a lone surrogate", setting(out_trade_no=SURROGATE * 32), 401),
    Case("trade missing", dropping("out_trade_no"), 401),
    Case("trade_state unknown", setting(trade_state="PAID_TWICE"), 401),
    Case("trade_state not paid", setting(trade_state="NOTPAY"), 200),
    Case("success_time at the calendar's start", setting(success_time="0001-01-01T00:00:00+08:00"), 401),
    Case("success_time at the calendar's end", setting(success_time="9999-12-31T23:59:59-08:00"), 401),
    Case("success_time unparsable", setting(success_time="yesterday"), 401),
    Case("transaction_id very long", setting(transaction_id=LONG), 200, applied=True),
    Case("transaction_id with a lone surrogate", setting(transaction_id="42" + SURROGATE), 401),
    Case("transaction_id a number", setting(transaction_id=4200002026), 401),
    Case("mchid of another merchant", setting(mchid="1900000999"), 401),
    Case("appid of another app", setting(appid="wx0000000000000000"), 401),
)


def assert_payment_judged(
    case: Case, status: int, accepted: bool, before: Any, after: Any, assert_refused: Callable[[], None]
) -> None:
    """What a payment notify with the case's content must have done: paid the order if it is one to apply, else
    acknowledged it (``case.status`` 200) or refused it in the channel's form, the money unchanged either way."""
    if case.applied:
        assert (status, accepted, after[0]) == (200, True, "PAID")
        return
    if case.status == 200:
        assert accepted
    else:
        assert_refused()
    assert after == before


@pytest.mark.parametrize("case", WECHAT_PAYMENTS)
def test_a_signed_wechat_payment_notify_with_odd_content_is_refused_in_wechats_form(payments, pay_fakes, case):
    fake = pay_fakes["wechat"]
    order = opened(payments, "wechat")
    before = money(order.id)
    resource = wechat_paid(fake, order)
    case.change(resource)
    status, body = wechat_send(payments, fake, wechat_body(fake, resource, "TRANSACTION.SUCCESS", "transaction"))
    accepted = json.loads(body)["code"] == "SUCCESS"
    assert_payment_judged(
        case, status, accepted, before, money(order.id), lambda: assert_wechat_refusal(status, body, case.status)
    )


WECHAT_MESSAGES = table(
    Case("event_type a number", lambda m: m.update(event_type=123), 401),
    Case("event_type null", lambda m: m.update(event_type=None), 401),
    Case("event_type unknown", lambda m: m.update(event_type="TRANSFER.SUCCESS"), 422),
    Case("resource a JSON array", lambda m: m.update(resource=["not", "an", "object"]), 401),
    Case("an extra top-level field", lambda m: m.update(extra={"a": [1, 2]}), 200, applied=True),
)


@pytest.mark.parametrize("case", WECHAT_MESSAGES)
def test_a_signed_wechat_notify_of_an_odd_shape_is_refused_in_wechats_form(payments, pay_fakes, case):
    fake = pay_fakes["wechat"]
    order = opened(payments, "wechat")
    before = money(order.id)
    message = {"event_type": "TRANSACTION.SUCCESS", "resource": wechat_paid(fake, order)}
    case.change(message)
    body = wechat_body(fake, message["resource"], message["event_type"], "transaction", **message.get("extra", {}))
    status, answered = wechat_send(payments, fake, body)
    if case.applied:
        assert (status, money(order.id)[0]) == (200, "PAID")
        return
    assert_wechat_refusal(status, answered, case.status)
    assert money(order.id) == before


def test_a_signed_wechat_notify_for_another_customers_order_paying_on_alipay_pays_nothing(payments, pay_fakes):
    """The trade of an order with no WeChat trade (its customer pays with Alipay): 404, nothing paid."""
    fake = pay_fakes["wechat"]
    order, other = opened(payments, "wechat"), opened(payments, "alipay")
    before = money(other.id)
    resource = {**wechat_paid(fake, order), "out_trade_no": trade_of(other)}
    status, body = wechat_send(payments, fake, wechat_body(fake, resource, "TRANSACTION.SUCCESS", "transaction"))
    assert_wechat_refusal(status, body, 404)
    assert money(other.id) == before


@pytest.fixture
def refunding(payments, pay_fakes):
    """An order paid on WeChat (through its notify) with a partial refund of 500 fen still PROCESSING."""
    from paotui.orders import service as orders
    from paotui.payments import refunds

    fake = pay_fakes["wechat"]
    order = opened(payments, "wechat")
    fake.pay(trade_of(order), deliver=False)
    body = wechat_body(fake, wechat_paid(fake, order), "TRANSACTION.SUCCESS", "transaction")
    assert wechat_send(payments, fake, body)[0] == 200
    paid = orders.get_order(order.id)
    actors = orders.actors_for(paid, MERCHANT_OWNER)
    refund = refunds.refund_part(
        paid,
        actors,
        amount=500,
        reason="少送一份",
        key=f"refund-{uuid.uuid4().hex}",
        by="usr_owner",
        providers=payments[1],
    )
    assert refund.status == "PROCESSING"
    return paid, refund


def wechat_refunded(fake: FakeWechatPay, order: Any, refund: Any) -> dict[str, Any]:
    total = int(order.amounts.total)
    return {
        "mchid": fake.mchid,
        "out_trade_no": trade_of(order),
        "transaction_id": "4200002026112600000000000001",
        "out_refund_no": refund.id,
        "refund_id": "50300002026112600000000000001",
        "refund_status": "SUCCESS",
        "success_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
        "user_received_account": "支付用户零钱",
        "amount": {"total": total, "refund": 500, "payer_total": total, "payer_refund": 500},
    }


WECHAT_REFUNDS = table(
    Case("as sent", lambda r: None, 200, applied=True),
    Case("an extra field", setting(funds_account="AVAILABLE"), 200, applied=True),
    Case("refund negative", lambda r: r["amount"].update(refund=-500), 422),
    Case("refund not an integer", lambda r: r["amount"].update(refund=5.0), 401),
    Case("refund a string", lambda r: r["amount"].update(refund="500"), 401),
    Case("refund missing", dropping("amount"), 401),
    Case("refund unknown", setting(out_refund_no="rfd_" + secrets.token_hex(16)), 404),
    Case("refund empty", setting(out_refund_no=""), 401),
    Case("refund very long", setting(out_refund_no=LONG), 404),
    Case("refund a number", setting(out_refund_no=500)),
    Case("refund with a lone surrogate", setting(out_refund_no=SURROGATE)),
    Case("trade unknown", setting(out_trade_no=secrets.token_hex(16)), 404),
    Case("refund_status unknown", setting(refund_status="REFUNDED_TWICE"), 401),
    Case("refund_status still processing", setting(refund_status="PROCESSING"), 200),
    Case("refund_id a number", setting(refund_id=50300002026), 401),
    Case("mchid of another merchant", setting(mchid="1900000999"), 401),
)


@pytest.mark.parametrize("case", WECHAT_REFUNDS)
def test_a_signed_wechat_refund_notify_with_odd_content_settles_nothing_it_should_not(
    payments, pay_fakes, refunding, case
):
    fake = pay_fakes["wechat"]
    order, refund = refunding
    before = money(order.id)
    resource = wechat_refunded(fake, order, refund)
    case.change(resource)
    status, body = wechat_send(payments, fake, wechat_body(fake, resource, "REFUND.SUCCESS", "refund"))
    after = money(order.id)
    if case.applied:
        assert (status, after[2], after[3]) == (200, [(refund.id, "SUCCEEDED", 500)], 500)
        return
    if case.status == 200:
        assert json.loads(body)["code"] == "SUCCESS"
    else:
        assert_wechat_refusal(status, body, case.status)
    assert after == before


def test_a_wechat_refund_notify_out_of_order_or_repeated_settles_once(payments, pay_fakes, refunding):
    """CLOSED (failed) first, then SUCCESS, then CLOSED again: the first word holds, the amount given back once."""
    fake = pay_fakes["wechat"]
    order, refund = refunding
    for refund_status in ("CLOSED", "SUCCESS", "CLOSED", "PROCESSING"):
        resource = {**wechat_refunded(fake, order, refund), "refund_status": refund_status}
        assert wechat_send(payments, fake, wechat_body(fake, resource, f"REFUND.{refund_status}", "refund"))[0] == 200
    status, payments_, refunds_, refunded = money(order.id)
    assert (status, refunds_, refunded) == ("PAID", [(refund.id, "FAILED", 500)], 0)
    from paotui.payments.service import payments_of

    assert [int(p.refunded) for p in payments_of(order.id)] == [0]


def alipay_paid(fake: FakeAlipay, order: Any) -> dict[str, str]:
    now = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    total = f"{int(order.amounts.total) // 100}.{int(order.amounts.total) % 100:02d}"
    return {
        "gmt_create": now,
        "charset": "utf-8",
        "notify_type": "trade_status_sync",
        "notify_time": now,
        "notify_id": uuid.uuid4().hex,
        "trade_status": "TRADE_SUCCESS",
        "app_id": fake.app_id,
        "auth_app_id": fake.app_id,
        "seller_id": fake.seller_id,
        "gmt_payment": now,
        "version": "1.0",
        "out_trade_no": trade_of(order),
        "total_amount": total,
        "receipt_amount": total,
        "trade_no": "2026112622001400000000000001",
        "buyer_id": "2088102177846880",
        "sign_type": "RSA2",
    }


def alipay_send(payments, fake: FakeAlipay, fields: dict[str, str]) -> tuple[int, str]:
    fields = {**fields, "sign": rsa2_sign(fake.alipay_key, sign_content(fields, exclude=("sign", "sign_type")))}
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    return notify(payments, "alipay", headers, urlencode(fields).encode())


ALIPAY_PAYMENTS = table(
    Case("as sent", lambda f: None, 200, applied=True),
    Case("an extra field", setting(passback_params="a%3D1", voucher_detail_list="[]"), 200, applied=True),
    Case("amount negative", setting(total_amount="-25.90"), 401),
    Case("amount zero", setting(total_amount="0.00"), 422),
    Case("amount huge", setting(total_amount="9" * 40 + ".00"), 422),
    Case("amount with three decimals", setting(total_amount="25.901"), 401),
    Case("amount in exponent form", setting(total_amount="2.59e1"), 401),
    Case("amount not a number", setting(total_amount="twenty"), 401),
    Case("amount missing", dropping("total_amount"), 401),
    Case("trade unknown", setting(out_trade_no=secrets.token_hex(16)), 404),
    Case("trade very long", setting(out_trade_no=LONG), 404),
    Case("trade with NUL", setting(out_trade_no="\x00" * 32), 404),
    Case("trade missing", dropping("out_trade_no"), 401),
    Case("trade_status unknown", setting(trade_status="TRADE_PAID_TWICE"), 401),
    Case("trade_status waiting", setting(trade_status="WAIT_BUYER_PAY"), 200),
    Case("gmt_payment at the calendar's start", setting(gmt_payment="0001-01-01 00:00:00"), 401),
    Case("gmt_payment at the calendar's end", setting(gmt_payment="9999-12-31 23:59:59"), 200, applied=True),
    Case("gmt_payment unparsable", setting(gmt_payment="2026-13-45 25:61:61"), 401),
    Case("app_id of another app", setting(app_id="2021000000000999"), 401),
    Case("refund of an unknown refund", setting(out_biz_no="rfd_unknown", refund_fee="1.00"), 404),
    Case("refund with a very long refund id", setting(out_biz_no=LONG, refund_fee="1.00"), 404),
)


@pytest.mark.parametrize("case", ALIPAY_PAYMENTS)
def test_a_signed_alipay_notify_with_odd_content_is_refused_in_alipays_form(payments, pay_fakes, case):
    fake = pay_fakes["alipay"]
    order = opened(payments, "alipay")
    before = money(order.id)
    fields = alipay_paid(fake, order)
    case.change(fields)
    status, body = alipay_send(payments, fake, fields)

    def refused_in_alipays_form() -> None:
        assert_refused_in_form(status, case.status)
        assert body == "fail"

    assert_payment_judged(case, status, body == "success", before, money(order.id), refused_in_alipays_form)


# --- Dada's callbacks -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dada(env):
    """The Dada fake (its app in DadaSecret) and CarriersApi's handler; callbacks are sent to the handler here."""
    from paotui.platform.settings import get_settings

    with FakeDada() as fake:
        arn = boto3.client("secretsmanager").create_secret(Name="dada-content", SecretString=fake.secret_json())
        env.setenv("DADA_SECRET_ARN", arn["ARN"])
        get_settings.cache_clear()
        yield fake, load_handler("CarriersApi")


@pytest.fixture(scope="module")
def dada_shop(dada) -> tuple[Any, Any]:
    """A merchant delivering by Dada from Dada's test shop."""
    merchant, (product,) = merchant_with_products(10**6)
    delivering_by_dada(merchant)
    return merchant, product


@pytest.fixture
def handed_over(dada, dada_shop) -> Any:
    """A confirmed order of the Dada shop's, handed over to the fake."""
    from paotui.dispatch import events
    from paotui.orders import service
    from paotui.platform.events import DomainEvent

    merchant, product = dada_shop
    order, _ = service.place_order(CUSTOMER.user_id, f"key-{uuid.uuid4().hex}", order_request(merchant, (product, 1)))
    service.system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="paid")
    order = service.system_transition(order.id, Status.CONFIRMED, expected={Status.PAID}, reason="confirmed")
    events.handle(DomainEvent.model_validate_json(order_event(order, "CONFIRMED", "PAID")))
    assert order.id in dada[0].orders
    return service.get_order(order.id)


def carrier_state(order_id: str) -> tuple[Any, ...]:
    from paotui.orders.service import get_order

    order = get_order(order_id)
    record = order.carrier
    return (
        order.status,
        len(order.timeline),
        record.status,
        record.seen_at,
        record.position.lat if record.position else None,
        record.exception.code if record.exception else None,
    )


def dada_send(dada, body: Any) -> tuple[int, Any]:
    event = api_event("POST", "/carriers/dada/callback")
    event["body"] = json.dumps(body)
    response = dada[1](event, LAMBDA_CONTEXT)
    return response["statusCode"], json.loads(response.get("body") or "null")


def resigned(body: dict[str, Any]) -> None:
    """Sign as Dada does (the MD5 of three fields, no secret); lone surrogates as their code points."""
    fields = sorted(str(body.get(name) or "") for name in ("client_id", "order_id", "update_time"))
    body["signature"] = hashlib.md5("".join(fields).encode("utf-8", "surrogatepass")).hexdigest()


def plain_order_id() -> str:
    """Another merchant's order, one its own riders deliver: never given to Dada."""
    order, _ = placed_order(f"key-{uuid.uuid4().hex}", 1)
    return order.id


DADA_CALLBACKS = table(
    Case("as sent", lambda b: None, 200, applied=True),
    Case("an extra field", setting(dm_rating=5.0, tags=["快"]), 200, applied=True),
    Case("order_status unknown", setting(order_status=999), 200, applied=True),
    Case("order_status a string", setting(order_status="delivered"), 422),
    Case("order_status missing", dropping("order_status"), 422),
    Case("update_time at the epoch's end", setting(update_time=2**63), 200, applied=True),
    Case("update_time unparsable", setting(update_time="yesterday"), 422),
    Case("order unknown", setting(order_id="ord_" + secrets.token_hex(16)), 404),
    Case("order of another merchant, not given to Dada", lambda b: b.update(order_id=plain_order_id()), 404),
    Case("order id very long", setting(order_id=LONG), 422),
    Case("order id with NUL", setting(order_id="ord_\x00"), 422),  # no text of ours holds a control character
    Case("order id a lone surrogate", setting(order_id="ord_" + SURROGATE), None),
    Case("client_id a lone surrogate", setting(client_id=SURROGATE), 422),
    Case("client_id too long for the order to hold", setting(client_id="9" * 420_000), 422),  # DynamoDB's 400 KB
    Case("cancel_reason very long", setting(cancel_reason=LONG), 200, applied=True),
)


@pytest.mark.parametrize("case", DADA_CALLBACKS)
def test_a_signed_dada_callback_with_odd_content_changes_nothing_dada_did_not_say(dada, handed_over, case):
    fake, _ = dada
    notice = json.loads(fake.move(handed_over.id, 2).body)  # Dada's rider took it (待取货)
    before = carrier_state(handed_over.id)
    case.change(notice)
    resigned(notice)
    status, body = dada_send(dada, notice)
    after = carrier_state(handed_over.id)
    if case.applied:  # a notice only: what Dada's status query says is followed
        assert (status, body, after[0]) == (200, {"status": "ok"}, "ASSIGNED")
        return
    assert_refused_in_form(status, case.status)
    assert set(body["error"]) >= {"code", "message", "details"}
    assert after == before


DADA_ANSWERS = table(
    Case("status unknown", setting(statusCode=999, statusMsg="新状态"), 200),
    Case("status behind ours", setting(statusCode=1, statusMsg="待接单"), 200),
    Case("status not a number", setting(statusCode="配送中"), 502),
    Case("rider position not a number", setting(transporterLat="nan", transporterLng="nan"), 200),  # no position
)


@pytest.mark.parametrize("case", DADA_ANSWERS)
def test_dadas_odd_status_answer_to_a_signed_callback_moves_nothing(dada, handed_over, case):
    """A callback is only a notice; what moves the order is Dada's status query, and an odd answer moves nothing."""
    fake, _ = dada
    notice = json.loads(fake.move(handed_over.id, 2).body)
    assert dada_send(dada, notice)[0] == 200
    before = carrier_state(handed_over.id)
    answer_as_dada = fake._status_query

    def odd_answer(body: dict[str, Any]) -> dict[str, Any]:
        result = answer_as_dada(body)
        case.change(result)
        return result

    fake._status_query = odd_answer
    try:
        status, body = dada_send(dada, notice)
    finally:
        del fake._status_query
    after = carrier_state(handed_over.id)
    assert status == case.status  # 502: Dada failing, so it calls again
    assert after[:2] == before[:2] if status == 200 else after == before
    assert all(value == value for value in after), "no NaN is stored (DynamoDB would refuse it)"


# --- Ele.me's pushes ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eleme(env):
    """The Ele.me app (in ElemeSecret) and ChannelsApi's handler."""
    from paotui.platform.settings import get_settings

    with FakeEleme() as fake:
        arn = boto3.client("secretsmanager").create_secret(Name="eleme-content", SecretString=fake.secret_json())
        env.setenv("ELEME_SECRET_ARN", arn["ARN"])
        get_settings.cache_clear()
        yield fake, load_handler("ChannelsApi")


@pytest.fixture(scope="module")
def bound_shop(eleme):
    """A merchant with two products and an Ele.me shop bound to it."""
    from paotui.orders import bindings

    merchant, products = merchant_with_products(10**6, 10**6)
    shop_id = "968861"
    bindings.bind_shop("eleme", shop_id, merchant.id, by="usr_support", proof=bindings.ADMIN)
    return merchant, products, shop_id


def eleme_order(fake: FakeEleme, products: list[Any], shop_id: str) -> dict[str, Any]:
    item = {"extend_code": products[0].id, "quantity": 2, "price": int(products[0].price)}
    return fake.order_message(shop_id, [item], HOME, deliver_fee=500)


def eleme_send(eleme, kind: Any, message: Any, shop_id: str, **top: Any) -> tuple[int, Any]:
    """A push signed as Ele.me signs it (lone surrogates as their code points), through ChannelsApi's handler."""
    fake, handler = eleme
    push = {
        "requestId": secrets.token_hex(8),
        "type": kind,
        "appId": int(fake.app_id),
        "message": message if isinstance(message, str) else json.dumps(message),
        "shopId": int(shop_id),
        "timestamp": int(time.time() * 1000),
        "userId": 62864532,
        **top,
    }
    pairs = sorted(f"{key}={_plain(value)}" for key, value in push.items())
    signed = ("".join(pairs) + fake.secret).encode("utf-8", "surrogatepass")
    push["signature"] = hashlib.md5(signed).hexdigest().upper()
    event = api_event("POST", "/channels/eleme/push", headers={"Content-Type": "application/json;charset=utf-8"})
    event["body"] = json.dumps(push)
    response = handler(event, LAMBDA_CONTEXT)
    return response["statusCode"], json.loads(response.get("body") or "null")


def _plain(value: Any) -> str:
    from paotui.orders.eleme import plain

    return plain(value)


def taken(message: dict[str, Any]) -> str | None:
    """The status of our order for an Ele.me order, None if we have none."""
    from paotui.orders.channels import external_order_id
    from paotui.orders.service import get_order
    from paotui.platform.errors import NotFound

    try:
        return get_order(external_order_id("eleme", str(message["id"]))).status
    except NotFound:
        return None


def stock(products: list[Any]) -> list[tuple[int, int, int]]:
    return [stock_of(product) for product in products]


def item(change: Change) -> Change:
    return lambda message: change(message["groups"][0]["items"][0])


def other_merchants_product(message: dict[str, Any]) -> None:
    _, (product,) = merchant_with_products(10)
    message["groups"][0]["items"][0]["extendCode"] = product.id


ELEME_ORDERS = table(
    Case("as sent", lambda m: None, 200, applied=True),
    Case("an extra field", setting(invoice="个人", activities=[{"id": 1}]), 200, applied=True),
    Case("totalPrice negative", setting(totalPrice=-42.9), 422),
    Case("totalPrice huge", setting(totalPrice=int("9" * 40)), 422),
    Case("totalPrice a word", setting(totalPrice="forty"), 422),
    Case("totalPrice missing", dropping("totalPrice"), 422),
    Case("deliverFee a list", setting(deliverFee=[5]), 422),
    Case("quantity zero", item(setting(quantity=0)), 422),
    Case("quantity negative", item(setting(quantity=-2)), 422),
    Case("quantity huge", item(setting(quantity=10**40)), None),
    Case("quantity not an integer", item(setting(quantity=1.5)), 422),
    Case("price negative", item(setting(price=-18.9)), 422),
    Case("item unknown", item(setting(extendCode="prd_unknown")), 422),
    Case("item of another merchant", other_merchants_product, 422),
    Case("order id missing", dropping("id"), 422),
    Case("order id very long", setting(id=LONG), 422),
    Case("shop not bound", setting(shopId=1), None),
    Case("deliveryGeo not a number", setting(deliveryGeo="nan,nan"), 422),
    Case("deliveryGeo infinite", setting(deliveryGeo="1e999,31.2"), 422),
    Case("deliverTime at the calendar's start", setting(deliverTime="0001-01-01T00:00:00"), 422),
    Case(
        "deliverTime at the calendar's start, with a zone",
        setting(deliverTime="0001-01-01T00:00:00+14:00"),
        422,
    ),
    Case("deliverTime at the calendar's end", setting(deliverTime="9999-12-31T23:59:59"), 422),
    Case("deliverTime unparsable", setting(deliverTime="tonight"), 422),
    Case("phoneList empty", setting(phoneList=[]), 422),
    Case("consignee very long", setting(consignee=LONG), 422),
    Case("description very long", setting(description=LONG), 422),
    Case("description with NUL", setting(description="少辣\x00"), 422),  # nor would the merchant's ticket
    Case("groups empty", setting(groups=[]), 422),
    Case("onlinePaid a word", setting(onlinePaid="maybe"), 422),
)


@pytest.mark.parametrize("case", ELEME_ORDERS)
def test_a_signed_eleme_order_push_with_odd_content_takes_nothing(eleme, bound_shop, case):
    _, products, shop_id = bound_shop
    message = eleme_order(eleme[0], products, shop_id)
    held = stock(products)
    case.change(message)
    status, body = eleme_send(eleme, 10, message, shop_id)
    if case.applied:
        assert (status, body, taken(message)) == (200, {"message": "ok"}, "PAID")
        return
    assert_refused_in_form(status, case.status)
    assert set(body["error"]) >= {"code", "message", "details"}
    assert stock(products) == held  # intake holds stock in the order's transaction: no hold, no order


ELEME_PUSHES = table(
    Case("type unknown", setting(type=99), 200),
    Case("type a word", setting(type="new"), 422),
    Case("type null", setting(type=None), 422),
    Case("message not JSON", setting(message="{not json"), 422),
    Case("message a JSON array", setting(message="[]"), 422),
    Case("an extra top-level field", setting(extra="x"), 200, applied=True),
    Case("requestId a lone surrogate", setting(requestId=SURROGATE), 422),
)


@pytest.mark.parametrize("case", ELEME_PUSHES)
def test_a_signed_eleme_push_of_an_odd_shape_takes_nothing(eleme, bound_shop, case):
    _, products, shop_id = bound_shop
    order = eleme_order(eleme[0], products, shop_id)
    top = {"type": 10, "message": json.dumps(order)}
    case.change(top)
    kind, message = top.pop("type"), top.pop("message")
    status, body = eleme_send(eleme, kind, message, shop_id, **top)
    if case.applied:
        assert (status, taken(order)) == (200, "PAID")
        return
    if case.status == 200:
        assert body == {"message": "ok"}
    else:
        assert_refused_in_form(status, case.status)
    assert taken(order) is None


ELEME_CANCELLATIONS = table(
    Case("as sent", lambda m: None, 200, applied=True),
    Case("repeated", lambda m: None, 200, applied=True),
    Case("reason very long", setting(reason=LONG), 200, applied=True),
    Case("role unknown", setting(role=77), 200, applied=True),
    Case("role a list", setting(role=[1]), 200, applied=True),
    Case("role an object", setting(role={"who": 1}), 200, applied=True),
    Case("order id missing", dropping("orderId"), 422),
    Case("order id a list", setting(orderId=[]), 422),
    Case("order id very long", setting(orderId=LONG), 422),
)


@pytest.mark.parametrize("case", ELEME_CANCELLATIONS)
def test_a_signed_eleme_cancellation_with_odd_content_cancels_only_its_order(eleme, bound_shop, case):
    _, products, shop_id = bound_shop
    order = eleme_order(eleme[0], products, shop_id)
    assert eleme_send(eleme, 10, order, shop_id)[0] == 200
    message = {"orderId": order["id"], "state": "invalid", "shopId": int(shop_id), "updateTime": 1764122400}
    message["role"] = 1
    case.change(message)
    sends = 2 if case.name == "repeated" else 1
    answers = [eleme_send(eleme, 14, message, shop_id) for _ in range(sends)]
    if case.applied:
        assert (answers, taken(order)) == ([(200, {"message": "ok"})] * sends, "CANCELLED")
        return
    status, body = answers[0]
    assert_refused_in_form(status, case.status)
    assert taken(order) == "PAID"
