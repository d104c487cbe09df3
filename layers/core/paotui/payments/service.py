"""Payments: open a trade at the channel's provider, apply its signed callbacks once, close trades on timeout.

Exactly once: the payment item flips to SUCCEEDED conditionally and the order
flips PENDING_PAYMENT → PAID conditionally; both are no-ops the second time,
so a provider's retries, reorderings and concurrent deliveries apply once.
Every callback's amount is checked against the payment, which is the order's
total. Money that arrives for an order already cancelled (a payment racing
the timeout) is refunded at once and the order stays cancelled.

Trade numbers: a provider's ``out_trade_no`` is the order id's 32 hex digits
(the providers' length limit), so a callback, which names only the trade,
finds its order with one strongly consistent read. An order has at most one
trade per channel; a second ``/pay`` on the same channel answers the same
client parameters without asking the provider again. A customer who opens
a second channel may pay both: the payment that moves the order to PAID is
the one kept, the order's other open trades are closed at once, and a
payment that still arrives on another channel is refunded whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, PutError

from paotui.orders import service as orders
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Actor, Status
from paotui.payments import refunds
from paotui.payments.channels import Providers
from paotui.payments.providers import NotifyReply, PaymentState, ProviderPayment, ProviderRefund
from paotui.payments.records import PAID_BY, PaymentRecord, PaymentStatus, payer_of
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.dynamo import condition_failed, update_if
from paotui.platform.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized, Unprocessable
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

_ORDER_ID = re.compile(r"ord_([0-9a-f]{32})")


def trade_no(order_id: str) -> str:
    match = _ORDER_ID.fullmatch(order_id)
    if match is None:
        raise ValueError(f"not an order id: {order_id!r}")
    return match.group(1)


def order_id_of(trade: str) -> str:
    return f"ord_{trade}"


def payment_id(order_id: str, channel: str) -> str:
    return stable_id("pay_", order_id, channel)


def start_payment(order_id: str, caller: Principal, channel: str, providers: Providers) -> PaymentRecord:
    """Open (or re-answer) the order's trade on ``channel``; the record carries the client's parameters."""
    order = orders.get_visible_order(order_id, caller)
    if Actor.CUSTOMER not in orders.actors_for(order, caller):
        raise Forbidden("Only the customer pays for an order.", code="NOT_YOUR_ORDER")
    if order.status != Status.PENDING_PAYMENT.value:
        raise Conflict(f"An order that is {order.status} can't be paid.", code="ORDER_NOT_PAYABLE")
    provider = providers.for_payment(channel)
    payer = _payer(caller.user_id, channel)  # before the intent: a refused payer leaves nothing behind
    payment = _intent(order, channel)
    if payment.status == PaymentStatus.CREATED and payment.client_params is None:
        params = provider.create(
            payment_id=payment.trade_no,
            amount=int(payment.amount),
            description=_description(order),
            payer_id=payer,
            notify_url=providers.notify_url(channel),
            expires_at=clock.parse_iso(order.created_at) + timedelta(seconds=get_settings().payment_timeout_seconds),
        )
        update_if(
            payment,
            actions=[PaymentRecord.client_params.set(json.dumps(params, separators=(",", ":")))],
            condition=PaymentRecord.client_params.does_not_exist(),
        )  # a double tap: the other request stored the same trade's parameters first
    payment.refresh(consistent_read=True)
    return payment


def _intent(order: OrderRecord, channel: str) -> PaymentRecord:
    payment = PaymentRecord(
        order_id=order.id,
        id=payment_id(order.id, channel),
        channel=channel,
        trade_no=trade_no(order.id),
        amount=int(order.amounts.total),
        refunded=0,
        status=PaymentStatus.CREATED,
        created_at=clock.now_iso(),
    )
    try:
        payment.save(condition=PaymentRecord.id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        payment = PaymentRecord.get(order.id, payment.id, consistent_read=True)
    return payment


def _description(order: OrderRecord) -> str:
    """What the payer's app shows: the pickup's name and the first line (WeChat allows 127 bytes)."""
    first = order.items[0].name if order.items else "跑腿"
    more = f" 等{len(order.items)}件" if len(order.items) > 1 else ""
    return f"{order.pickup.name} - {first}{more}"[:40]


def _payer(user_id: str, channel: str) -> str | None:
    """The payer's id at the provider: the customer's openid for WeChat JSAPI (from their WeChat sign-in)."""
    if channel != "wechat":
        return None
    from paotui.accounts.records import IdentityRecord

    for identity in IdentityRecord.by_user.query(user_id):
        if identity.key.startswith("wechat#"):
            return identity.key.removeprefix("wechat#")
    raise Unprocessable("Sign in with WeChat to pay with WeChat Pay.", code="WECHAT_LOGIN_REQUIRED")


def handle_notify(channel: str, headers: Mapping[str, str], body: bytes, providers: Providers) -> NotifyReply:
    """Verify a provider's callback and apply it at most once; the reply is what that provider expects."""
    provider = providers.for_notify(channel)
    try:
        notice = provider.parse_notify(headers, body)
        if isinstance(notice, ProviderRefund):
            refunds.apply_notice(notice, order_id_of(notice.payment_id))
        else:
            apply_payment(channel, notice, providers)
    except (Unauthorized, Unprocessable, NotFound) as refused:
        logger.warning("notify refused", extra={"channel": channel, "code": refused.code, "reason": str(refused)})
        metrics.add_metric(name="PaymentNotifyRefused", unit="Count", value=1)
        return _refusal(provider.reply(False), refused)
    return provider.reply(True)


def _refusal(reply: NotifyReply, refused: DomainError) -> NotifyReply:
    """The provider's own refusal body, with our status: 401 forged, 404 unknown trade, 422 wrong amount."""
    return NotifyReply(refused.status, reply.content_type, reply.body)


def apply_payment(channel: str, notice: ProviderPayment, providers: Providers) -> PaymentRecord | None:
    """A provider says a trade is paid: record it, move the order, refund if the order is gone. Idempotent."""
    if notice.state != PaymentState.SUCCEEDED:
        logger.info("payment notice not a success", extra={"trade_no": notice.payment_id, "state": notice.state})
        return None
    order_id = order_id_of(notice.payment_id)
    try:
        payment = PaymentRecord.get(order_id, payment_id(order_id, channel), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such payment.", code="PAYMENT_NOT_FOUND") from None
    if notice.amount != payment.amount:
        logger.error("notify amount mismatch", extra={"payment_id": payment.id, "notified": notice.amount})
        metrics.add_metric(name="PaymentAmountMismatch", unit="Count", value=1)
        raise Unprocessable("The notified amount differs from the payment.", code="AMOUNT_MISMATCH")

    if not update_if(
        payment,
        actions=[
            PaymentRecord.status.set(PaymentStatus.SUCCEEDED),
            PaymentRecord.paid_at.set(notice.paid_at or clock.now_iso()),
            PaymentRecord.provider_txn_id.set(notice.provider_txn_id),
        ],
        # a closed trade that still got paid (Alipay keeps a QR code payable) is money received all the same
        condition=PaymentRecord.status.is_in(PaymentStatus.CREATED, PaymentStatus.CLOSED),
    ):
        payment.refresh(consistent_read=True)

    moved = orders.system_transition(
        order_id,
        Status.PAID,
        expected={Status.PENDING_PAYMENT},
        reason=f"paid via {channel}",
        by=f"{PAID_BY}{payment.id}",
    )
    order = moved or orders.get_order(order_id)
    payer = payer_of(order)
    if order.status == Status.CANCELLED.value:
        logger.warning("payment arrived for a cancelled order", extra={"order_id": order_id})
        metrics.add_metric(name="PaymentAfterCancel", unit="Count", value=1)
        refunds.refund_rest(
            order, reason="the order was cancelled before the payment arrived", by="system", providers=providers
        )
    elif payer is not None and payer != payment.id:
        logger.warning("order paid twice", extra={"order_id": order_id, "payment_id": payment.id, "paid_by": payer})
        metrics.add_metric(name="PaymentDuplicate", unit="Count", value=1)
        refunds.refund_duplicate(payment, providers=providers)
    elif payer == payment.id:
        close_unpaid(order_id, providers)  # the other channels the customer opened can't take a second payment
    orders.confirm_if_automatic(order)  # on every delivery: a crash between the two moves is finished by a retry
    return payment


def close_unpaid(order_id: str, providers: Providers) -> bool:
    """Close the order's open trades (before it is cancelled unpaid, or once one of them paid it); True if one
    turns out paid (then it is applied).

    A provider that says "already paid" is asked for the trade and the payment is
    applied as if its callback had come, so the order is paid, not cancelled. So is
    a payment recorded by a callback that died before it moved the order.
    """
    paid = False
    for payment in PaymentRecord.query(order_id, filter_condition=PaymentRecord.kind == "payment"):
        if payment.status == PaymentStatus.SUCCEEDED and not paid:
            if orders.get_order(order_id).status == Status.PENDING_PAYMENT.value:
                apply_payment(payment.channel, _recorded(payment), providers)
            paid = True
        if payment.status != PaymentStatus.CREATED:
            continue
        provider = providers.for_notify(payment.channel)
        try:
            provider.close(payment.trade_no)
        except Conflict as already:
            if already.code != "ALREADY_PAID":
                raise
            apply_payment(payment.channel, provider.query(payment.trade_no), providers)
            paid = True
            continue
        update_if(
            payment,
            actions=[PaymentRecord.status.set(PaymentStatus.CLOSED)],
            condition=PaymentRecord.status == PaymentStatus.CREATED,
        )
        logger.info("trade closed", extra={"order_id": order_id, "channel": payment.channel})
    return paid


def _recorded(payment: PaymentRecord) -> ProviderPayment:
    """A SUCCEEDED payment as its provider's callback told it."""
    return ProviderPayment(
        payment.trade_no, payment.provider_txn_id, int(payment.amount), PaymentState.SUCCEEDED, payment.paid_at
    )


def payments_of(order_id: str) -> list[PaymentRecord]:
    return list(PaymentRecord.query(order_id, filter_condition=PaymentRecord.kind == "payment"))
