"""Routes of PaymentsApi: start a payment; receive a provider's signed notify callback."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.payments import sandbox, service
from paotui.payments.models import NotifyAck, PaymentView, PayRequest
from paotui.payments.records import PaymentRecord
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()


def notify_transport() -> sandbox.Transport:
    """How the sandbox provider reaches our notify URL; tests route it in-process."""
    return sandbox.http_transport


def _view(payment: PaymentRecord) -> PaymentView:
    return PaymentView(
        payment_id=payment.id,
        order_id=payment.order_id,
        channel=payment.channel,
        amount=int(payment.amount),
        status=payment.status,
        paid_at=payment.paid_at,
    )


@router.post("/orders/<orderId>/pay")
def pay(
    orderId: str,  # noqa: N803 (API path name)
    body: PayRequest,
    caller: Annotated[Principal, Depends(require_role("customer"))],
    transport: Annotated[sandbox.Transport, Depends(notify_transport)],
) -> PaymentView:
    return _view(service.start_payment(orderId, caller, body.channel, transport))


@router.post("/payments/notify/<channel>")
def notify(channel: str, request: Request) -> NotifyAck:
    """The provider's callback: the raw bytes matter, since the signature covers them."""
    event = request.resolved_event
    raw = event.decoded_body or ""
    service.handle_notify(channel, dict(event.headers or {}), raw.encode())
    return NotifyAck()
