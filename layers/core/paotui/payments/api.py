"""Routes of PaymentsApi: pay, the providers' signed callbacks, refunds, and an order's money."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders import service as orders
from paotui.payments import refunds, service
from paotui.payments.channels import Providers, default_providers
from paotui.payments.models import OrderMoney, PaymentView, PayRequest, RefundRequest, RefundView
from paotui.payments.records import PaymentRecord, RefundRecord
from paotui.platform.auth import Principal, current_principal, require_role
from paotui.platform.http import json_response, required_idempotency_key

router = APIGatewayRouter()

Caller = Annotated[Principal, Depends(current_principal)]


def get_providers() -> Providers:
    """The container's providers; tests override this dependency (e.g. to deliver sandbox callbacks in-process)."""
    return default_providers()


Channels = Annotated[Providers, Depends(get_providers)]


def payment_view(payment: PaymentRecord) -> PaymentView:
    return PaymentView(
        payment_id=payment.id,
        order_id=payment.order_id,
        channel=payment.channel,
        amount=int(payment.amount),
        refunded=int(payment.refunded or 0),
        status=payment.status,
        paid_at=payment.paid_at,
        params=json.loads(payment.client_params) if payment.client_params else {},
    )


def refund_view(refund: RefundRecord) -> RefundView:
    return RefundView(
        refund_id=refund.id,
        payment_id=refund.payment_id,
        channel=refund.channel,
        amount=int(refund.amount),
        status=refund.status,
        reason=refund.reason,
        requested_by=refund.requested_by,
        created_at=refund.created_at,
        updated_at=refund.updated_at,
        failure=refund.failure,
    )


@router.post("/orders/<orderId>/pay")
def pay(
    orderId: str,  # noqa: N803 (API path name)
    body: PayRequest,
    caller: Annotated[Principal, Depends(require_role("customer"))],
    providers: Channels,
) -> PaymentView:
    return payment_view(service.start_payment(orderId, caller, body.channel, providers))


@router.post("/payments/notify/<channel>")
def notify(channel: str, request: Request, providers: Channels) -> Response[str]:
    """The provider's callback: the raw bytes matter (the signature covers them), and so does the answer's form."""
    event = request.resolved_event
    raw = event.decoded_body or ""
    reply = service.handle_notify(channel, dict(event.headers or {}), raw.encode(), providers)
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)


@router.post("/orders/<orderId>/refunds", responses={201: {"description": "The refund, opened or replayed"}})
def refund(
    orderId: str,  # noqa: N803 (API path name)
    body: RefundRequest,
    caller: Caller,
    providers: Channels,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[RefundView]:
    key = required_idempotency_key(idempotency_key)
    order = orders.get_visible_order(orderId, caller)
    opened = refunds.refund_part(
        order,
        orders.actors_for(order, caller),
        amount=body.amount,
        reason=body.reason,
        key=key,
        by=caller.user_id,
        providers=providers,
    )
    return json_response(201, refund_view(opened).model_dump(mode="json"))


@router.get("/orders/<orderId>/payments")
def order_money(orderId: str, caller: Caller) -> OrderMoney:  # noqa: N803 (API path name)
    order = orders.get_visible_order(orderId, caller)
    return OrderMoney(
        payments=[payment_view(p) for p in sorted(service.payments_of(order.id), key=lambda p: p.created_at)],
        refunds=[refund_view(r) for r in sorted(refunds.refunds_of(order.id), key=lambda r: r.created_at)],
    )
