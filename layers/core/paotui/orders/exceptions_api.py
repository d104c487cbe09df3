"""Routes of OrdersApi for a delivery gone wrong (orders.exceptions): the customer asks for another try."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders import exceptions
from paotui.orders.api import Customer, views_for
from paotui.orders.models import DeliveryRetry, OrderView

router = APIGatewayRouter()


@router.post("/orders/<orderId>/delivery-retry")
def ask_delivery_retry(orderId: str, body: DeliveryRetry, caller: Customer) -> OrderView:  # noqa: N803 (API path name)
    """The order's customer, reachable after all, has a DELIVERY_FAILED order brought again (DELIVERING; the rider
    is told). 403 ``NOT_YOUR_ORDER`` (not the customer), 409 ``DELIVERY_NOT_FAILED``, ``RETRY_LIMIT_REACHED``."""
    return views_for(caller)(exceptions.ask_retry(orderId, caller, body.note))
