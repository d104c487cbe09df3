"""A fake Alipay OpenAPI gateway (trade.precreate/create/query/close/refund, fastpay.refund.query).

Why: to run ``paotui.payments.alipay`` end to end with no Alipay account: the
fake checks each request's RSA2 signature with the app's public key (over the
sorted ``k=v&...`` of every non-empty parameter but ``sign``) and its
Beijing-time ``timestamp``, answers ``{"<method>_response": {...}, "sign"}``
signed with its own Alipay key over the object's exact text, and sends
``trade_status_sync`` notifies as form posts signed over every non-empty field
but ``sign`` and ``sign_type``.

How: the fake generates the app key pair (as the merchant would upload the
public half) and the Alipay key pair; ``secret_json()`` is the adapter's
secret. It behaves as Alipay does where it matters: a precreated trade does not
exist (query/close say ``ACQ.TRADE_NOT_EXIST``) until the QR code is scanned
(``scan``, or ``pay``, which scans first); closing a paid or closed trade is
``ACQ.TRADE_STATUS_ERROR``; a refund with an ``out_request_no`` seen before
answers ``fund_change=N``; a full refund closes the trade; refund notifies go
to the payment's notify_url with ``out_biz_no``, ``gmt_refund`` and the
cumulative ``refund_fee``. ``defer_refunds`` makes refunds answer
``fund_change=N`` until ``settle_refund``. Test controls: ``pay``,
``refund_notify``, ``payment_notify`` (with faults), ``deliver``.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from paotui.payments.alipay import BEIJING, TIME_FORMAT, rsa2_sign, rsa2_verify, sign_content
from paotui.platform.money import fen_to_yuan, yuan_to_fen
from paotui_local.fakes import FakeServer, Notify, Response, generate_key, private_pem, public_pem

MAX_CLOCK_SKEW = timedelta(minutes=15)
SUCCESS = {"code": "10000", "msg": "Success"}


def beijing_now() -> str:
    return datetime.now(BEIJING).strftime(TIME_FORMAT)


def bare(pem: str) -> str:
    """The base64 body of a PEM, as Alipay's key tool and console show keys."""
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


@dataclass
class Trade:
    out_trade_no: str
    total: int
    subject: str
    notify_url: str | None
    time_expire: str | None
    kind: str  # "precreate" | "create"
    trade_no: str = ""
    qr_code: str = ""
    status: str = "PRECREATED"  # PRECREATED (not yet scanned) | WAIT_BUYER_PAY | TRADE_SUCCESS | TRADE_CLOSED
    buyer_id: str = ""
    gmt_create: str = ""
    gmt_payment: str | None = None
    gmt_close: str | None = None
    refunds: dict[str, Refund] = field(default_factory=dict)

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds.values() if r.settled)


@dataclass
class Refund:
    out_request_no: str
    amount: int
    reason: str | None
    settled: bool
    gmt_refund: str | None = None
    sequence: int = 0
    """Settlement order within the trade (1, 2, …); 0 while not settled."""


class BusinessError(Exception):
    def __init__(self, sub_code: str, sub_msg: str, code: str = "40004", msg: str = "Business Failed"):
        super().__init__(sub_msg)
        self.node = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


class FakeAlipay(FakeServer):
    name = "fake-alipay"

    def __init__(
        self,
        *,
        app_id: str = "2021000000000001",
        seller_id: str = "2088000000000001",
        host: str = "127.0.0.1",
        port: int = 0,
        auto_notify_refunds: bool = False,
    ):
        super().__init__(host=host, port=port)
        self.app_id, self.seller_id = app_id, seller_id
        self.app_key = generate_key()
        self.alipay_key = generate_key()
        self.auto_notify_refunds = auto_notify_refunds
        self.defer_refunds = False
        self.trades: dict[str, Trade] = {}
        self.balance: int | None = None
        """The seller's balance in fen that refunds are paid from (None: never short)."""
        self.closed_accounts: set[str] = set()
        """Trades whose buyer's Alipay account is closed: their refunds are refused (ACQ.BUYER_ERROR)."""
        self.requests: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        """(method, biz_content, the response object) of every gateway request, in order."""

    @property
    def gateway_url(self) -> str:
        return f"{self.url}/gateway.do"

    def secret(self) -> dict[str, str]:
        """The adapter's secret (``AlipayConfig.from_secret``), pointing here; keys bare, as Alipay shows them."""
        return {
            "app_id": self.app_id,
            "app_private_key": bare(private_pem(self.app_key)),
            "alipay_public_key": bare(public_pem(self.alipay_key)),
            "gateway_url": self.gateway_url,
            "seller_id": self.seller_id,
        }

    def secret_json(self) -> str:
        return json.dumps(self.secret())

    def acknowledged(self, status: int, body: bytes) -> bool:
        return body.strip() == b"success"

    # -- HTTP

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        parts = urlsplit(target)
        if method != "POST" or parts.path != "/gateway.do":
            return Response(404, {"Content-Type": "text/plain"}, b"not found")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        charset = query.get("charset", "utf-8")
        params = {**query, **dict(parse_qsl(body.decode(charset), keep_blank_values=True))}
        api, biz = params.get("method", ""), {}
        try:
            self._check(params)
            biz = json.loads(params.get("biz_content") or "{}")
            handler = self._methods().get(api)
            if handler is None:
                raise BusinessError("isv.invalid-method", "不存在的方法名", code="40002", msg="Invalid Arguments")
            node = {**SUCCESS, **handler(biz, params)}
        except BusinessError as error:
            node = error.node
        except ValueError:
            node = BusinessError("isv.invalid-parameter", "参数无效", code="40002", msg="Invalid Arguments").node
        with self.lock:
            self.requests.append((api, biz, node))
        key = (api.replace(".", "_") + "_response") if api in self._methods() else "error_response"
        node_text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        text = f'{{"{key}":{node_text},"sign":"{rsa2_sign(self.alipay_key, node_text)}"}}'
        return Response(200, {"Content-Type": "text/html;charset=utf-8"}, text.encode("utf-8"))

    def _methods(self):
        return {
            "alipay.trade.precreate": self._precreate,
            "alipay.trade.create": self._create,
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
        }

    def _check(self, params: dict[str, str]) -> None:
        def invalid(sub_code: str, sub_msg: str) -> BusinessError:
            return BusinessError(sub_code, sub_msg, code="40002", msg="Invalid Arguments")

        for name in ("app_id", "method", "sign_type", "sign", "timestamp", "version", "charset"):
            if not params.get(name):
                raise BusinessError(
                    f"isv.missing-{name.replace('_', '-')}", f"缺少{name}参数", "40001", "Missing Required Arguments"
                )
        if params["app_id"] != self.app_id:
            raise invalid("isv.invalid-app-id", "无效的AppID参数")
        if params["sign_type"] != "RSA2":
            raise invalid("isv.invalid-signature-type", "无效的签名类型")
        try:
            sent = datetime.strptime(params["timestamp"], TIME_FORMAT).replace(tzinfo=BEIJING)
        except ValueError:
            raise invalid("isv.invalid-timestamp", "非法的时间戳参数") from None
        if abs(datetime.now(BEIJING) - sent) > MAX_CLOCK_SKEW:
            raise invalid("isv.invalid-timestamp", "非法的时间戳参数")
        if not rsa2_verify(self.app_key.public_key(), sign_content(params), params["sign"]):
            raise invalid("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")

    def _trade(self, biz: dict[str, Any], *, scanned: bool = True) -> Trade:
        trade = self.trades.get(biz.get("out_trade_no") or "")
        if trade is None or (scanned and trade.status == "PRECREATED"):
            raise BusinessError("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return trade

    def _open(self, biz: dict[str, Any], params: dict[str, str], kind: str) -> Trade:
        for name in ("out_trade_no", "total_amount", "subject"):
            if not biz.get(name):
                raise BusinessError("ACQ.INVALID_PARAMETER", f"参数无效: {name}")
        total = yuan_to_fen(str(biz["total_amount"]))
        with self.lock:
            trade = self.trades.get(biz["out_trade_no"])
            if trade is not None:
                if trade.status == "TRADE_SUCCESS":
                    raise BusinessError("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
                if trade.status == "TRADE_CLOSED":
                    raise BusinessError("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
                if (trade.total, trade.kind) != (total, kind):
                    raise BusinessError("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
                return trade
            trade = Trade(
                out_trade_no=biz["out_trade_no"],
                total=total,
                subject=biz["subject"],
                notify_url=params.get("notify_url"),
                time_expire=biz.get("time_expire"),
                kind=kind,
                gmt_create=beijing_now(),
            )
            self.trades[trade.out_trade_no] = trade
            return trade

    def _precreate(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        trade = self._open(biz, params, "precreate")
        if not trade.qr_code:
            trade.qr_code = f"https://qr.alipay.com/bax{secrets.token_hex(12)}"
        return {"out_trade_no": trade.out_trade_no, "qr_code": trade.qr_code}

    def _create(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        buyer = biz.get("buyer_id") or biz.get("buyer_open_id")
        if not buyer:
            raise BusinessError("ACQ.INVALID_PARAMETER", "buyer_id 和 buyer_open_id 不能同时为空")
        trade = self._open(biz, params, "create")
        with self.lock:
            if trade.status == "PRECREATED":
                self._scanned(trade, buyer)
        return {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no}

    def _query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            trade = self._trade(biz)
            node = {
                "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no,
                "buyer_logon_id": "bu***@example.com",
                "buyer_user_id": trade.buyer_id,
                "trade_status": trade.status,
                "total_amount": fen_to_yuan(trade.total),
                "buyer_pay_amount": fen_to_yuan(trade.total) if trade.gmt_payment else "0.00",
            }
            if trade.gmt_payment:
                node["send_pay_date"] = trade.gmt_payment
            return node

    def _close(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            trade = self._trade(biz)
            if trade.status != "WAIT_BUYER_PAY":
                raise BusinessError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade.status, trade.gmt_close = "TRADE_CLOSED", beijing_now()
            return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def _refund(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        amount = yuan_to_fen(str(biz.get("refund_amount") or ""))
        request_no = biz.get("out_request_no") or ""
        notify: Notify | None = None
        with self.lock:
            trade = self._trade(biz)
            existing = trade.refunds.get(request_no or trade.trade_no)
            if existing is not None:
                if existing.amount != amount:
                    raise BusinessError("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与之前的请求不一致")
                return self._refund_node(trade, fund_change="N")
            if trade.status != "TRADE_SUCCESS":
                raise BusinessError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if amount <= 0 or trade.refunded + amount > trade.total:
                raise BusinessError("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            if trade.out_trade_no in self.closed_accounts:
                raise BusinessError("ACQ.BUYER_ERROR", "买家状态非法")
            if self.balance is not None:
                if amount > self.balance:
                    raise BusinessError("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足")
                self.balance -= amount
            refund = Refund(request_no or trade.trade_no, amount, biz.get("refund_reason"), settled=False)
            trade.refunds[refund.out_request_no] = refund
            if self.defer_refunds:
                return self._refund_node(trade, fund_change="N")
            notify = self._settle(trade, refund)
        if notify is not None and self.auto_notify_refunds:
            threading.Thread(target=self.deliver, args=(notify,), daemon=True).start()
        return self._refund_node(trade, fund_change="Y")

    def _refund_node(self, trade: Trade, *, fund_change: str) -> dict[str, Any]:
        return {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "bu***@example.com",
            "fund_change": fund_change,
            "refund_fee": fen_to_yuan(trade.refunded),
            "buyer_user_id": trade.buyer_id,
        }

    def _refund_query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            trade = self._trade(biz)
            refund = trade.refunds.get(biz.get("out_request_no") or trade.trade_no)
            if refund is None:
                return {}  # Alipay answers an unknown refund with an empty success
            node = {
                "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no,
                "out_request_no": refund.out_request_no,
                "total_amount": fen_to_yuan(trade.total),
                "refund_amount": fen_to_yuan(refund.amount),
            }
            if refund.settled:
                node["refund_status"] = "REFUND_SUCCESS"
                node["gmt_refund_pay"] = refund.gmt_refund
            return node

    # -- state changes (under the lock)

    def _scanned(self, trade: Trade, buyer_id: str) -> None:
        trade.status = "WAIT_BUYER_PAY"
        trade.buyer_id = buyer_id
        digits = "".join(secrets.choice("0123456789") for _ in range(15))
        trade.trade_no = datetime.now(BEIJING).strftime("%Y%m%d") + "22001" + digits

    def _settle(self, trade: Trade, refund: Refund) -> Notify | None:
        refund.sequence = 1 + max((r.sequence for r in trade.refunds.values()), default=0)
        refund.settled, refund.gmt_refund = True, beijing_now() + ".000"
        if trade.refunded == trade.total:
            trade.status, trade.gmt_close = "TRADE_CLOSED", beijing_now()
        return self._refund_notify(trade, refund) if trade.notify_url else None

    # -- the payer and the back office

    def scan(self, out_trade_no: str, *, buyer_id: str = "2088102177846880") -> None:
        """The payer scans the precreated QR code: Alipay now has the trade, WAIT_BUYER_PAY."""
        with self.lock:
            trade = self.trades[out_trade_no]
            if trade.status == "PRECREATED":
                self._scanned(trade, buyer_id)

    def pay(self, out_trade_no: str, *, deliver: bool = True) -> Notify:
        """The payer pays (scanning first if needed); the TRADE_SUCCESS notify is sent unless ``deliver=False``."""
        self.scan(out_trade_no)
        with self.lock:
            trade = self.trades[out_trade_no]
            if trade.status != "WAIT_BUYER_PAY":
                raise ValueError(f"trade {out_trade_no} is {trade.status}, not payable")
            if trade.time_expire and trade.time_expire < beijing_now():
                raise ValueError(f"trade {out_trade_no} expired at {trade.time_expire}")
            trade.status, trade.gmt_payment = "TRADE_SUCCESS", beijing_now()
        notify = self.payment_notify(out_trade_no)
        if deliver:
            self.deliver(notify)
        return notify

    def settle_refund(self, out_trade_no: str, out_request_no: str, *, deliver: bool = True) -> Notify | None:
        """A deferred refund (``defer_refunds``) goes through; its notify is sent unless ``deliver=False``."""
        with self.lock:
            trade = self.trades[out_trade_no]
            refund = trade.refunds[out_request_no]
            if refund.settled:
                raise ValueError(f"refund {out_request_no} is already settled")
            notify = self._settle(trade, refund)
        if notify is not None and deliver:
            self.deliver(notify)
        return notify

    def refund_notify(self, out_trade_no: str, out_request_no: str, **faults: Any) -> Notify:
        """The notify a settled refund sends (again), as ``_settle`` built it; ``faults`` as in ``payment_notify``."""
        with self.lock:
            trade = self.trades[out_trade_no]
            return self._refund_notify(trade, trade.refunds[out_request_no], **faults)

    def _refund_notify(self, trade: Trade, refund: Refund, **faults: Any) -> Notify:
        refunded_until_then = sum(
            r.amount for r in trade.refunds.values() if r.settled and r.sequence <= refund.sequence
        )
        fields = self._trade_fields(trade)
        fields.update(
            out_biz_no=refund.out_request_no,
            refund_fee=fen_to_yuan(refunded_until_then),
            gmt_refund=refund.gmt_refund or "",
            trade_status="TRADE_CLOSED" if refunded_until_then == trade.total else "TRADE_SUCCESS",
        )
        if fields["trade_status"] == "TRADE_CLOSED":
            fields["gmt_close"] = trade.gmt_close or beijing_now()
        return self._notify(trade.notify_url or "", fields, **faults)

    def payment_notify(
        self,
        out_trade_no: str,
        *,
        total_amount: str | None = None,
        trade_status: str | None = None,
        app_id: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> Notify:
        """The trade's payment notify; ``total_amount`` (yuan text), ``app_id`` and ``signing_key`` inject faults."""
        with self.lock:
            trade = self.trades[out_trade_no]
            fields = self._trade_fields(trade)
        fields["trade_status"] = trade_status or "TRADE_SUCCESS"
        if total_amount is not None:
            fields.update(total_amount=total_amount, receipt_amount=total_amount, buyer_pay_amount=total_amount)
        return self._notify(trade.notify_url or "", fields, app_id=app_id, signing_key=signing_key)

    def _trade_fields(self, trade: Trade) -> dict[str, str]:
        total = fen_to_yuan(trade.total)
        return {
            "gmt_create": trade.gmt_create,
            "charset": "utf-8",
            "seller_email": "merchant@example.com",
            "subject": trade.subject,
            "buyer_id": trade.buyer_id,
            "invoice_amount": total,
            "fund_bill_list": json.dumps([{"amount": total, "fundChannel": "ALIPAYACCOUNT"}]),
            "notify_type": "trade_status_sync",
            "trade_status": trade.status,
            "receipt_amount": total,
            "buyer_pay_amount": total,
            "app_id": self.app_id,
            "seller_id": self.seller_id,
            "gmt_payment": trade.gmt_payment or "",
            "version": "1.0",
            "out_trade_no": trade.out_trade_no,
            "total_amount": total,
            "trade_no": trade.trade_no,
            "auth_app_id": self.app_id,
            "buyer_logon_id": "bu***@example.com",
            "point_amount": "0.00",
        }

    def _notify(
        self,
        url: str,
        fields: dict[str, str],
        *,
        app_id: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> Notify:
        fields = {k: v for k, v in fields.items() if v != ""}
        fields.update(notify_time=beijing_now(), notify_id=uuid.uuid4().hex, sign_type="RSA2")
        if app_id is not None:
            fields.update(app_id=app_id, auth_app_id=app_id)
        fields["sign"] = rsa2_sign(signing_key or self.alipay_key, sign_content(fields, exclude=("sign", "sign_type")))
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return Notify(url, headers, urlencode(fields).encode())
