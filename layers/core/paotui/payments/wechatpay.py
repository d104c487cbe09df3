"""WeChat Pay API v3, JSAPI (the WeChat mini-program), through the ``wechatpayv3`` package.

Why: customers pay inside the WeChat mini-program, so the trade is a JSAPI
prepay whose ``prepay_id`` the mini-program hands to ``wx.requestPayment``.
``wechatpayv3`` (pinned) builds the merchant's ``Authorization`` signature,
verifies every 2xx response's platform signature and decrypts callbacks; this
adapter adds what it leaves out: freshness of callbacks, a strict check that a
callback is signed with *our* platform public key, money/time/state mapping,
and the error contract of ``providers.PaymentProvider``.

How: ``WeChatPayProvider(WeChatPayConfig.from_secret(text))``, built once per
container; the SDK client is created on first use and kept. We use the newer
"微信支付公钥" mode (platform public key + its id from the merchant platform),
so nothing is downloaded at start and the SDK never calls ``/v3/certificates``.
Callbacks are verified over the raw body (RSA-SHA256 over
``timestamp\\nnonce\\nbody\\n``), must be under five minutes old and must
name our public key id; the ``resource`` is AES-256-GCM decrypted with the
APIv3 key. Amounts are the trade's ``amount.total`` (what we asked for; the
same quantity as Alipay's ``total_amount``), not ``payer_total``, which is
lower when a WeChat coupon paid part of it.

Secret JSON (Secrets Manager)::

    {"appid": "wx…", "mchid": "1900000109",
     "merchant_private_key": "-----BEGIN PRIVATE KEY-----…",   # apiclient_key.pem
     "merchant_serial_no": "444F4864EA9B34415…",               # of the merchant API certificate
     "apiv3_key": "32 ASCII characters",
     "platform_public_key": "-----BEGIN PUBLIC KEY-----…",     # pub_key.pem, "微信支付公钥"
     "platform_public_key_id": "PUB_KEY_ID_0114…",
     "base_url": "https://api.mch.weixin.qq.com"}              # optional; the local fake's URL in tests
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import requests
from wechatpayv3 import WeChatPay, WeChatPayType

from paotui.payments.providers import (
    INVALID_SIGNATURE,
    NotifyReply,
    PaymentState,
    ProviderPayment,
    ProviderRefund,
    RefundState,
    refund_held_up,
    refund_not_found,
    refund_refused,
    unavailable,
)
from paotui.platform.clock import iso
from paotui.platform.secrets import config_from_secret
from paotui.platform.errors import Conflict, DomainError, NotFound, Unauthorized, Unprocessable

DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW_SECONDS = 300
CHINA = timezone(timedelta(hours=8), "CST")

_TRADE_STATES = {
    "SUCCESS": PaymentState.SUCCEEDED,
    "REFUND": PaymentState.SUCCEEDED,  # paid, then (partly) refunded: it was paid
    "NOTPAY": PaymentState.PENDING,
    "USERPAYING": PaymentState.PENDING,
    "ACCEPT": PaymentState.PENDING,
    "CLOSED": PaymentState.CLOSED,
    "REVOKED": PaymentState.CLOSED,
    "PAYERROR": PaymentState.FAILED,
}
_REFUND_STATES = {
    "SUCCESS": RefundState.SUCCEEDED,
    "PROCESSING": RefundState.PROCESSING,
    "CLOSED": RefundState.FAILED,
    "ABNORMAL": RefundState.FAILED,  # e.g. the payer's card was closed: needs a person
}
_REFUND_REFUSALS = {
    "USER_ACCOUNT_ABNORMAL",  # the payer's account is closed or frozen: WeChat Pay advises refunding another way
    "INVALID_REQUEST",  # the refund breaks WeChat Pay's rules: a trade over a year old, more than is left, ...
}
"""Refusals of a refund for good (``refund_refused``); NOT_ENOUGH (the merchant's balance is short until topped up)
holds it up (``refund_held_up``). Neither: FREQUENCY_LIMITED, SYSTEM_ERROR, and PARAM_ERROR, SIGN_ERROR or NO_AUTH
(our request or our account set-up, which a fix makes good): the caller sees the error, the sweep asks again."""


@dataclass(frozen=True)
class WeChatPayConfig:
    appid: str
    mchid: str
    merchant_private_key: str = field(repr=False)
    merchant_serial_no: str
    apiv3_key: str = field(repr=False)
    platform_public_key: str = field(repr=False)
    platform_public_key_id: str
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0
    """Seconds to wait for a response (connecting gets at most 5)."""

    def __post_init__(self) -> None:
        for name in ("appid", "mchid", "merchant_private_key", "merchant_serial_no", "platform_public_key"):
            if not getattr(self, name):
                raise ValueError(f"WeChat Pay config: {name} is required")
        if len(self.apiv3_key.encode()) != 32:
            raise ValueError("WeChat Pay config: apiv3_key must be 32 bytes (AES-256)")
        if not self.platform_public_key_id.startswith("PUB_KEY_ID_"):
            raise ValueError("WeChat Pay config: platform_public_key_id must be a 微信支付公钥 id (PUB_KEY_ID_…)")

    @classmethod
    def from_secret(cls, json_text: str) -> WeChatPayConfig:
        """From the Secrets Manager secret's JSON (keys in the module docstring); unknown keys are refused."""
        return config_from_secret(cls, json_text, "WeChat Pay")


class WeChatPayProvider:
    """``providers.PaymentProvider`` for WeChat Pay v3 JSAPI (mini-program) payments."""

    channel = "wechat"

    def __init__(self, config: WeChatPayConfig):
        self.config = config
        self._client: WeChatPay | None = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> WeChatPay:
        """The SDK client, built once (it parses the keys) and reused by every call."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._build_client()
        return self._client

    def _build_client(self) -> WeChatPay:
        config = self.config
        client = WeChatPay(
            wechatpay_type=WeChatPayType.MINIPROG,
            mchid=config.mchid,
            private_key=config.merchant_private_key,
            cert_serial_no=config.merchant_serial_no,
            appid=config.appid,
            apiv3_key=config.apiv3_key,
            timeout=(min(5.0, config.timeout), config.timeout),
            public_key=config.platform_public_key,
            public_key_id=config.platform_public_key_id,
        )
        # wechatpayv3 2.0.4 has no parameter for the API host: Core.__init__ hard-codes
        # ``self._gate_way = 'https://api.mch.weixin.qq.com'`` and every request is
        # ``requests.<method>(self._gate_way + path)``. Its ``proxy`` argument would need a
        # TLS-intercepting proxy for the real hostname, so the least hacky way to reach the
        # local fake is to set that one attribute (the SDK itself reads it as
        # ``self._core._gate_way`` in ``download_bill``). The version is pinned; if an upgrade
        # renames it we fail here rather than silently talking to production.
        core = client._core
        if not isinstance(getattr(core, "_gate_way", None), str):
            raise RuntimeError("wechatpayv3 no longer has Core._gate_way; review WeChatPayProvider._build_client")
        core._gate_way = config.base_url.rstrip("/")
        return client

    # -- PaymentProvider

    def create(
        self,
        *,
        payment_id: str,
        amount: int,
        description: str,
        payer_id: str | None,
        notify_url: str,
        expires_at: datetime,
    ) -> dict[str, str]:
        """JSAPI prepay; returns the arguments of ``wx.requestPayment`` (plus ``appId``), signed with our key.

        ``payer_id`` is the customer's openid under our mini-program's appid.
        Calling it again with the same arguments gets the same ``prepay_id``.
        """
        if not payer_id:
            raise Unprocessable("WeChat JSAPI payments need the payer's openid.", code="PAYER_REQUIRED")
        if amount <= 0:
            raise ValueError("amount must be positive fen")
        status, data = self._call(
            self.client.pay,
            description=description,
            out_trade_no=payment_id,
            amount={"total": amount, "currency": "CNY"},
            payer={"openid": payer_id},
            time_expire=_rfc3339(expires_at),
            notify_url=notify_url,
            pay_type=WeChatPayType.MINIPROG,
        )
        if status != 200 or not isinstance(data, dict) or not data.get("prepay_id"):
            raise self._failure(status, data, payment_id=payment_id)
        return self.jsapi_params(data["prepay_id"])

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        """``paySign`` = RSA-SHA256 over ``appId\\ntimeStamp\\nnonceStr\\npackage\\n`` with the merchant key."""
        timestamp, nonce, package = str(int(time.time())), secrets.token_hex(16), f"prepay_id={prepay_id}"
        return {
            "appId": self.config.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": self.client.sign([self.config.appid, timestamp, nonce, package]),
        }

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> ProviderPayment | ProviderRefund:
        """A verified TRANSACTION.* or REFUND.* callback; ``Unauthorized`` unless signed by our key and fresh."""
        lowered = {k.lower(): v for k, v in headers.items()}
        signed = {
            "Wechatpay-Signature": lowered.get("wechatpay-signature", ""),
            "Wechatpay-Timestamp": lowered.get("wechatpay-timestamp", ""),
            "Wechatpay-Nonce": lowered.get("wechatpay-nonce", ""),
            "Wechatpay-Serial": lowered.get("wechatpay-serial", ""),
            "Wechatpay-Signature-Type": lowered.get("wechatpay-signature-type", ""),
        }
        if not all(signed.values()):
            raise _refused("The notification is not signed.", "unsigned")
        if signed["Wechatpay-Signature-Type"] != SIGNATURE_TYPE:
            raise _refused("The notification's signature type is not supported.", "signature_type")
        # Checked here, not left to the SDK: for any other serial it would download
        # platform certificates (a network call on the notify path, on the sender's say-so).
        if signed["Wechatpay-Serial"] != self.config.platform_public_key_id:
            raise _refused("The notification is signed with a key we don't know.", "serial")
        timestamp = signed["Wechatpay-Timestamp"]
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise _refused("The notification is stale.", "stale")
        try:
            # Verifies the signature over the raw body, then AES-GCM-decrypts the resource.
            message = self.client.callback(signed, body)
        except Exception:  # noqa: BLE001 (the SDK raises bare Exception; all of it means "not verified")
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("resource"), dict):
            raise _refused("The notification's signature or encryption does not verify.", "signature")
        return self._notified(message.get("event_type", ""), message["resource"])

    def reply(self, ok: bool) -> NotifyReply:
        """200 with ``SUCCESS``; otherwise 500 with ``{"code": "FAIL"}``, so WeChat Pay retries."""
        if ok:
            return NotifyReply(200, "application/json", json.dumps({"code": "SUCCESS", "message": "OK"}))
        return NotifyReply(500, "application/json", json.dumps({"code": "FAIL", "message": "not accepted"}))

    def query(self, payment_id: str) -> ProviderPayment:
        """The trade as WeChat Pay has it; ``NotFound(code="TRADE_NOT_FOUND")`` if it never opened."""
        status, data = self._call(self.client.query, out_trade_no=payment_id)
        if status != 200 or not isinstance(data, dict):
            raise self._failure(status, data, payment_id=payment_id)
        return _understood(self._payment, data)

    def close(self, payment_id: str) -> None:
        """Idempotent; ``Conflict(code="ALREADY_PAID")`` if the trade was paid."""
        status, data = self._call(self.client.close, out_trade_no=payment_id)
        if status in (200, 204):
            return
        code = _provider_code(data)
        if code in ("ORDER_CLOSED", "ORDER_NOT_EXIST"):
            return  # closed already, or never opened: either way nothing can be paid
        if code == "ORDERPAID":
            raise Conflict("The payment was already made.", code="ALREADY_PAID", details={"payment_id": payment_id})
        if status in (400, 403, 404):
            # An error code we don't map: ask for the trade's state rather than guess.
            state = self.query(payment_id).state
            if state is PaymentState.CLOSED:
                return
            if state is PaymentState.SUCCEEDED:
                raise Conflict("The payment was already made.", code="ALREADY_PAID", details={"payment_id": payment_id})
        raise self._failure(status, data, payment_id=payment_id)

    def refund(
        self, *, payment_id: str, refund_id: str, amount: int, total: int, reason: str, notify_url: str
    ) -> ProviderRefund:
        """POST /v3/refund/domestic/refunds; the same ``refund_id`` again returns the same refund.

        WeChat refunds usually answer PROCESSING; the REFUND.SUCCESS callback
        (or ``query_refund``) says when the money is back.
        """
        if not 0 < amount <= total:
            raise ValueError("refund amount must be within (0, total]")
        status, data = self._call(
            self.client.refund,
            out_refund_no=refund_id,
            amount={"refund": amount, "total": total, "currency": "CNY"},
            out_trade_no=payment_id,
            reason=reason or None,
            notify_url=notify_url,
        )
        if status != 200 or not isinstance(data, dict):
            failure = self._failure(status, data, payment_id=payment_id, refund_id=refund_id)
            if status in (400, 403) and _provider_code(data) in _REFUND_REFUSALS:
                raise refund_refused("WeChat Pay", **failure.details)
            if status == 403 and _provider_code(data) == "NOT_ENOUGH":
                raise refund_held_up("WeChat Pay", **failure.details)
            raise failure
        return _understood(self._refund, data)

    def query_refund(self, payment_id: str, refund_id: str) -> ProviderRefund:
        """GET /v3/refund/domestic/refunds/{out_refund_no}: SUCCESS, PROCESSING, CLOSED or ABNORMAL.

        404 ``RESOURCE_NOT_EXISTS``: WeChat Pay never got the refund (``refund_not_found``).
        """
        status, data = self._call(self.client.query_refund, out_refund_no=refund_id)
        if _provider_code(data) == "RESOURCE_NOT_EXISTS":
            raise refund_not_found("WeChat Pay", payment_id=payment_id, refund_id=refund_id)
        if status != 200 or not isinstance(data, dict):
            raise self._failure(status, data, payment_id=payment_id, refund_id=refund_id)
        refund = _understood(self._refund, data)
        if refund.payment_id != payment_id:
            raise refund_not_found("WeChat Pay", payment_id=payment_id, refund_id=refund_id)
        return refund

    # -- mapping

    def _notified(self, event_type: Any, resource: dict[str, Any]) -> ProviderPayment | ProviderRefund:
        if resource.get("mchid") != self.config.mchid:
            raise _refused("The notification is for another merchant.", "mchid", code="INVALID_NOTIFICATION")
        try:
            if _text(event_type).startswith("REFUND."):
                return self._refund(resource)
            if event_type.startswith("TRANSACTION."):
                if resource.get("appid") != self.config.appid:
                    raise _refused("The notification is for another app.", "appid", code="INVALID_NOTIFICATION")
                return self._payment(resource)
        except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: a time year 0 or 10000 in UTC
            raise _refused(
                "The notification's content is not one we understand.", "content", "INVALID_NOTIFICATION"
            ) from None
        raise Unprocessable(f"Unsupported WeChat Pay notification {event_type!r}.", code="UNSUPPORTED_NOTIFICATION")

    @staticmethod
    def _payment(data: dict[str, Any]) -> ProviderPayment:
        state = _TRADE_STATES.get(data["trade_state"])
        if state is None:
            raise ValueError(f"unknown trade_state {data['trade_state']!r}")
        paid = data.get("success_time")
        return ProviderPayment(
            payment_id=_text(data["out_trade_no"]),
            provider_txn_id=_text(data.get("transaction_id"), optional=True),
            amount=_fen(data["amount"]["total"]),
            state=state,
            paid_at=iso(datetime.fromisoformat(paid)) if paid and state is PaymentState.SUCCEEDED else None,
        )

    @staticmethod
    def _refund(data: dict[str, Any]) -> ProviderRefund:
        status = data.get("refund_status") or data.get("status")  # callbacks say refund_status; the API, status
        state = _REFUND_STATES.get(status or "")
        if state is None:
            raise ValueError(f"unknown refund status {status!r}")
        return ProviderRefund(
            refund_id=_text(data["out_refund_no"]),
            payment_id=_text(data["out_trade_no"]),
            provider_refund_id=_text(data.get("refund_id"), optional=True),
            amount=_fen(data["amount"]["refund"]),
            state=state,
        )

    # -- transport

    def _call(self, operation: Callable[..., tuple[int, Any]], **arguments: Any) -> tuple[int, Any]:
        """One SDK call: (status, parsed JSON or None); network and signature failures → BadGateway."""
        try:
            status, text = operation(**arguments)
        except requests.RequestException as error:
            raise unavailable("WeChat Pay could not be reached.", reason=type(error).__name__) from None
        except Exception as error:  # noqa: BLE001 (the SDK raises bare Exception, e.g. for an unverifiable answer)
            raise unavailable(
                "The WeChat Pay call failed: its answer could not be verified.", reason=str(error)
            ) from None
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        return status, data

    @staticmethod
    def _failure(status: int, data: Any, **context: str) -> DomainError:
        code, message = _provider_code(data), (data or {}).get("message") if isinstance(data, dict) else None
        details = {"provider_status": status, "provider_code": code, "provider_message": message, **context}
        details = {k: v for k, v in details.items() if v is not None}
        if status == 404 or code in ("ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS", "ORDERNOTEXIST"):
            return NotFound("WeChat Pay has no such trade.", code="TRADE_NOT_FOUND", details=details)
        if code == "ORDERPAID":
            return Conflict("The payment was already made.", code="ALREADY_PAID", details=details)
        if code == "ORDER_CLOSED":
            return Conflict("The trade is closed at WeChat Pay.", code="TRADE_CLOSED", details=details)
        if status in (400, 403) and code not in (None, "SYSTEM_ERROR", "FREQUENCY_LIMITED", "SIGN_ERROR", "NO_AUTH"):
            return Conflict("WeChat Pay refused the request.", code="PROVIDER_REJECTED", details=details)
        return unavailable("WeChat Pay did not accept the request.", **details)


def _understood(parse: Callable[[dict[str, Any]], Any], data: dict[str, Any]) -> Any:
    """An API answer, parsed; one we can't read is the provider's failure, not our 500."""
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise unavailable("WeChat Pay's answer is not one we understand.") from None


def _provider_code(data: Any) -> str | None:
    return data.get("code") if isinstance(data, dict) else None


def _text(value: Any, *, optional: bool = False) -> str | None:
    """An id or name as WeChat Pay writes it: non-empty text we can store (JSON escapes can carry a lone
    surrogate, which is no UTF-8); ValueError for anything else, None for an optional one left out."""
    if optional and value in (None, ""):
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"not text: {value!r}")
    value.encode()  # UnicodeEncodeError, a ValueError, for a lone surrogate
    return value


def _fen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an amount in fen: {value!r}")
    return value


def _rfc3339(moment: datetime) -> str:
    """WeChat's time format, in China time: ``2026-01-01T08:00:00+08:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def _refused(message: str, reason: str, code: str = INVALID_SIGNATURE) -> Unauthorized:
    return Unauthorized(message, code=code, details={"reason": reason})
