"""Refunds: all that is left when an order is cancelled, part by the merchant or an admin, or what the platform
decides (a late order's compensation, a returned order's rule); each exactly once.

A refund's id comes from its purpose (``cancel`` for the automatic one, the
caller's Idempotency-Key for a manual one, ``late`` or ``return`` for the platform's) and is the provider's
``out_refund_no``, so asking twice (a redelivered event, a retried request, a
crash before the provider answered) refunds once at our end and at the
provider's. Opening a refund writes the refund item, adds its amount to the
payment's ``refunded`` on condition that the total stays within what was paid,
and counts it on the order, in one transaction: concurrent refunds can't
exceed the payment. Settling moves the refund out of PROCESSING conditionally
with the order's counters in the same transaction, so a provider's duplicate
refund callbacks settle it once. A FAILED refund gives its amount back to
the payment (it may be tried again under a new purpose) and alerts operations;
so does a refund the provider refuses for good (``REFUND_REFUSED``: the payer's
account closed, the trade past its refund period), at once and with the
provider's words, since asking again would be refused again.
A refund whose provider call failed, that the provider holds up (the balance
short), or whose callback never came, is followed up by the refund sweep
(``follow_up``, payments.refund_sweep).
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Actor
from paotui.payments.providers import REFUND_HELD_UP, REFUND_NOT_FOUND, REFUND_REFUSED, ProviderRefund, RefundState
from paotui.payments.records import (
    PENDING_REFUND,
    PaymentRecord,
    PaymentStatus,
    RefundRecord,
    RefundStatus,
    payer_of,
)
from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics

CANCEL_PURPOSE = "cancel"


DUPLICATE_PURPOSE = "duplicate"


def refund_rest(order: OrderRecord, *, reason: str, by: str, providers) -> list[RefundRecord]:
    """Refund what is left of every payment of the order (the automatic refund of a cancellation)."""
    payments = _succeeded_payments(order.id)
    done = [_refund_rest_of(payment, CANCEL_PURPOSE, reason, by, providers) for payment in payments]
    return [refund for refund in done if refund is not None]


def refund_duplicate(payment: PaymentRecord, *, providers) -> RefundRecord | None:
    """Give back, whole and once, a payment the order did not need: another channel's payment had paid it."""
    reason = "the order was already paid through another channel"
    return _refund_rest_of(payment, DUPLICATE_PURPOSE, reason, "system", providers)


def _refund_rest_of(payment: PaymentRecord, purpose: str, reason: str, by: str, providers) -> RefundRecord | None:
    """What is left of ``payment``, refunded once per ``purpose``; None when nothing was left to refund."""
    refund_id = stable_id("rfd_", payment.id, purpose)
    refund = _existing(payment.order_id, refund_id)
    rest = int(payment.amount) - int(payment.refunded)
    if refund is None and rest > 0:
        refund = _open(payment, refund_id, rest, reason, by)
    return None if refund is None else _submit(refund, payment, providers)


def refund_part(
    order: OrderRecord, actors: set[Actor], *, amount: int, reason: str, key: str, by: str, providers
) -> RefundRecord:
    """A partial (or whole) refund asked for by the order's merchant or an admin, once per idempotency key."""
    if not actors & {Actor.MERCHANT, Actor.ADMIN}:
        raise Forbidden("Only the order's merchant or an admin may refund it.", code="REFUND_FORBIDDEN")
    payment = _kept_payment(order)
    if payment is None:
        raise Conflict("The order has no payment to refund.", code="NOTHING_TO_REFUND")
    refund_id = stable_id("rfd_", payment.id, "manual", key)
    refund = _existing(order.id, refund_id)
    if refund is not None and (int(refund.amount), refund.reason) != (amount, reason):
        raise Unprocessable("This Idempotency-Key was used for a different refund.", code="IDEMPOTENCY_KEY_REUSED")
    refund = refund or _open(payment, refund_id, amount, reason, by)
    return _submit(refund, payment, providers)


def refund_for(
    order: OrderRecord, *, purpose: str, amount: int, reason: str, by: str, providers
) -> RefundRecord | None:
    """A refund the platform decides (a late order's compensation, a returned order's rule), once per ``purpose``:
    ``amount``, or what is left of the payment if less. None when nothing was paid or is left."""
    payment = _kept_payment(order)
    if payment is None:
        return None
    refund_id = stable_id("rfd_", payment.id, purpose)
    refund = _existing(order.id, refund_id)
    if refund is None:
        amount = min(amount, int(payment.amount) - int(payment.refunded))
        if amount <= 0:
            return None
        refund = _open(payment, refund_id, amount, reason, by)
    return _submit(refund, payment, providers)


def apply_notice(notice: ProviderRefund, order_id: str) -> RefundRecord:
    """A provider's refund callback (verified by its adapter): settle the refund it names, once."""
    refund = _existing(order_id, notice.refund_id)
    if refund is None:
        raise NotFound("No such refund.", code="REFUND_NOT_FOUND")
    return _settle_as(refund, notice)


def follow_up(refund_id: str, order_id: str, providers) -> RefundRecord:
    """A refund left PROCESSING (its provider call failed, or its callback never came): settled as its provider
    has it now, or asked for again (idempotent on its id) if the provider has nothing."""
    refund = RefundRecord.get(order_id, refund_id, consistent_read=True)
    if refund.status != RefundStatus.PROCESSING:
        return refund  # settled meanwhile (a callback, another run): nothing to ask
    payment = PaymentRecord.get(order_id, refund.payment_id, consistent_read=True)
    try:
        answer = providers.for_notify(refund.channel).query_refund(payment.trade_no, refund.id)
    except NotFound as missing:
        if missing.code != REFUND_NOT_FOUND:
            raise
        logger.warning("refund asked for again", extra={"order_id": order_id, "refund_id": refund_id})
        metrics.add_metric(name="RefundResubmitted", unit="Count", value=1)
        return _submit(refund, payment, providers)
    return _settle_as(refund, answer)


def refunds_of(order_id: str) -> list[RefundRecord]:
    return list(RefundRecord.query(order_id, filter_condition=RefundRecord.kind == "refund"))


def _succeeded_payments(order_id: str) -> list[PaymentRecord]:
    return [
        payment
        for payment in PaymentRecord.query(order_id, consistent_read=True)
        if payment.kind == "payment" and payment.status == PaymentStatus.SUCCEEDED
    ]


def _kept_payment(order: OrderRecord) -> PaymentRecord | None:
    """The payment a partial refund comes out of: the one that paid the order, not a duplicate given back."""
    succeeded = _succeeded_payments(order.id)
    payer = payer_of(order)
    return next((p for p in succeeded if p.id == payer), next(iter(succeeded), None))


def _existing(order_id: str, refund_id: str) -> RefundRecord | None:
    try:
        return RefundRecord.get(order_id, refund_id, consistent_read=True)
    except DoesNotExist:
        return None


def _open(payment: PaymentRecord, refund_id: str, amount: int, reason: str, by: str) -> RefundRecord:
    now = clock.now_iso()
    refund = RefundRecord(
        payment.order_id,
        refund_id,
        payment_id=payment.id,
        channel=payment.channel,
        amount=amount,
        status=RefundStatus.PROCESSING,
        reason=reason,
        requested_by=by,
        created_at=now,
        updated_at=now,
        pending=PENDING_REFUND,
    )
    try:
        with transact_write() as transaction:
            transaction.save(refund, condition=RefundRecord.id.does_not_exist())
            transaction.update(
                PaymentRecord(payment.order_id, payment.id),
                actions=[PaymentRecord.refunded.add(amount)],
                condition=(PaymentRecord.status == PaymentStatus.SUCCEEDED)
                & (PaymentRecord.refunded <= int(payment.amount) - amount),
            )
            transaction.update(
                OrderRecord(payment.order_id),
                actions=[OrderRecord.refunds_pending.add(1)],
                condition=OrderRecord.id.exists(),
            )
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        existing = _existing(payment.order_id, refund_id)
        if existing is not None:  # a concurrent request opened this very refund
            return existing
        payment.refresh(consistent_read=True)
        raise Unprocessable(
            "That is more than is left to refund.",
            code="REFUND_EXCEEDS_PAYMENT",
            details={"refundable": int(payment.amount) - int(payment.refunded)},
        ) from None
    logger.info("refund opened", extra={"order_id": payment.order_id, "refund_id": refund_id, "amount": amount})
    return refund


def _settle_as(refund: RefundRecord, reported: ProviderRefund) -> RefundRecord:
    """Settle ``refund`` as its provider reports it (a callback, a query), if the amount can be this refund's."""
    if reported.amount < int(refund.amount):  # Alipay's callback: the trade's refunded total; else this refund's
        metrics.add_metric(name="RefundAmountMismatch", unit="Count", value=1)
        raise Unprocessable("The reported refund amount is less than the refund.", code="AMOUNT_MISMATCH")
    return _settle(refund, reported.state, reported.provider_refund_id)


def _submit(refund: RefundRecord, payment: PaymentRecord, providers) -> RefundRecord:
    """Ask the provider (again, harmlessly: it is idempotent on the refund id) unless the refund is settled.

    A refusal for good (``REFUND_REFUSED``: the buyer's account closed, the trade past its refund period) fails the
    refund at once, with the provider's words: asking again would be refused again. A hold-up (``REFUND_HELD_UP``:
    the merchant account's balance short) leaves it PROCESSING, as the provider's own "processing" would, for the
    sweep to ask again once operators have cleared it (metric ``RefundHeldUp``). Any other error leaves it
    PROCESSING too, and reaches the caller (a retry, with the same id, is the cure)."""
    if refund.status != RefundStatus.PROCESSING:
        return refund
    try:
        answer = providers.for_notify(refund.channel).refund(
            payment_id=payment.trade_no,
            refund_id=refund.id,
            amount=int(refund.amount),
            total=int(payment.amount),
            reason=refund.reason,
            notify_url=providers.notify_url(refund.channel),
        )
    except Conflict as refused:
        if refused.code == REFUND_REFUSED:
            return _settle(refund, RefundState.FAILED, None, failure=_provider_words(refused))
        if refused.code != REFUND_HELD_UP:
            raise
        logger.warning(
            "refund held up at the provider",
            extra={"order_id": refund.order_id, "refund_id": refund.id, "provider": _provider_words(refused)},
        )
        metrics.add_metric(name="RefundHeldUp", unit="Count", value=1)
        return refund
    return _settle(refund, answer.state, answer.provider_refund_id)


def _provider_words(refused: Conflict) -> str:
    """What the provider said, as its code and message (``USER_ACCOUNT_ABNORMAL: 退款请求失败，用户帐号注销``)."""
    details = refused.details
    code = details.get("provider_sub_code") or details.get("provider_code") or refused.code
    message = details.get("provider_message")
    return f"{code}: {message}"[:200] if message else str(code)


def _settle(
    refund: RefundRecord, state: RefundState, provider_refund_id: str | None, *, failure: str | None = None
) -> RefundRecord:
    """Move the refund out of PROCESSING as ``state`` says (once), with the order's counters; ``failure``: why the
    provider refused it, kept on a FAILED refund."""
    if state == RefundState.PROCESSING or refund.status != RefundStatus.PROCESSING:
        return refund
    amount = int(refund.amount)
    succeeded = state == RefundState.SUCCEEDED
    order_actions = [OrderRecord.refunds_pending.add(-1)]
    order_actions.append(OrderRecord.refunded.add(amount) if succeeded else OrderRecord.refunds_failed.add(1))
    try:
        with transact_write() as transaction:
            transaction.update(
                refund,
                actions=[
                    RefundRecord.status.set(RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED),
                    RefundRecord.provider_refund_id.set(provider_refund_id),
                    RefundRecord.updated_at.set(clock.now_iso()),
                    RefundRecord.pending.remove(),
                    *([RefundRecord.failure.set(failure)] if failure else []),
                ],
                condition=RefundRecord.status == RefundStatus.PROCESSING,
            )
            transaction.update(OrderRecord(refund.order_id), actions=order_actions, condition=OrderRecord.id.exists())
            if not succeeded:
                transaction.update(
                    PaymentRecord(refund.order_id, refund.payment_id), actions=[PaymentRecord.refunded.add(-amount)]
                )
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        refund.refresh(consistent_read=True)  # a concurrent callback settled it first
        return refund
    if not succeeded:
        logger.error(
            "refund failed at the provider",
            extra={"order_id": refund.order_id, "refund_id": refund.id, "failure": failure},
        )
        metrics.add_metric(name="RefundFailed", unit="Count", value=1)
    logger.info("refund settled", extra={"order_id": refund.order_id, "refund_id": refund.id, "state": str(state)})
    refund.refresh(consistent_read=True)
    return refund
