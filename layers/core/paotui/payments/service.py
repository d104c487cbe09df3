"""Payment intents and notify callbacks: a callback moves the order once, however often it comes.

The payment item flips CREATED → SUCCEEDED conditionally and the order flips
PENDING_PAYMENT → PAID conditionally; both are no-ops the second time, so a
provider's retries, reorderings and concurrent deliveries apply once.
"""

from __future__ import annotations

from collections.abc import Mapping

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from paotui.orders import service as orders
from paotui.orders.transitions import Actor, Status
from paotui.payments import sandbox
from paotui.payments.records import PaymentRecord
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.secrets import secret_value
from paotui.platform.settings import get_settings

CHANNELS = ("wechat", "alipay", "sandbox")
_DELIVERY_ATTEMPTS = 3


def start_payment(order_id: str, caller: Principal, channel: str, transport: sandbox.Transport) -> PaymentRecord:
    order = orders.get_visible_order(order_id, caller)
    if Actor.CUSTOMER not in orders.actors_for(order, caller):
        raise Forbidden("Only the customer pays for an order.", code="NOT_YOUR_ORDER")
    if order.status != Status.PENDING_PAYMENT.value:
        raise Conflict(f"An order that is {order.status} can't be paid.", code="ORDER_NOT_PAYABLE")
    if channel != "sandbox":
        raise Unprocessable(
            f"The {channel} channel is not configured in this deployment.", code="CHANNEL_NOT_CONFIGURED"
        )
    if not get_settings().is_local:
        raise Unprocessable("The sandbox channel exists only in local and test stages.", code="CHANNEL_NOT_CONFIGURED")

    payment = _intent(order_id, channel, int(order.amounts.total))
    if payment.status == "CREATED":
        _deliver_sandbox_notification(payment, transport)
        payment.refresh(consistent_read=True)
    return payment


def _intent(order_id: str, channel: str, amount: int) -> PaymentRecord:
    payment = PaymentRecord(
        order_id=order_id,
        id=stable_id("pay_", order_id, channel),
        channel=channel,
        amount=amount,
        status="CREATED",
        created_at=clock.now_iso(),
    )
    try:
        payment.save(condition=PaymentRecord.id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        payment = PaymentRecord.get(order_id, payment.id, consistent_read=True)
    return payment


def _deliver_sandbox_notification(payment: PaymentRecord, transport: sandbox.Transport) -> None:
    """Send the signed callback the way a provider does: to our public notify URL, retried."""
    notification = sandbox.Notification(
        payment_id=payment.id,
        order_id=payment.order_id,
        amount=int(payment.amount),
        txn_id=stable_id("sbx_", payment.id),
        paid_at=clock.now_iso(),
    )
    url = f"{get_settings().public_base_url.rstrip('/')}/payments/notify/sandbox"
    for attempt in range(1, _DELIVERY_ATTEMPTS + 1):
        headers, body = sandbox.signed_request(secret_value(get_settings().payment_secret_arn), notification)
        try:
            status = transport(url, headers, body)
        except OSError as error:
            status = getattr(error, "code", None) or 0
        if 200 <= status < 300:
            return
        logger.warning("sandbox notify not accepted", extra={"attempt": attempt, "status": status})
    logger.error("sandbox notify undeliverable", extra={"payment_id": payment.id})


def handle_notify(channel: str, headers: Mapping[str, str], body: bytes) -> PaymentRecord:
    """Verify a provider's callback and apply it at most once."""
    if channel != "sandbox" or not get_settings().is_local:
        raise NotFound("No such payment channel.", code="CHANNEL_NOT_FOUND")
    notification = sandbox.verify(secret_value(get_settings().payment_secret_arn), headers, body)
    try:
        payment = PaymentRecord.get(notification.order_id, notification.payment_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such payment.", code="PAYMENT_NOT_FOUND") from None
    if notification.amount != payment.amount:
        logger.warning("notify amount mismatch", extra={"payment_id": payment.id, "notified": notification.amount})
        metrics.add_metric(name="PaymentAmountMismatch", unit="Count", value=1)
        raise Unprocessable("The notified amount differs from the payment.", code="AMOUNT_MISMATCH")

    try:
        payment.update(
            actions=[
                PaymentRecord.status.set("SUCCEEDED"),
                PaymentRecord.paid_at.set(notification.paid_at),
                PaymentRecord.provider_txn_id.set(notification.txn_id),
            ],
            condition=PaymentRecord.status == "CREATED",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        payment.refresh(consistent_read=True)

    moved = orders.system_transition(
        payment.order_id,
        Status.PAID,
        expected={Status.PENDING_PAYMENT},
        reason=f"paid via {channel}",
        by=f"payment:{payment.id}",
    )
    if moved is None and orders.get_order(payment.order_id).status == Status.CANCELLED.value:
        logger.warning("payment arrived for a cancelled order", extra={"order_id": payment.order_id})
        metrics.add_metric(name="PaymentAfterCancel", unit="Count", value=1)
    return payment
