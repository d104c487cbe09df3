"""The sandbox provider's notify signature: only fresh, untampered callbacks verify."""

import json

import pytest

from paotui.payments import sandbox
from paotui.platform.errors import Unauthorized

SECRET = "s" * 64
NOTE = sandbox.Notification(trade_no="0" * 32, amount=2590, txn_id="sbx_1", paid_at="2026-01-01T00:00:00.000Z")


def test_signed_request_verifies():
    headers, body = sandbox.signed_request(SECRET, NOTE)
    assert sandbox.verify(SECRET, headers, body) == NOTE


def test_header_names_are_case_insensitive():
    headers, body = sandbox.signed_request(SECRET, NOTE)
    assert sandbox.verify(SECRET, {k.lower(): v for k, v in headers.items()}, body) == NOTE


def test_tampered_amount_is_rejected():
    headers, body = sandbox.signed_request(SECRET, NOTE)
    forged = json.dumps({**json.loads(body), "amount": 1}, separators=(",", ":")).encode()
    with pytest.raises(Unauthorized) as refused:
        sandbox.verify(SECRET, headers, forged)
    assert refused.value.code == "INVALID_SIGNATURE"


def test_other_secret_is_rejected():
    headers, body = sandbox.signed_request("another-secret", NOTE)
    with pytest.raises(Unauthorized):
        sandbox.verify(SECRET, headers, body)


def test_stale_notification_is_rejected():
    headers, body = sandbox.signed_request(SECRET, NOTE)
    timestamp = int(headers[sandbox.TIMESTAMP_HEADER])
    with pytest.raises(Unauthorized) as refused:
        sandbox.verify(SECRET, headers, body, now=timestamp + sandbox.MAX_CLOCK_SKEW_SECONDS + 1)
    assert refused.value.code == "STALE_NOTIFICATION"


def test_unsigned_notification_is_rejected():
    _, body = sandbox.signed_request(SECRET, NOTE)
    with pytest.raises(Unauthorized):
        sandbox.verify(SECRET, {}, body)
