"""Provider signatures, verified without a network: only our provider's fresh, untampered callbacks pass.

WeChat Pay v3: RSA-SHA256 over ``timestamp\\nnonce\\nbody\\n`` with the
platform public key, five minutes' freshness, AES-256-GCM resources under the
APIv3 key; the merchant's ``Authorization`` and JSAPI ``paySign``. Alipay:
RSA2 over the sorted ``k=v&...`` (``sign``/``sign_type`` and empty values
left out for notifies), response signatures over the raw response object,
yuan → fen without floats.
"""

import base64
import json
import time
from urllib.parse import parse_qsl, urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from wechatpayv3.utils import build_authorization

from paotui.payments import alipay
from paotui.payments.alipay import AlipayConfig, AlipayProvider
from paotui.payments.providers import PaymentState, RefundState
from paotui.platform.money import fen_to_yuan, yuan_to_fen
from paotui.payments.wechatpay import WeChatPayConfig, WeChatPayProvider
from paotui.platform.errors import Unauthorized
from paotui_local.fakes import generate_key, private_pem, public_pem
from paotui_local.fakes.wechatpay import encrypt_resource, signed_headers, verify_authorization

MERCHANT_KEY = generate_key()
PLATFORM_KEY = generate_key()
OTHER_KEY = generate_key()
APIV3_KEY = "0123456789abcdef0123456789abcdef"
PUBLIC_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"
WECHAT = WeChatPayConfig(
    appid="wx8888888888888888",
    mchid="1900000109",
    merchant_private_key=private_pem(MERCHANT_KEY),
    merchant_serial_no="444F4864EA9B34415",
    apiv3_key=APIV3_KEY,
    platform_public_key=public_pem(PLATFORM_KEY),
    platform_public_key_id=PUBLIC_KEY_ID,
    base_url="http://127.0.0.1:9",  # nothing here may touch the network
)
TRANSACTION = {
    "mchid": "1900000109",
    "appid": "wx8888888888888888",
    "out_trade_no": "pay_1",
    "transaction_id": "4200000000000000000000000001",
    "trade_type": "JSAPI",
    "trade_state": "SUCCESS",
    "success_time": "2026-01-01T08:30:00+08:00",
    "payer": {"openid": "o1"},
    "amount": {"total": 2590, "payer_total": 2090, "currency": "CNY", "payer_currency": "CNY"},
}
REFUND = {
    "mchid": "1900000109",
    "out_trade_no": "pay_1",
    "transaction_id": "4200000000000000000000000001",
    "out_refund_no": "ref_1",
    "refund_id": "50000000000000000000000000001",
    "refund_status": "SUCCESS",
    "success_time": "2026-01-01T09:00:00+08:00",
    "amount": {"total": 2590, "refund": 1000, "payer_total": 2590, "payer_refund": 1000},
}


def wechat_notify(
    resource=None,
    *,
    event_type="TRANSACTION.SUCCESS",
    key=PLATFORM_KEY,
    apiv3_key=APIV3_KEY,
    associated_data="transaction",
    timestamp=None,
):
    plaintext = json.dumps(resource or TRANSACTION, separators=(",", ":"))
    body = json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2026-01-01T08:30:01+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": {"original_type": "transaction", **encrypt_resource(apiv3_key, plaintext, associated_data)},
        },
        ensure_ascii=False,
    ).encode()
    return signed_headers(key, PUBLIC_KEY_ID, body, timestamp=timestamp), body


def refused(provider, headers, body) -> Unauthorized:
    with pytest.raises(Unauthorized) as refusal:
        provider.parse_notify(headers, body)
    return refusal.value


@pytest.fixture(scope="module")
def wechat():
    return WeChatPayProvider(WECHAT)


# -- WeChat Pay callbacks


def test_wechat_signed_notify_is_verified_decrypted_and_parsed(wechat):
    payment = wechat.parse_notify(*wechat_notify())
    assert payment.payment_id == "pay_1"
    assert payment.provider_txn_id == "4200000000000000000000000001"
    assert payment.amount == 2590  # the trade's total, not payer_total after a coupon
    assert payment.state is PaymentState.SUCCEEDED
    assert payment.paid_at == "2026-01-01T00:30:00.000Z"


def test_wechat_header_names_are_case_insensitive(wechat):
    headers, body = wechat_notify()
    assert wechat.parse_notify({k.lower(): v for k, v in headers.items()}, body).amount == 2590
    assert wechat.parse_notify({k.upper(): v for k, v in headers.items()}, body).amount == 2590


def test_wechat_tampered_body_is_rejected(wechat):
    headers, body = wechat_notify()
    forged = json.dumps({**json.loads(body), "event_type": "REFUND.SUCCESS"}, ensure_ascii=False).encode()
    assert refused(wechat, headers, forged).code == "INVALID_SIGNATURE"
    assert refused(wechat, headers, body + b" ").code == "INVALID_SIGNATURE"


def test_wechat_notify_signed_by_another_key_is_rejected(wechat):
    assert refused(wechat, *wechat_notify(key=OTHER_KEY)).code == "INVALID_SIGNATURE"


def test_wechat_bad_signature_encoding_is_rejected(wechat):
    headers, body = wechat_notify()
    assert refused(wechat, {**headers, "Wechatpay-Signature": "not base64!"}, body).code == "INVALID_SIGNATURE"


@pytest.mark.parametrize("offset", [-301, 301])
def test_wechat_stale_or_future_notify_is_rejected(wechat, offset):
    error = refused(wechat, *wechat_notify(timestamp=str(int(time.time()) + offset)))
    assert error.code == "INVALID_SIGNATURE"
    assert error.details == {"reason": "stale"}


def test_wechat_notify_within_five_minutes_is_accepted(wechat):
    assert wechat.parse_notify(*wechat_notify(timestamp=str(int(time.time()) - 290))).amount == 2590


def test_wechat_unknown_serial_is_rejected_without_fetching_certificates(wechat):
    headers, body = wechat_notify()
    error = refused(wechat, {**headers, "Wechatpay-Serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"}, body)
    assert error.details == {"reason": "serial"}


@pytest.mark.parametrize(
    "missing", ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"]
)
def test_wechat_unsigned_notify_is_rejected(wechat, missing):
    headers, body = wechat_notify()
    del headers[missing]
    assert refused(wechat, headers, body).code == "INVALID_SIGNATURE"


def test_wechat_other_signature_type_is_rejected(wechat):
    headers, body = wechat_notify()
    assert refused(wechat, {**headers, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}, body).code == (
        "INVALID_SIGNATURE"
    )


def test_wechat_refund_resource_decrypts_with_the_apiv3_key(wechat):
    refund = wechat.parse_notify(*wechat_notify(REFUND, event_type="REFUND.SUCCESS", associated_data="refund"))
    assert refund.refund_id == "ref_1"
    assert refund.payment_id == "pay_1"
    assert refund.provider_refund_id == "50000000000000000000000000001"
    assert refund.amount == 1000
    assert refund.state is RefundState.SUCCEEDED


def test_wechat_abnormal_refund_is_failed(wechat):
    abnormal = {**REFUND, "refund_status": "ABNORMAL"}
    assert wechat.parse_notify(*wechat_notify(abnormal, event_type="REFUND.ABNORMAL")).state is RefundState.FAILED


def test_wechat_resource_under_another_apiv3_key_is_rejected(wechat):
    error = refused(wechat, *wechat_notify(apiv3_key="fedcba9876543210fedcba9876543210"))
    assert error.code == "INVALID_SIGNATURE"


def test_wechat_aes_gcm_authenticates_the_associated_data(wechat):
    headers, body = wechat_notify()
    message = json.loads(body)
    message["resource"]["associated_data"] = "refund"  # re-signed by the platform, but GCM's tag no longer matches
    body = json.dumps(message).encode()
    headers = signed_headers(PLATFORM_KEY, PUBLIC_KEY_ID, body)
    assert refused(wechat, headers, body).code == "INVALID_SIGNATURE"


def test_wechat_notify_for_another_merchant_is_refused(wechat):
    assert refused(wechat, *wechat_notify({**TRANSACTION, "mchid": "1900000001"})).code == "INVALID_NOTIFICATION"


def test_wechat_reply_shapes(wechat):
    assert wechat.reply(True).status == 200
    failed = wechat.reply(False)
    assert failed.status >= 400 and json.loads(failed.body)["code"] == "FAIL"


# -- WeChat Pay requests and client parameters


def test_wechat_authorization_from_the_sdk_verifies_as_wechat_checks_it():
    body = json.dumps({"mchid": "1900000109"})
    path = "/v3/pay/transactions/out-trade-no/pay_1/close"
    authorization = build_authorization(path, "POST", "1900000109", "444F4864EA9B34415", MERCHANT_KEY, data=body)
    check = {"mchid": "1900000109", "serial_no": "444F4864EA9B34415", "public_key": MERCHANT_KEY.public_key()}
    assert verify_authorization(authorization, "POST", path, body.encode(), **check) is None
    assert verify_authorization(authorization, "POST", path, b'{"mchid":"1"}', **check) == "signature does not verify"
    assert verify_authorization(authorization, "POST", path + "x", body.encode(), **check) is not None
    assert verify_authorization(authorization, "POST", path, body.encode(), **check, now=time.time() + 400) == (
        "timestamp out of range"
    )
    stranger = build_authorization(path, "POST", "1900000109", "444F4864EA9B34415", OTHER_KEY, data=body)
    assert verify_authorization(stranger, "POST", path, body.encode(), **check) == "signature does not verify"


def test_wechat_jsapi_pay_sign_is_the_merchant_signature(wechat):
    params = wechat.jsapi_params("wx201410272009395522657a690389285100")
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100"
    assert params["signType"] == "RSA"
    message = "\n".join([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]) + "\n"
    MERCHANT_KEY.public_key().verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_wechat_config_from_secret_refuses_unknown_keys_and_short_apiv3_key():
    secret = {
        "appid": "wx1",
        "mchid": "1",
        "merchant_private_key": "k",
        "merchant_serial_no": "s",
        "apiv3_key": APIV3_KEY,
        "platform_public_key": "p",
        "platform_public_key_id": PUBLIC_KEY_ID,
    }
    assert WeChatPayConfig.from_secret(json.dumps(secret)).base_url == "https://api.mch.weixin.qq.com"
    with pytest.raises(ValueError):
        WeChatPayConfig.from_secret(json.dumps({**secret, "base_ur": "x"}))
    with pytest.raises(ValueError):
        WeChatPayConfig.from_secret(json.dumps({**secret, "apiv3_key": "short"}))
    assert "BEGIN" not in repr(WECHAT) and APIV3_KEY not in repr(WECHAT)


# -- Alipay

ALIPAY_KEY = generate_key()
APP_KEY = generate_key()
ALIPAY = AlipayConfig(
    app_id="2021000000000001",
    app_private_key=private_pem(APP_KEY),
    alipay_public_key=public_pem(ALIPAY_KEY),
    gateway_url="http://127.0.0.1:9/gateway.do",
    seller_id="2088000000000001",
)
PAID = {
    "notify_time": "2026-01-01 08:30:05",
    "notify_type": "trade_status_sync",
    "notify_id": "ac05099524730693a8b330c5ecf72da9786",
    "app_id": "2021000000000001",
    "charset": "utf-8",
    "version": "1.0",
    "trade_no": "2026010122001400000000000001",
    "out_trade_no": "pay_1",
    "buyer_id": "2088102122524333",
    "seller_id": "2088000000000001",
    "trade_status": "TRADE_SUCCESS",
    "total_amount": "25.90",
    "receipt_amount": "25.90",
    "subject": "跑腿订单",
    "body": "",
    "gmt_create": "2026-01-01 08:29:00",
    "gmt_payment": "2026-01-01 08:30:00",
}


def alipay_notify(fields=None, *, key=ALIPAY_KEY):
    fields = dict(fields or PAID)
    fields["sign_type"] = "RSA2"
    fields["sign"] = alipay.rsa2_sign(key, alipay.sign_content(fields, exclude=("sign", "sign_type")))
    return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, urlencode(fields).encode()


@pytest.fixture(scope="module")
def ali():
    return AlipayProvider(ALIPAY)


def test_alipay_sign_content_is_sorted_and_skips_sign_and_empty_values():
    params = {"b": "2", "a": "1 +&", "sign": "x", "sign_type": "RSA2", "c": ""}
    assert alipay.sign_content(params) == "a=1 +&&b=2&sign_type=RSA2"
    assert alipay.sign_content(params, exclude=("sign", "sign_type")) == "a=1 +&&b=2"


def test_alipay_signed_notify_is_verified_and_parsed(ali):
    payment = ali.parse_notify(*alipay_notify())
    assert payment.payment_id == "pay_1"
    assert payment.provider_txn_id == "2026010122001400000000000001"
    assert payment.amount == 2590
    assert payment.state is PaymentState.SUCCEEDED
    assert payment.paid_at == "2026-01-01T00:30:00.000Z"  # Beijing time → UTC


def test_alipay_tampered_amount_is_rejected(ali):
    headers, body = alipay_notify()
    fields = dict(parse_qsl(body.decode()))
    fields["total_amount"] = "0.01"
    assert refused(ali, headers, urlencode(fields).encode()).code == "INVALID_SIGNATURE"


def test_alipay_notify_signed_by_another_key_is_rejected(ali):
    assert refused(ali, *alipay_notify(key=OTHER_KEY)).code == "INVALID_SIGNATURE"


def test_alipay_unsigned_or_garbled_notify_is_rejected(ali):
    _, body = alipay_notify()
    fields = dict(parse_qsl(body.decode()))
    del fields["sign"]
    assert refused(ali, {}, urlencode(fields).encode()).code == "INVALID_SIGNATURE"
    assert refused(ali, {}, b"\xff\xfe").code == "INVALID_SIGNATURE"
    assert refused(ali, {}, body + b"&sign=again").code == "INVALID_SIGNATURE"


def test_alipay_sign_type_is_not_part_of_the_signed_notify_content(ali):
    headers, body = alipay_notify()
    fields = dict(parse_qsl(body.decode()))
    del fields["sign_type"]  # as the notify verification leaves it out, its absence changes nothing
    assert ali.parse_notify(headers, urlencode(fields).encode()).amount == 2590


def test_alipay_notify_for_another_app_or_seller_is_refused(ali):
    assert refused(ali, *alipay_notify({**PAID, "app_id": "2021000000000002"})).code == "INVALID_NOTIFICATION"
    assert refused(ali, *alipay_notify({**PAID, "seller_id": "2088000000000002"})).code == "INVALID_NOTIFICATION"


def test_alipay_refund_notify_is_a_refund(ali):
    refund_fields = {**PAID, "out_biz_no": "ref_1", "refund_fee": "10.00", "gmt_refund": "2026-01-01 09:00:00.123"}
    refund = ali.parse_notify(*alipay_notify(refund_fields))
    assert (refund.refund_id, refund.payment_id, refund.amount, refund.state) == (
        "ref_1",
        "pay_1",
        1000,
        RefundState.SUCCEEDED,
    )


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [("0.01", 1), ("0.1", 10), ("25.9", 2590), ("25.90", 2590), ("100", 10000), ("1234567.89", 123456789)],
)
def test_yuan_to_fen_is_exact(yuan, fen):
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("text", ["1.005", "-1.00", "1e3", "", "01.00", "1.", ".5", "NaN", "1,00"])
def test_yuan_to_fen_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


def test_fen_to_yuan():
    assert [fen_to_yuan(v) for v in (0, 1, 10, 2590, 123456789)] == ["0.00", "0.01", "0.10", "25.90", "1234567.89"]
    with pytest.raises(ValueError):
        fen_to_yuan(-1)


def test_alipay_response_signature_covers_the_raw_response_object():
    node = '{ "code":"10000", "msg":"Success","out_trade_no":"pay_1", "qr_code":"https://qr.alipay.com/bax1" }'
    body = f'{{"alipay_trade_precreate_response" : {node} ,"sign":"{alipay.rsa2_sign(ALIPAY_KEY, node)}"}}'
    text, signature = alipay.response_node(body, "alipay.trade.precreate")
    assert text == node
    assert alipay.rsa2_verify(ALIPAY_KEY.public_key(), text, signature)
    assert not alipay.rsa2_verify(ALIPAY_KEY.public_key(), text.replace("pay_1", "pay_2"), signature)
    assert not alipay.rsa2_verify(OTHER_KEY.public_key(), text, signature)
    assert alipay.response_node('{"error_response":{"code":"40002"}}', "alipay.trade.query") == ('{"code":"40002"}', "")


def test_alipay_keys_load_as_pem_or_bare_base64_pkcs8_or_pkcs1():
    def bare(pem: str) -> str:
        return "".join(line for line in pem.splitlines() if not line.startswith("-----"))

    pkcs1 = APP_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    for text in (private_pem(APP_KEY), bare(private_pem(APP_KEY)), pkcs1, bare(pkcs1)):
        assert alipay.load_private_key(text).private_numbers() == APP_KEY.private_numbers()
    for text in (public_pem(APP_KEY), bare(public_pem(APP_KEY))):
        assert alipay.load_public_key(text).public_numbers() == APP_KEY.public_key().public_numbers()


def test_alipay_requests_are_signed_over_every_parameter_in_beijing_time(ali):
    params = ali.signed_params("alipay.trade.query", {"out_trade_no": "pay_1"}, notify_url="https://x/n")
    signature = params.pop("sign")
    assert alipay.rsa2_verify(APP_KEY.public_key(), alipay.sign_content(params), signature)
    assert params["sign_type"] == "RSA2" and params["biz_content"] == '{"out_trade_no":"pay_1"}'
    sent = alipay.datetime.strptime(params["timestamp"], alipay.TIME_FORMAT).replace(tzinfo=alipay.BEIJING)
    assert abs(sent.timestamp() - time.time()) < 5


def test_alipay_reply_shapes(ali):
    assert (ali.reply(True).content_type, ali.reply(True).body) == ("text/plain", "success")
    assert ali.reply(False).body == "fail"
