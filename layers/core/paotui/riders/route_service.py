"""A rider's way through their orders, read from the tables: their route, and each order's next place.

The route (``GET /riders/me/route``) is the stops of the orders the rider
carries (paotui.dispatch.workload: ASSIGNED and PICKING_UP orders still need
their pickup, DELIVERING ones only their drop-off), ordered by
paotui.riders.route from where the rider last reported being, now, at the
speed dispatch plans with (``delivery_speed_m_per_min`` over the great-circle
distance times ``road_detour``), each kitchen ready when dispatch expects it.
Every stop has links to the rider's map apps (paotui.riders.navigation); their
web pages start at the stop before (the rider's position for the first).
"""

from __future__ import annotations

from paotui.dispatch.workload import CARRYING, carried_by, prep_minutes, ready_at, road_minutes
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.errors import Conflict
from paotui.platform.settings import get_settings
from paotui.riders.navigation import (
    OrderNavigation,
    Place,
    Point,
    RiderRoute,
    RoutePosition,
    RouteStop,
    map_links,
    travel_mode,
)
from paotui.riders.route import Job, plan_stops
from paotui.riders.service import find_rider, get_rider


def rider_route(rider_id: str) -> RiderRoute:
    """The rider's stops, in the order to make them; 409 ``LOCATION_REQUIRED`` while we don't know where they are."""
    rider = get_rider(rider_id)
    if rider.location is None:
        raise Conflict("Send your location first: your route starts where you are.", code="LOCATION_REQUIRED")
    settings, now = get_settings(), clock.now()
    position = (float(rider.location.lat), float(rider.location.lng))
    orders = {order.id: order for order in carried_by(rider.id)}
    prep = prep_minutes([order for order in orders.values() if _needs_pickup(order)])
    jobs = [
        Job(
            order_id=order.id,
            dropoff=_point(_dropoff(order)),
            pickup=_point(_pickup(order)) if _needs_pickup(order) else None,
            store=order.merchant_id,  # an errand has none: its pickup is its own
            ready_at=ready_at(order, prep) if _needs_pickup(order) else None,
        )
        for order in orders.values()
    ]
    stops = plan_stops(position, now, jobs, road_minutes, exact_limit=settings.route_exact_max_orders)
    mode, origin, views = travel_mode(rider.vehicle), position, []
    for stop in stops:
        first = orders[stop.order_ids[0]]
        place = _pickup(first) if stop.kind == "pickup" else _dropoff(first)
        views.append(
            RouteStop(
                order_id=first.id,
                order_ids=list(stop.order_ids),
                kind=stop.kind,
                place=place,
                ready_at=clock.iso(stop.ready_at) if stop.ready_at else None,
                eta=clock.iso(stop.eta),
                depart_at=clock.iso(stop.depart_at),
                links=map_links(place, mode, origin),
            )
        )
        origin = stop.point
    return RiderRoute(
        generated_at=clock.iso(now),
        position=RoutePosition(lat=position[0], lng=position[1], at=rider.location_at),
        stops=views,
    )


def order_navigation(order: OrderRecord) -> OrderNavigation | None:
    """Where the order's rider goes next for it (its pickup until picked up, then its drop-off), with the links;
    None once the order is not on a rider's way."""
    if order.status not in CARRYING or not order.rider_id:
        return None
    rider = find_rider(order.rider_id)
    if rider is None:
        return None
    target = "pickup" if _needs_pickup(order) else "dropoff"
    place = _pickup(order) if target == "pickup" else _dropoff(order)
    origin = (float(rider.location.lat), float(rider.location.lng)) if rider.location else None
    return OrderNavigation(target=target, links=map_links(place, travel_mode(rider.vehicle), origin))


def _needs_pickup(order: OrderRecord) -> bool:
    return order.status != Status.DELIVERING.value


def _pickup(order: OrderRecord) -> Place:
    detail = order.errand.pickup_address.detail if order.errand else None
    return Place(lat=float(order.pickup.lat), lng=float(order.pickup.lng), name=order.pickup.name, detail=detail)


def _dropoff(order: OrderRecord) -> Place:
    return Place(lat=float(order.address.lat), lng=float(order.address.lng), detail=order.address.detail)


def _point(place: Place) -> Point:
    return (place.lat, place.lng)
