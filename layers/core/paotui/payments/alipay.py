"""Alipay OpenAPI (trade.precreate / create / query / close / refund), implemented with ``cryptography``.

Why not the official ``alipay-sdk-python`` (3.7.1411, checked on Python 3.11):
it imports, but (1) it is 439 MB / 36,604 generated files, more than a Lambda
layer may hold (250 MB unzipped for a function and all its layers); (2) its
HTTP code cannot reach a gateway on any port but 80/443: ``get_http_connection``
hard-codes the port and then does ``url += parsed.port`` (str + int, a
TypeError), so neither the local fake nor a proxy works; (3) it stamps
requests with the container's local time (``datetime.now()``), which is UTC on
Lambda while Alipay expects Beijing time; (4) it signs with the pure-Python
``rsa`` package and only reads PKCS#1 private keys. It has no notify
verification at all. The protocol itself is small, so it is done here:

- Requests: form POST to the gateway, common parameters (``app_id, method,
  format=JSON, charset=utf-8, sign_type=RSA2, timestamp`` in Beijing time,
  ``version=1.0``, ``notify_url``) in the query string as the SDKs send them,
  ``biz_content`` (JSON) in the body; ``sign`` = base64 SHA256withRSA with the
  app private key over every non-empty parameter but ``sign``, sorted by name,
  joined as ``k=v&k=v`` (values raw, not URL-encoded).
- Responses: ``{"<method with _>_response": {...}, "sign": "..."}``; the
  signature covers the exact text of the ``..._response`` object, so it is
  cut from the raw body (never re-serialised) and verified with the Alipay
  public key. Unsigned responses are never trusted.
- Async notifies: a form POST; verified over the sorted ``k=v&...`` string of
  every non-empty field except ``sign`` and ``sign_type``; ``app_id`` must be
  ours. Answered with plain ``success`` (anything else makes Alipay retry).
  ``total_amount``/``refund_fee`` are yuan with two decimals, converted to fen
  exactly with integer arithmetic.

Alipay specifics the service should know:

- Without ``payer_id`` we precreate (a QR code to scan with Alipay). Until the
  code is scanned Alipay has no trade: ``query`` raises
  ``NotFound(code="TRADE_NOT_FOUND")`` (read: not paid yet) and ``close``
  returns quietly, but the code stays payable until ``expires_at``, so a
  payment notify can still arrive after ``close``. With ``payer_id`` (an
  Alipay ``2088…`` user id or an open_id, as an Alipay mini-program gets it)
  we ``alipay.trade.create`` and return the ``trade_no`` for ``my.tradePay``.
- ``alipay.trade.refund`` takes no ``notify_url``: the refund's callback goes
  to the *payment's* notify_url, as a ``trade_status_sync`` with
  ``out_biz_no`` (our refund id), ``gmt_refund`` and ``refund_fee``, which is
  the trade's *cumulative* refunded amount; ``parse_notify`` reports that as
  ``ProviderRefund.amount``. ``query_refund`` gives one refund's own amount.
  A full refund turns the trade to TRADE_CLOSED; ``query`` still says
  SUCCEEDED for a trade that was paid (``send_pay_date`` set).
- A refund is done when the response says ``fund_change=Y``; otherwise the
  refund query decides (``REFUND_SUCCESS``), else it is PROCESSING and is to
  be asked again with the same ``refund_id`` (the refund sweep does).

Secret JSON (Secrets Manager)::

    {"app_id": "2021000000000000",
     "app_private_key": "MIIEv…",       # PEM, or the bare base64 Alipay's key tool prints (PKCS#8 or PKCS#1)
     "alipay_public_key": "MIIBI…",     # PEM or bare base64: the "支付宝公钥", not the app public key
     "gateway_url": "https://openapi.alipay.com/gateway.do",   # optional; the fake's URL in tests
     "seller_id": "2088…"}              # optional; if set, notifies for another seller are refused
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

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
from paotui.platform.errors import Conflict, DomainError, NotFound, Unauthorized
from paotui.platform.money import fen_to_yuan, yuan_to_fen

DEFAULT_GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
BEIJING = timezone(timedelta(hours=8), "CST")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUCCESS = "10000"

_TRADE_STATES = {
    "WAIT_BUYER_PAY": PaymentState.PENDING,
    "TRADE_SUCCESS": PaymentState.SUCCEEDED,
    "TRADE_FINISHED": PaymentState.SUCCEEDED,
    "TRADE_CLOSED": PaymentState.CLOSED,
}

_REFUND_REFUSALS = {
    "ACQ.BUYER_ERROR",  # the buyer's account is abnormal
    "ACQ.TRADE_HAS_FINISHED",  # the trade is finished: past its refund period
    "ACQ.TRADE_STATUS_ERROR",  # the trade is in no state to refund (closed, or never paid)
    "ACQ.TRADE_NOT_ALLOW_REFUND",
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",  # more than is left to refund, or another amount under this out_request_no
    "ACQ.REASON_TRADE_REFUND_FEE_ERR",
    "ACQ.DISCORDANT_REPEAT_REQUEST",
}
_REFUND_HOLD_UPS = {
    "ACQ.SELLER_BALANCE_NOT_ENOUGH",  # until the merchant account is topped up
    "ACQ.REASON_TRADE_BEEN_FREEZEN",  # until Alipay lifts the trade's freeze
}
"""Refusals of a refund for good (``refund_refused``), and for now (``refund_held_up``). Neither: ACQ.SYSTEM_ERROR,
and ACQ.INVALID_PARAMETER (our request, which a fix makes good): the caller sees the error, the sweep asks again."""


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    app_private_key: str = field(repr=False)
    alipay_public_key: str = field(repr=False)
    gateway_url: str = DEFAULT_GATEWAY_URL
    sign_type: str = "RSA2"
    seller_id: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        for name in ("app_id", "app_private_key", "alipay_public_key", "gateway_url"):
            if not getattr(self, name):
                raise ValueError(f"Alipay config: {name} is required")
        if self.sign_type != "RSA2":
            raise ValueError("Alipay config: only sign_type RSA2 (SHA256withRSA) is supported")

    @classmethod
    def from_secret(cls, json_text: str) -> AlipayConfig:
        """From the Secrets Manager secret's JSON (keys in the module docstring); unknown keys are refused."""
        return config_from_secret(cls, json_text, "Alipay")


# -- signatures (module-level so the fake and the tests use exactly these)


def sign_content(params: Mapping[str, str], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    """``k=v&k=v`` over the non-empty parameters, sorted by name; the string RSA2 signs."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in exclude and v not in ("", None))


def rsa2_sign(key: RSAPrivateKey, content: str) -> str:
    return base64.b64encode(key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(key: RSAPublicKey, content: str | bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(
            raw, content.encode("utf-8") if isinstance(content, str) else content, padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def load_private_key(text: str) -> RSAPrivateKey:
    """A PEM, or the bare base64 body Alipay's key tool prints (PKCS#8 or PKCS#1)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        key = serialization.load_der_private_key(base64.b64decode("".join(text.split())), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(text: str) -> RSAPublicKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(base64.b64decode("".join(text.split())))
    if not isinstance(key, RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def response_node(text: str, method: str) -> tuple[str, str] | None:
    """The raw text of the ``<method>_response`` (or ``error_response``) object and the body's ``sign``.

    The signature covers those exact characters, so they are cut out of the
    body as sent (the JSON decoder only finds where the object ends).
    """
    decoder = json.JSONDecoder()
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    for key in (method.replace(".", "_") + "_response", "error_response"):
        if key not in document:
            continue
        opening = re.search(rf'"{re.escape(key)}"\s*:\s*', text)
        if opening is None:
            return None
        try:
            node, end = decoder.raw_decode(text, opening.end())
        except ValueError:
            return None
        begin = opening.end()
        if node != document[key]:
            return None
        sign = document.get("sign")
        return text[begin:end], sign if isinstance(sign, str) else ""
    return None


def beijing_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def utc_from_beijing(text: str) -> str:
    return iso(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING))


class AlipayProvider:
    """``providers.PaymentProvider`` for Alipay (see the module docstring for the protocol)."""

    channel = "alipay"

    def __init__(self, config: AlipayConfig):
        self.config = config
        self._lock = threading.Lock()
        self._keys: tuple[RSAPrivateKey, RSAPublicKey] | None = None
        self._session: requests.Session | None = None

    @property
    def keys(self) -> tuple[RSAPrivateKey, RSAPublicKey]:
        """(app private key, Alipay public key), parsed once."""
        if self._keys is None:
            with self._lock:
                if self._keys is None:
                    self._keys = (
                        load_private_key(self.config.app_private_key),
                        load_public_key(self.config.alipay_public_key),
                    )
        return self._keys

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = requests.Session()
        return self._session

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
        """Precreate → ``{"out_trade_no", "qr_code"}``; with ``payer_id``, create → ``{"out_trade_no", "trade_no"}``."""
        if amount <= 0:
            raise ValueError("amount must be positive fen")
        biz: dict[str, Any] = {
            "out_trade_no": payment_id,
            "total_amount": fen_to_yuan(amount),
            "subject": description[:256],
            "time_expire": beijing_time(expires_at),
        }
        if payer_id:
            biz["product_code"] = "JSAPI_PAY"
            biz["buyer_id" if _is_user_id(payer_id) else "buyer_open_id"] = payer_id
            node = self._call("alipay.trade.create", biz, notify_url=notify_url)
        else:
            node = self._call("alipay.trade.precreate", biz, notify_url=notify_url)
        if node.get("code") != SUCCESS:
            raise self._failure(node, payment_id=payment_id)
        if payer_id and node.get("trade_no"):
            return {"out_trade_no": payment_id, "trade_no": node["trade_no"]}
        if not payer_id and node.get("qr_code"):
            return {"out_trade_no": payment_id, "qr_code": node["qr_code"]}
        raise unavailable("Alipay's answer lacks the trade's payment reference.", payment_id=payment_id)

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> ProviderPayment | ProviderRefund:
        """A verified ``trade_status_sync`` notify: a payment, or (with ``out_biz_no``) a refund."""
        del headers  # Alipay signs the form fields, not the transport
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise _refused("The notification is not a form.", "form") from None
        params = dict(pairs)
        if len(params) != len(pairs):
            raise _refused("The notification repeats a field.", "form")
        signature = params.get("sign", "")
        if not signature:
            raise _refused("The notification is not signed.", "unsigned")
        if params.get("sign_type", "RSA2") != "RSA2":
            raise _refused("The notification's signature type is not supported.", "signature_type")
        content = sign_content(params, exclude=("sign", "sign_type"))
        if not rsa2_verify(self.keys[1], content, signature):
            raise _refused("The notification's signature does not match.", "signature")
        if params.get("app_id") != self.config.app_id:
            raise _refused("The notification is for another app.", "app_id", "INVALID_NOTIFICATION")
        if self.config.seller_id and params.get("seller_id") != self.config.seller_id:
            raise _refused("The notification is for another seller.", "seller_id", "INVALID_NOTIFICATION")
        try:
            return self._notified(params)
        except (KeyError, ValueError, OverflowError):  # OverflowError: a Beijing time that is year 0 in UTC
            raise _refused(
                "The notification's content is not one we understand.", "content", "INVALID_NOTIFICATION"
            ) from None

    def reply(self, ok: bool) -> NotifyReply:
        """Plain ``success``; anything else (here ``fail``, with a 500) makes Alipay send it again."""
        return NotifyReply(200, "text/plain", "success") if ok else NotifyReply(500, "text/plain", "fail")

    def query(self, payment_id: str) -> ProviderPayment:
        """alipay.trade.query; ``NotFound(code="TRADE_NOT_FOUND")`` for a precreated code nobody scanned yet."""
        node = self._call("alipay.trade.query", {"out_trade_no": payment_id})
        if node.get("code") != SUCCESS:
            raise self._failure(node, payment_id=payment_id)
        try:
            state = _TRADE_STATES[node["trade_status"]]
            paid_at = utc_from_beijing(node["send_pay_date"]) if node.get("send_pay_date") else None
            if state is PaymentState.CLOSED and paid_at:
                state = PaymentState.SUCCEEDED  # closed by a full refund: it was paid
            return ProviderPayment(
                payment_id=node["out_trade_no"],
                provider_txn_id=node.get("trade_no") or None,
                amount=yuan_to_fen(node["total_amount"]),
                state=state,
                paid_at=paid_at if state is PaymentState.SUCCEEDED else None,
            )
        except (KeyError, ValueError, OverflowError):
            raise unavailable("Alipay's trade query answer is not one we understand.", payment_id=payment_id) from None

    def close(self, payment_id: str) -> None:
        node = self._call("alipay.trade.close", {"out_trade_no": payment_id})
        if node.get("code") == SUCCESS:
            return
        sub_code = node.get("sub_code")
        if sub_code == "ACQ.TRADE_NOT_EXIST":
            return  # a precreated code nobody scanned: nothing to close at Alipay (see the module docstring)
        if sub_code == "ACQ.TRADE_STATUS_ERROR":  # already closed, or paid: the trade's state says which
            state = self.query(payment_id).state
            if state is PaymentState.CLOSED:
                return
            if state is PaymentState.SUCCEEDED:
                raise Conflict("The payment was already made.", code="ALREADY_PAID", details={"payment_id": payment_id})
        raise self._failure(node, payment_id=payment_id)

    def refund(
        self, *, payment_id: str, refund_id: str, amount: int, total: int, reason: str, notify_url: str
    ) -> ProviderRefund:
        """alipay.trade.refund with ``out_request_no=refund_id`` (idempotent on it).

        ``notify_url`` is not sent: Alipay has no such parameter for refunds and
        notifies the payment's notify_url. ``total`` is only checked locally.
        """
        del notify_url
        if not 0 < amount <= total:
            raise ValueError("refund amount must be within (0, total]")
        biz = {"out_trade_no": payment_id, "refund_amount": fen_to_yuan(amount), "out_request_no": refund_id}
        if reason:
            biz["refund_reason"] = reason[:256]
        node = self._call("alipay.trade.refund", biz)
        if node.get("code") != SUCCESS:
            failure = self._failure(node, payment_id=payment_id, refund_id=refund_id)
            if node.get("sub_code") in _REFUND_REFUSALS:
                raise refund_refused("Alipay", **failure.details)
            if node.get("sub_code") in _REFUND_HOLD_UPS:
                raise refund_held_up("Alipay", **failure.details)
            raise failure
        if node.get("fund_change") == "Y":
            return ProviderRefund(refund_id, payment_id, None, amount, RefundState.SUCCEEDED)
        # fund_change N: a repeat of a done refund, or not done yet; the refund query says which.
        try:
            return self.query_refund(payment_id, refund_id)
        except NotFound:
            return ProviderRefund(refund_id, payment_id, None, amount, RefundState.PROCESSING)

    def query_refund(self, payment_id: str, refund_id: str) -> ProviderRefund:
        """alipay.trade.fastpay.refund.query with ``out_request_no=refund_id``: this refund's own amount.

        Alipay answers an unknown refund with an empty success, and one it did
        not do (not received, or failed) without ``refund_status``; for both it
        advises asking the refund again with the same ``out_request_no``, so
        both are ``refund_not_found``. Only ``REFUND_SUCCESS`` is done.
        """
        node = self._call(
            "alipay.trade.fastpay.refund.query", {"out_trade_no": payment_id, "out_request_no": refund_id}
        )
        if node.get("code") != SUCCESS:
            raise self._failure(node, payment_id=payment_id, refund_id=refund_id)
        done = node.get("refund_status") == "REFUND_SUCCESS"
        if node.get("out_request_no") != refund_id or not node.get("refund_amount") or not done:
            raise refund_not_found("Alipay", payment_id=payment_id, refund_id=refund_id)
        try:
            amount = yuan_to_fen(node["refund_amount"])
        except ValueError:
            raise unavailable("Alipay's refund query answer is not one we understand.", refund_id=refund_id) from None
        return ProviderRefund(refund_id, node.get("out_trade_no") or payment_id, None, amount, RefundState.SUCCEEDED)

    # -- mapping

    @staticmethod
    def _notified(params: dict[str, str]) -> ProviderPayment | ProviderRefund:
        payment_id = params["out_trade_no"]
        if params.get("out_biz_no") and (params.get("gmt_refund") or params.get("refund_fee")):
            return ProviderRefund(
                refund_id=params["out_biz_no"],
                payment_id=payment_id,
                provider_refund_id=None,
                amount=yuan_to_fen(params["refund_fee"]),  # cumulative for the trade: see the module docstring
                state=RefundState.SUCCEEDED,
            )
        state = _TRADE_STATES.get(params["trade_status"])
        if state is None:
            raise ValueError(f"unknown trade_status {params['trade_status']!r}")
        return ProviderPayment(
            payment_id=payment_id,
            provider_txn_id=params.get("trade_no") or None,
            amount=yuan_to_fen(params["total_amount"]),
            state=state,
            paid_at=utc_from_beijing(params["gmt_payment"])
            if state is PaymentState.SUCCEEDED and params.get("gmt_payment")
            else None,
        )

    # -- transport

    def signed_params(self, method: str, biz: Mapping[str, Any], *, notify_url: str | None = None) -> dict[str, str]:
        """Every parameter of one gateway request, ``sign`` included."""
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": self.config.sign_type,
            "timestamp": beijing_time(datetime.now(UTC)),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        if notify_url:
            params["notify_url"] = notify_url
        params["sign"] = rsa2_sign(self.keys[0], sign_content(params))
        return params

    def _call(self, method: str, biz: Mapping[str, Any], *, notify_url: str | None = None) -> dict[str, Any]:
        """One gateway call → the verified ``..._response`` object (any ``code``); BadGateway if unverifiable."""
        params = self.signed_params(method, biz, notify_url=notify_url)
        body = {"biz_content": params.pop("biz_content")}
        url = f"{self.config.gateway_url}{'&' if '?' in self.config.gateway_url else '?'}{urlencode(params)}"
        try:
            response = self.session.post(
                url,
                data=urlencode(body).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
                timeout=(min(5.0, self.config.timeout), self.config.timeout),
            )
        except requests.RequestException as error:
            raise unavailable("Alipay could not be reached.", reason=type(error).__name__, method=method) from None
        if response.status_code != 200:
            raise unavailable("Alipay did not answer.", provider_status=response.status_code, method=method)
        try:
            text = response.content.decode("utf-8")
        except UnicodeDecodeError:
            raise unavailable("Alipay's answer is not UTF-8.", method=method) from None
        found = response_node(text, method)
        if found is None:
            raise unavailable("Alipay's answer is not one we understand.", method=method)
        node_text, signature = found
        if not signature or not rsa2_verify(self.keys[1], node_text, signature):
            raise unavailable("Alipay's answer could not be verified.", method=method)
        node = json.loads(node_text)
        if not isinstance(node, dict):
            raise unavailable("Alipay's answer is not one we understand.", method=method)
        return node

    @staticmethod
    def _failure(node: Mapping[str, Any], **context: str) -> DomainError:
        code, sub_code = node.get("code"), node.get("sub_code")
        details = {
            "provider_code": code,
            "provider_sub_code": sub_code,
            "provider_message": node.get("sub_msg"),
            **context,
        }
        details = {k: v for k, v in details.items() if v is not None}
        if sub_code == "ACQ.TRADE_NOT_EXIST":
            return NotFound("Alipay has no such trade.", code="TRADE_NOT_FOUND", details=details)
        if sub_code == "ACQ.TRADE_HAS_SUCCESS":
            return Conflict("The payment was already made.", code="ALREADY_PAID", details=details)
        if sub_code == "ACQ.TRADE_HAS_CLOSE":
            return Conflict("The trade is closed at Alipay.", code="TRADE_CLOSED", details=details)
        if code == "40004" and sub_code not in ("ACQ.SYSTEM_ERROR", None):
            return Conflict("Alipay refused the request.", code="PROVIDER_REJECTED", details=details)
        return unavailable("Alipay did not accept the request.", **details)


def _is_user_id(payer_id: str) -> bool:
    """Alipay user ids are 16 digits starting 2088; anything else is an open_id."""
    return len(payer_id) == 16 and payer_id.isdigit() and payer_id.startswith("2088")


def _refused(message: str, reason: str, code: str = INVALID_SIGNATURE) -> Unauthorized:
    return Unauthorized(message, code=code, details={"reason": reason})
