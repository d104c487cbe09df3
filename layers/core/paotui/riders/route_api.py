"""Route of RidersApi for a rider's way through their orders (paotui.riders.route_service). Thin."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.riders import route_service
from paotui.riders.api import RiderCaller
from paotui.riders.navigation import RiderRoute

router = APIGatewayRouter()


@router.get("/riders/me/route")
def get_route(caller: RiderCaller) -> RiderRoute:
    """The stops of the orders the rider carries, in the order to make them, with ETAs and map links; 409
    ``LOCATION_REQUIRED`` before the rider has reported a location."""
    return route_service.rider_route(caller.user_id)
