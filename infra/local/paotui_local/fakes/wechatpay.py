"""A fake WeChat Pay API v3 (JSAPI payments and domestic refunds), on 127.0.0.1 over plain HTTP.

Why: to run ``paotui.payments.wechatpay`` (and the ``wechatpayv3`` SDK under
it) end to end with no merchant account: the fake checks the merchant's
``Authorization`` signature on every request exactly as WeChat Pay does and
answers 401 ``SIGN_ERROR`` otherwise, signs every answer and callback with its
own platform key in the "微信支付公钥" mode (``Wechatpay-Serial`` is a
``PUB_KEY_ID_…``), and encrypts callback resources with AES-256-GCM under the
APIv3 key.

How: the fake generates the merchant's key, certificate serial number, APIv3
key and the platform key pair; ``secret_json()`` is the adapter's secret.
Endpoints: ``POST /v3/pay/transactions/jsapi``,
``GET /v3/pay/transactions/out-trade-no/{no}?mchid=``,
``POST /v3/pay/transactions/out-trade-no/{no}/close``,
``POST /v3/refund/domestic/refunds``, ``GET /v3/refund/domestic/refunds/{no}``.
Test controls: ``pay`` (the payer pays; the TRANSACTION.SUCCESS callback is
sent), ``complete_refund`` (REFUND.SUCCESS / ABNORMAL / CLOSED is sent),
``payment_notify``/``refund_notify`` to build callbacks with deliberate faults,
``deliver`` to send one (again, or out of order). Refunds answer PROCESSING,
as WeChat's usually do; ``auto_settle_refunds`` settles them a moment later.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from paotui_local.fakes import FakeServer, Notify, Response, generate_key, private_pem, public_pem

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW_SECONDS = 300
CHINA = timezone(timedelta(hours=8))
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def china_time(moment: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if moment is None else moment, CHINA).isoformat(timespec="seconds")


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def sign_message(key: rsa.RSAPrivateKey, timestamp: str, nonce: str, body: bytes) -> str:
    """The platform's signature over ``timestamp\\nnonce\\nbody\\n`` (answers and callbacks)."""
    return rsa_sign(key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n")


def encrypt_resource(apiv3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    """A callback ``resource``: AEAD_AES_256_GCM with the APIv3 key, a 12-character nonce."""
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def signed_headers(
    key: rsa.RSAPrivateKey, serial: str, body: bytes, *, timestamp: str | None = None, nonce: str | None = None
) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(16).upper()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sign_message(key, timestamp, nonce, body),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def verify_authorization(
    authorization: str,
    method: str,
    target: str,
    body: bytes,
    *,
    mchid: str,
    serial_no: str,
    public_key: rsa.RSAPublicKey,
    now: float | None = None,
) -> str | None:
    """Why the merchant's ``Authorization`` is refused, or None if it is good.

    Signed string: ``METHOD\\nURL path with query\\ntimestamp\\nnonce\\nbody\\n``.
    """
    scheme, _, rest = authorization.partition(" ")
    if scheme != SIGNATURE_TYPE:
        return "unsupported authorization scheme"
    values = dict(_AUTH_FIELD.findall(rest))
    if values.get("mchid") != mchid:
        return "mchid does not match"
    if values.get("serial_no") != serial_no:
        return "unknown merchant certificate serial_no"
    timestamp, nonce = values.get("timestamp", ""), values.get("nonce_str", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return "timestamp out of range"
    if not nonce:
        return "nonce_str missing"
    message = f"{method}\n{target}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"
    try:
        public_key.verify(base64.b64decode(values.get("signature", "")), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return "signature does not verify"
    return None


@dataclass
class Trade:
    out_trade_no: str
    appid: str
    description: str
    total: int
    notify_url: str
    openid: str
    time_expire: str | None
    prepay_id: str
    state: str = "NOTPAY"  # NOTPAY | SUCCESS | REFUND | CLOSED
    transaction_id: str | None = None
    success_time: str | None = None
    refunds: list[str] = field(default_factory=list)


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    refund: int
    total: int
    reason: str | None
    notify_url: str | None
    create_time: str
    status: str = "PROCESSING"  # PROCESSING | SUCCESS | CLOSED | ABNORMAL
    success_time: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeWechatPay(FakeServer):
    name = "fake-wechatpay"

    def __init__(
        self,
        *,
        appid: str = "wx8888888888888888",
        mchid: str = "1900000109",
        host: str = "127.0.0.1",
        port: int = 0,
        auto_settle_refunds: bool = False,
    ):
        super().__init__(host=host, port=port)
        self.appid, self.mchid = appid, mchid
        self.merchant_key = generate_key()
        self.merchant_serial_no = secrets.token_hex(20).upper()
        self.apiv3_key = secrets.token_hex(16)  # 32 ASCII characters
        self.platform_key = generate_key()
        self.platform_public_key_id = "PUB_KEY_ID_" + secrets.token_hex(16).upper()
        self.auto_settle_refunds = auto_settle_refunds
        self.trades: dict[str, Trade] = {}
        self.refunds: dict[str, Refund] = {}
        self.balance: int | None = None
        """The merchant's balance in fen that refunds are paid from (None: never short); NOT_ENOUGH beyond it."""
        self.closed_accounts: set[str] = set()
        """Trades whose payer has closed their WeChat account: their refunds are refused (USER_ACCOUNT_ABNORMAL)."""
        self.requests: list[tuple[str, str, int]] = []
        """(method, target, status) of every request, in order."""

    def secret(self) -> dict[str, str]:
        """The adapter's Secrets Manager secret (``WeChatPayConfig.from_secret``), pointing here."""
        return {
            "appid": self.appid,
            "mchid": self.mchid,
            "merchant_private_key": private_pem(self.merchant_key),
            "merchant_serial_no": self.merchant_serial_no,
            "apiv3_key": self.apiv3_key,
            "platform_public_key": public_pem(self.platform_key),
            "platform_public_key_id": self.platform_public_key_id,
            "base_url": self.url,
        }

    def secret_json(self) -> str:
        return json.dumps(self.secret())

    # -- HTTP

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        try:
            refusal = verify_authorization(
                headers.get("Authorization", ""),
                method,
                target,
                body,
                mchid=self.mchid,
                serial_no=self.merchant_serial_no,
                public_key=self.merchant_key.public_key(),
            )
            if refusal:
                raise ApiError(401, "SIGN_ERROR", f"签名错误: {refusal}")
            status, payload = self._route(method, target, body)
        except ApiError as error:
            status, payload = error.status, {"code": error.code, "message": error.message}
        with self.lock:
            self.requests.append((method, target, status))
        return self._signed(status, payload)

    def _signed(self, status: int, payload: dict[str, Any] | None) -> Response:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = signed_headers(self.platform_key, self.platform_public_key_id, body)
        headers["Request-ID"] = uuid.uuid4().hex
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return Response(status, headers, body)

    def _route(self, method: str, target: str, body: bytes) -> tuple[int, dict[str, Any] | None]:
        parts = urlsplit(target)
        path, query = parts.path, dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        data = self._json(body) if method == "POST" else {}
        if method == "POST" and path == "/v3/pay/transactions/jsapi":
            return 200, self._prepay(data)
        if method == "GET" and (match := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)):
            self._check_mchid(query.get("mchid"))
            return 200, self._trade_json(self._trade(match[1]))
        if method == "POST" and (match := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)):
            self._check_mchid(data.get("mchid"))
            self._close(match[1])
            return 204, None
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return 200, self._refund(data)
        if method == "GET" and (match := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)):
            with self.lock:
                refund = self.refunds.get(match[1])
                if refund is None:
                    raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
                return 200, self._refund_json(refund)
        raise ApiError(404, "NOT_FOUND", f"no such API: {method} {path}")

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(400, "PARAM_ERROR", "请求体不是合法的JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "PARAM_ERROR", "请求体不是JSON对象")
        return data

    def _check_mchid(self, mchid: object) -> None:
        if mchid != self.mchid:
            raise ApiError(400, "PARAM_ERROR", "mchid 与请求方不一致")

    def _trade(self, out_trade_no: str) -> Trade:
        trade = self.trades.get(out_trade_no)
        if trade is None:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return trade

    def _prepay(self, data: dict[str, Any]) -> dict[str, Any]:
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount", "payer"):
            if not data.get(name):
                raise ApiError(400, "PARAM_ERROR", f"{name} 为必填项")
        self._check_mchid(data["mchid"])
        if data["appid"] != self.appid:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        total, openid = data["amount"].get("total"), data["payer"].get("openid")
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            raise ApiError(400, "PARAM_ERROR", "amount.total 必须为正整数")
        if data["amount"].get("currency", "CNY") != "CNY" or not openid:
            raise ApiError(400, "PARAM_ERROR", "currency 或 payer.openid 错误")
        if not urlsplit(data["notify_url"]).scheme.startswith("http"):
            raise ApiError(400, "PARAM_ERROR", "notify_url 格式错误")
        with self.lock:
            trade = self.trades.get(data["out_trade_no"])
            if trade is not None:
                if trade.state in ("SUCCESS", "REFUND"):
                    raise ApiError(400, "ORDERPAID", "该订单已支付")
                if trade.state == "CLOSED":
                    raise ApiError(400, "ORDER_CLOSED", "订单已关闭")
                if (trade.total, trade.openid, trade.description) != (total, openid, data["description"]):
                    raise ApiError(400, "INVALID_REQUEST", "201 商户订单号重复")
                return {"prepay_id": trade.prepay_id}
            trade = Trade(
                out_trade_no=data["out_trade_no"],
                appid=data["appid"],
                description=data["description"],
                total=total,
                notify_url=data["notify_url"],
                openid=openid,
                time_expire=data.get("time_expire"),
                prepay_id="wx" + datetime.now(CHINA).strftime("%d%H%M%S") + secrets.token_hex(12),
            )
            self.trades[trade.out_trade_no] = trade
            return {"prepay_id": trade.prepay_id}

    def _close(self, out_trade_no: str) -> None:
        with self.lock:
            trade = self._trade(out_trade_no)
            if trade.state in ("SUCCESS", "REFUND"):
                raise ApiError(400, "ORDERPAID", "该订单已支付")
            trade.state = "CLOSED"

    def _refund(self, data: dict[str, Any]) -> dict[str, Any]:
        out_refund_no, amount = data.get("out_refund_no"), data.get("amount") or {}
        refund, total = amount.get("refund"), amount.get("total")
        if not out_refund_no or not isinstance(refund, int) or not isinstance(total, int) or refund <= 0:
            raise ApiError(400, "PARAM_ERROR", "out_refund_no 或 amount 错误")
        if amount.get("currency") != "CNY":
            raise ApiError(400, "PARAM_ERROR", "amount.currency 必须为 CNY")
        with self.lock:
            existing = self.refunds.get(out_refund_no)
            if existing is not None:
                if (existing.refund, existing.out_trade_no) != (refund, data.get("out_trade_no")):
                    raise ApiError(400, "INVALID_REQUEST", "同一退款单号的请求参数与之前不一致")
                return self._refund_json(existing)
            if data.get("transaction_id"):
                trade = next((t for t in self.trades.values() if t.transaction_id == data["transaction_id"]), None)
            else:
                trade = self.trades.get(data.get("out_trade_no", ""))
            if trade is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            if trade.state not in ("SUCCESS", "REFUND"):
                raise ApiError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if total != trade.total:
                raise ApiError(400, "INVALID_REQUEST", "订单金额与原订单不一致")
            refunded = sum(self.refunds[r].refund for r in trade.refunds if self.refunds[r].status != "CLOSED")
            if refunded + refund > trade.total:
                raise ApiError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            if trade.out_trade_no in self.closed_accounts:
                raise ApiError(403, "USER_ACCOUNT_ABNORMAL", "退款请求失败，用户帐号注销")
            if self.balance is not None:
                if refund > self.balance:
                    raise ApiError(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
                self.balance -= refund
            record = Refund(
                out_refund_no=out_refund_no,
                refund_id="50" + "".join(secrets.choice("0123456789") for _ in range(27)),
                out_trade_no=trade.out_trade_no,
                refund=refund,
                total=total,
                reason=data.get("reason"),
                notify_url=data.get("notify_url"),
                create_time=china_time(),
            )
            self.refunds[out_refund_no] = record
            trade.refunds.append(out_refund_no)
            trade.state = "REFUND"
        if self.auto_settle_refunds:
            threading.Timer(0.05, self.complete_refund, args=(out_refund_no,)).start()
        return self._refund_json(record)

    # -- shapes

    def _trade_json(self, trade: Trade) -> dict[str, Any]:
        paid = trade.state in ("SUCCESS", "REFUND")
        out: dict[str, Any] = {
            "appid": trade.appid,
            "mchid": self.mchid,
            "out_trade_no": trade.out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": trade.state,
            "trade_state_desc": {"NOTPAY": "未支付", "SUCCESS": "支付成功", "REFUND": "转入退款", "CLOSED": "已关闭"}[
                trade.state
            ],
            "attach": "",
            "payer": {"openid": trade.openid},
            "amount": {"total": trade.total, "currency": "CNY", "payer_currency": "CNY"},
        }
        if paid:
            out.update(transaction_id=trade.transaction_id, bank_type="OTHERS", success_time=trade.success_time)
            out["amount"]["payer_total"] = trade.total
        return out

    def _refund_json(self, refund: Refund) -> dict[str, Any]:
        trade = self.trades[refund.out_trade_no]
        out: dict[str, Any] = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": trade.transaction_id,
            "out_trade_no": refund.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": refund.create_time,
            "status": refund.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": refund.total,
                "refund": refund.refund,
                "payer_total": refund.total,
                "payer_refund": refund.refund,
                "settlement_total": refund.total,
                "settlement_refund": refund.refund,
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if refund.success_time:
            out["success_time"] = refund.success_time
        return out

    # -- the payer and the back office

    def pay(self, out_trade_no: str, *, deliver: bool = True) -> Notify:
        """The payer pays: the trade succeeds and (unless ``deliver=False``) its callback is sent."""
        with self.lock:
            trade = self.trades[out_trade_no]
            if trade.state != "NOTPAY":
                raise ValueError(f"trade {out_trade_no} is {trade.state}, not payable")
            if trade.time_expire and datetime.fromisoformat(trade.time_expire) < datetime.now(CHINA):
                raise ValueError(f"trade {out_trade_no} expired at {trade.time_expire}")
            trade.state = "SUCCESS"
            trade.transaction_id = "4200" + "".join(secrets.choice("0123456789") for _ in range(24))
            trade.success_time = china_time()
        notify = self.payment_notify(out_trade_no)
        if deliver:
            self.deliver(notify)
        return notify

    def complete_refund(self, out_refund_no: str, *, status: str = "SUCCESS", deliver: bool = True) -> Notify | None:
        """The refund settles as ``status`` (SUCCESS, ABNORMAL or CLOSED); its callback goes to its notify_url."""
        with self.lock:
            refund = self.refunds[out_refund_no]
            refund.status = status
            refund.success_time = china_time() if status == "SUCCESS" else None
        if not refund.notify_url:
            return None
        notify = self.refund_notify(out_refund_no)
        if deliver:
            self.deliver(notify)
        return notify

    def payment_notify(
        self,
        out_trade_no: str,
        *,
        total: int | None = None,
        mchid: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
        timestamp: str | None = None,
        serial: str | None = None,
    ) -> Notify:
        """A TRANSACTION.SUCCESS callback for the trade as it stands; the keyword arguments inject faults."""
        with self.lock:
            resource = self._trade_json(self.trades[out_trade_no])
            url = self.trades[out_trade_no].notify_url
        resource["trade_state"], resource["trade_state_desc"] = "SUCCESS", "支付成功"
        if total is not None:
            resource["amount"].update(total=total, payer_total=total)
        if mchid is not None:
            resource["mchid"] = mchid
        return self.notify(
            url,
            "TRANSACTION.SUCCESS",
            "支付成功",
            "transaction",
            resource,
            signing_key=signing_key,
            apiv3_key=apiv3_key,
            timestamp=timestamp,
            serial=serial,
        )

    def refund_notify(
        self,
        out_refund_no: str,
        *,
        refund: int | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
        timestamp: str | None = None,
    ) -> Notify:
        """A REFUND.<status> callback for the refund as it stands."""
        with self.lock:
            record = self.refunds[out_refund_no]
            trade = self.trades[record.out_trade_no]
            url = record.notify_url or trade.notify_url
            resource: dict[str, Any] = {
                "mchid": self.mchid,
                "out_trade_no": record.out_trade_no,
                "transaction_id": trade.transaction_id,
                "out_refund_no": record.out_refund_no,
                "refund_id": record.refund_id,
                "refund_status": record.status,
                "user_received_account": "支付用户零钱",
                "amount": {
                    "total": record.total,
                    "refund": record.refund if refund is None else refund,
                    "payer_total": record.total,
                    "payer_refund": record.refund if refund is None else refund,
                },
            }
            if record.success_time:
                resource["success_time"] = record.success_time
        summary = {"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}.get(record.status, "退款")
        return self.notify(
            url,
            f"REFUND.{record.status}",
            summary,
            "refund",
            resource,
            signing_key=signing_key,
            apiv3_key=apiv3_key,
            timestamp=timestamp,
        )

    def notify(
        self,
        url: str,
        event_type: str,
        summary: str,
        original_type: str,
        resource: dict[str, Any],
        *,
        signing_key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
        timestamp: str | None = None,
        serial: str | None = None,
    ) -> Notify:
        """Any callback: ``resource`` encrypted with the APIv3 key, the body signed with the platform key."""
        plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
        encrypted = encrypt_resource(apiv3_key or self.apiv3_key, plaintext, original_type)
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "create_time": china_time(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": {"original_type": original_type, **encrypted},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = signed_headers(
            signing_key or self.platform_key, serial or self.platform_public_key_id, body, timestamp=timestamp
        )
        headers["Content-Type"] = "application/json"
        return Notify(url, headers, body)
