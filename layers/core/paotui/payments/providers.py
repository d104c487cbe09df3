"""The payment-provider interface: what the payments service asks of WeChat Pay and Alipay.

Why: the service owns payment intents and applies notifies exactly once; a
provider only opens, reports on, closes and refunds trades at its end and
verifies the callbacks it sends. Each provider's protocol (signatures, key
formats, money units, time zones, error codes) stays inside its adapter
(``wechatpay.py``, ``alipay.py``), so the service sees one shape: integer fen,
UTC ISO-8601 times, our ids (``payment_id`` is the provider's
``out_trade_no``, ``refund_id`` its ``out_refund_no``/``out_request_no``).

How: an adapter is built once per container from its Secrets Manager secret
(``...Config.from_secret(json_text)``) and keeps its HTTP client. A notify
handler calls ``parse_notify(headers, raw_body)``; it returns verified data or
raises ``Unauthorized`` and never returns unverified data; the handler then
answers with ``reply(ok)`` exactly as the provider expects. Network or
provider failures raise ``BadGateway(code="PAYMENT_PROVIDER_UNAVAILABLE")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from paotui.platform.errors import BadGateway, Conflict, NotFound

PROVIDER_UNAVAILABLE = "PAYMENT_PROVIDER_UNAVAILABLE"
INVALID_SIGNATURE = "INVALID_SIGNATURE"
REFUND_NOT_FOUND = "REFUND_NOT_FOUND"
REFUND_REFUSED = "REFUND_REFUSED"
REFUND_HELD_UP = "REFUND_HELD_UP"


class PaymentState(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    CLOSED = "CLOSED"
    FAILED = "FAILED"


class RefundState(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ProviderPayment:
    """What a verified notify or a query says about one payment."""

    payment_id: str
    """Our id, the provider's ``out_trade_no``."""
    provider_txn_id: str | None
    amount: int
    """Fen, as the provider reports the trade's total."""
    state: PaymentState
    paid_at: str | None
    """ISO-8601 UTC with ``Z``, when the provider says it was paid."""


@dataclass(frozen=True)
class ProviderRefund:
    refund_id: str
    """Our id, the provider's ``out_refund_no`` (WeChat) / ``out_request_no`` (Alipay)."""
    payment_id: str
    provider_refund_id: str | None
    amount: int
    """Fen refunded (see each adapter for what a notify reports)."""
    state: RefundState


@dataclass(frozen=True)
class NotifyReply:
    """What the HTTP handler must answer the provider's callback with."""

    status: int
    content_type: str
    body: str


@runtime_checkable
class PaymentProvider(Protocol):
    channel: str
    """``"wechat"`` or ``"alipay"``."""

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
        """Open the trade at the provider; returns what the client needs to pay."""
        ...

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> ProviderPayment | ProviderRefund:
        """Verify, decrypt and parse a callback; ``Unauthorized`` on any verification failure."""
        ...

    def reply(self, ok: bool) -> NotifyReply:
        """The answer the provider expects to a callback we accepted (``ok``) or refused."""
        ...

    def query(self, payment_id: str) -> ProviderPayment: ...

    def close(self, payment_id: str) -> None:
        """Idempotent; ``Conflict(code="ALREADY_PAID")`` if the provider says the trade is paid."""
        ...

    def refund(
        self, *, payment_id: str, refund_id: str, amount: int, total: int, reason: str, notify_url: str
    ) -> ProviderRefund:
        """Idempotent on ``refund_id``; ``Conflict(code="REFUND_REFUSED")`` (:func:`refund_refused`) when the
        provider refuses this refund for good, ``Conflict(code="REFUND_HELD_UP")`` (:func:`refund_held_up`) when
        it can't do it yet."""
        ...

    def query_refund(self, payment_id: str, refund_id: str) -> ProviderRefund:
        """The refund as the provider has it now (this refund's own amount).

        ``NotFound(code="REFUND_NOT_FOUND")`` when the provider has nothing it
        is doing about it (it never got the request, or Alipay did not do it):
        the provider's own advice is then to ask ``refund`` again with the same
        ``refund_id``.
        """
        ...


def unavailable(message: str, **details: object) -> BadGateway:
    return BadGateway(message, code=PROVIDER_UNAVAILABLE, details=_given(details))


def refund_refused(provider: str, **details: object) -> Conflict:
    """What ``refund`` raises when the provider refuses the refund for good: asked again, it would refuse again (the
    buyer's account is closed, the trade is past its refund period or no longer refundable, the amount is more than
    is left)."""
    return Conflict(f"{provider} refused the refund.", code=REFUND_REFUSED, details=_given(details))


def refund_held_up(provider: str, **details: object) -> Conflict:
    """What ``refund`` raises when the provider can't do the refund yet, for a reason on the merchant account's
    side that operators clear (its balance is short until topped up, the trade is frozen): the refund stays open and
    the refund sweep asks again."""
    return Conflict(f"{provider} can't do the refund yet.", code=REFUND_HELD_UP, details=_given(details))


def refund_not_found(provider: str, **details: object) -> NotFound:
    """What ``query_refund`` raises for a refund the provider is not doing: ask ``refund`` again."""
    return NotFound(f"{provider} has no such refund.", code=REFUND_NOT_FOUND, details=_given(details))


def _given(details: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in details.items() if v is not None}
