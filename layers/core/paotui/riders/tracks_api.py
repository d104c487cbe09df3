"""``GET /orders/{orderId}/track`` on RidersApi: the rider's way with an order, for those who may follow it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders.service import get_visible_order
from paotui.platform.auth import Principal, current_principal
from paotui.riders import tracks
from paotui.riders.models import TrackPointView, TrackView

router = APIGatewayRouter()

Caller = Annotated[Principal, Depends(current_principal)]


@router.get("/orders/<orderId>/track")
def get_track(orderId: str, caller: Caller) -> TrackView:  # noqa: N803 (API path name)
    """Oldest point first. The customer sees it while DELIVERING, the merchant while PICKING_UP or DELIVERING, the
    rider and admins always (else an empty list); 404 for anyone else."""
    order = get_visible_order(orderId, caller)
    points = [TrackPointView.of(point) for point in tracks.visible_points(order, caller)]
    return TrackView(order_id=order.id, points=points)
