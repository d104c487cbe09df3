"""Routes of OrdersApi for ratings and complaints (orders.feedback). Thin: parse, authorize, call the service."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders import feedback
from paotui.orders.feedback_models import DecideComplaint, FileComplaint, RateOrder
from paotui.orders.models import OrderView
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Customer = Annotated[Principal, Depends(require_role("customer"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.post("/orders/<orderId>/rating")
def rate_order(orderId: str, body: RateOrder, caller: Customer) -> OrderView:  # noqa: N803 (API path name)
    """Rate a delivered order (its customer, once)."""
    return OrderView.of(feedback.rate(orderId, caller, body.stars, body.comment))


@router.post("/orders/<orderId>/complaints")
def file_complaint(orderId: str, body: FileComplaint, caller: Customer) -> OrderView:  # noqa: N803
    """Complain about the delivery of an order a rider was assigned (its customer, once)."""
    return OrderView.of(feedback.complain(orderId, caller, body.reason))


@router.post("/orders/<orderId>/complaint/decision")
def decide_complaint(orderId: str, body: DecideComplaint, caller: Admin) -> OrderView:  # noqa: N803
    """Uphold (the rider is penalised under the incentive rules) or dismiss the order's complaint (admins, once)."""
    return OrderView.of(feedback.decide(orderId, caller, body.upheld, body.note))
