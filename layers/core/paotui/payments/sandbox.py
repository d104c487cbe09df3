"""The sandbox payment provider: a real signed notify callback, with no money involved.

It follows the shape of WeChat Pay v3 notifications: the provider signs
``timestamp\\nnonce\\nbody\\n`` and sends the signature in headers; the
receiver checks the signature and the timestamp's freshness before trusting
a byte of the body. Here the signature is HMAC-SHA256 with a secret from
Secrets Manager rather than RSA, since both ends are ours.
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

from paotui.platform.errors import Unauthorized

TIMESTAMP_HEADER = "Paotui-Sandbox-Timestamp"
NONCE_HEADER = "Paotui-Sandbox-Nonce"
SIGNATURE_HEADER = "Paotui-Sandbox-Signature"
MAX_CLOCK_SKEW_SECONDS = 300

Transport = Callable[[str, dict[str, str], bytes], int]
"""POSTs a body with headers to a URL and returns the HTTP status."""


@dataclass(frozen=True)
class Notification:
    payment_id: str
    order_id: str
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
