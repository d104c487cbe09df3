"""The sandbox payment provider: a real signed notify callback, with no money involved.

It follows the shape of WeChat Pay v3 notifications: the provider signs
``timestamp\\nnonce\\nbody\\n`` and sends the signature in headers; the
receiver checks the signature and the timestamp's freshness before trusting
a byte of the body. Here the signature is HMAC-SHA256 with a secret from
Secrets Manager rather than RSA, since both ends are ours.

:class:`SandboxProvider` is the channel as the payments service sees any
provider (``providers.PaymentProvider``): opening a trade pays it at once, by
sending the signed callback to the notify URL; refunds succeed at once.
Local and test stages only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.client import HTTPException

from paotui.payments.providers import (
    NotifyReply,
    PaymentState,
    ProviderPayment,
    ProviderRefund,
    RefundState,
    refund_not_found,
)
from paotui.platform import clock
from paotui.platform.errors import Unauthorized
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger

TIMESTAMP_HEADER = "Paotui-Sandbox-Timestamp"
NONCE_HEADER = "Paotui-Sandbox-Nonce"
SIGNATURE_HEADER = "Paotui-Sandbox-Signature"
MAX_CLOCK_SKEW_SECONDS = 300

Transport = Callable[[str, dict[str, str], bytes], int]
"""POSTs a body with headers to a URL and returns the HTTP status."""


_DELIVERY_ATTEMPTS = 3


@dataclass(frozen=True)
class Notification:
    trade_no: str
    amount: int
    txn_id: str
    paid_at: str


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_request(secret: str, notification: Notification) -> tuple[dict[str, str], bytes]:
    body = json.dumps(notification.__dict__, separators=(",", ":")).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(secret, timestamp, nonce, body),
    }
    return headers, body


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> Notification:
    """The notification, if and only if it is signed with our secret and fresh."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    nonce = lowered.get(NONCE_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not (timestamp.isdigit() and nonce and signature):
        raise Unauthorized("The notification is not signed.", code="INVALID_SIGNATURE")
    if abs((now or time.time()) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise Unauthorized("The notification is stale.", code="STALE_NOTIFICATION")
    if not hmac.compare_digest(sign(secret, timestamp, nonce, body), signature):
        raise Unauthorized("The notification's signature does not match.", code="INVALID_SIGNATURE")
    try:
        return Notification(**json.loads(body))
    except (ValueError, TypeError):
        raise Unauthorized("The notification's body is not one we sent.", code="INVALID_NOTIFICATION") from None


def http_transport(url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own notify URL)
        return response.status


class SandboxProvider:
    """The sandbox as a payment provider; ``secret`` reads the signing secret, ``transport`` reaches the notify URL."""

    channel = "sandbox"

    def __init__(self, secret: Callable[[], str], transport: Transport):
        self._secret = secret
        self._transport = transport

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
        """Pay at once: send the signed callback the way a provider does, retried, before answering."""
        notification = Notification(
            trade_no=payment_id, amount=amount, txn_id=stable_id("sbx_", payment_id), paid_at=clock.now_iso()
        )
        for attempt in range(1, _DELIVERY_ATTEMPTS + 1):
            headers, body = signed_request(self._secret(), notification)
            try:
                status = self._transport(notify_url, headers, body)
            # OSError: unreachable, timed out, reset (an HTTPError keeps its status); HTTPException: the connection
            # dropped midway through the answer's status line
            except (OSError, HTTPException) as error:
                status = getattr(error, "code", None) or 0
            if 200 <= status < 300:
                break
            logger.warning("sandbox notify not accepted", extra={"attempt": attempt, "status": status})
        else:
            logger.error("sandbox notify undeliverable", extra={"trade_no": payment_id})
        return {"trade_no": payment_id}

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> ProviderPayment:
        notification = verify(self._secret(), headers, body)
        return ProviderPayment(
            payment_id=notification.trade_no,
            provider_txn_id=notification.txn_id,
            amount=notification.amount,
            state=PaymentState.SUCCEEDED,
            paid_at=notification.paid_at,
        )

    def reply(self, ok: bool) -> NotifyReply:
        if ok:
            return NotifyReply(200, "application/json", json.dumps({"code": "SUCCESS"}))
        return NotifyReply(400, "application/json", json.dumps({"code": "FAIL", "message": "refused"}))

    def query(self, payment_id: str) -> ProviderPayment:
        """The sandbox keeps no trades: an unpaid one is simply pending."""
        return ProviderPayment(payment_id, None, 0, PaymentState.PENDING, None)

    def close(self, payment_id: str) -> None:
        """Nothing to close: a sandbox trade is paid when opened or never."""

    def refund(
        self, *, payment_id: str, refund_id: str, amount: int, total: int, reason: str, notify_url: str
    ) -> ProviderRefund:
        return ProviderRefund(refund_id, payment_id, stable_id("sbr_", refund_id), amount, RefundState.SUCCEEDED)

    def query_refund(self, payment_id: str, refund_id: str) -> ProviderRefund:
        """The sandbox keeps no refunds: one it was asked for succeeded in its answer, so one still open at our
        end never reached it (the call failed) and is to be asked again."""
        raise refund_not_found("The sandbox", payment_id=payment_id, refund_id=refund_id)
