"""Route of OrdersApi for an order's kitchen ticket: printed again on the shop's cloud printer (补打)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders.api import views_for
from paotui.orders.models import OrderView
from paotui.platform.auth import Principal, current_principal
from paotui.printing import kitchen

router = APIGatewayRouter()


@router.post("/orders/<orderId>/kitchen-ticket")
def reprint_ticket(
    orderId: str,  # noqa: N803 (API path name)
    caller: Annotated[Principal, Depends(current_principal)],
) -> OrderView:
    """Print the order's kitchen ticket again on the shop's cloud printer (补打); the order, its ``kitchen_print``
    counting the reprint."""
    return views_for(caller)(kitchen.reprint(orderId, caller))
