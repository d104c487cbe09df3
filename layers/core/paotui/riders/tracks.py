"""Per-order tracks: the points a rider reports while carrying an order, for the people waiting on it.

A point goes to the track of every order its rider has picked up or is
picking up (PICKING_UP, DELIVERING), found through the Orders ``by-rider``
index. Each point expires ``rider_track_ttl_days`` after it was taken
(DynamoDB TTL). Suspect points are kept, flagged: the map may grey them out.

Who sees a track (``GET /orders/{orderId}/track``): the rider and admins
always; the merchant while the rider comes for the order and takes it away
(PICKING_UP, DELIVERING); the customer while it is on its way (DELIVERING).
Anyone else is told the order doesn't exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from paotui.orders.records import OrderRecord
from paotui.orders.service import actors_for
from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.settings import get_settings
from paotui.riders.movement import Judged
from paotui.riders.records import RiderRecord, RiderTrackRecord

_TRACKED = (Status.PICKING_UP.value, Status.DELIVERING.value)
_CARRYING = (Status.ASSIGNED.value, *_TRACKED)  # what ``active_orders`` counts
_ALWAYS = tuple(status.value for status in Status)
_VISIBLE_WHILE = {
    Actor.ADMIN: _ALWAYS,
    Actor.RIDER: _ALWAYS,
    Actor.MERCHANT: _TRACKED,
    Actor.CUSTOMER: (Status.DELIVERING.value,),
}


def tracked_orders(rider: RiderRecord) -> list[str]:
    """The ids of the rider's orders that are PICKING_UP or DELIVERING (none to look for without open orders).

    Newest first, stopping once as many open orders as the rider carries were
    found, so a rider's long history isn't read on every report.
    """
    wanted = int(rider.active_orders)
    if wanted <= 0:
        return []
    carrying = []
    for order in OrderRecord.by_rider.query(
        rider.id, filter_condition=OrderRecord.status.is_in(*_CARRYING), scan_index_forward=False
    ):
        carrying.append(order)
        if len(carrying) >= wanted:
            break
    return [order.id for order in carrying if order.status in _TRACKED]


def append(rider_id: str, order_ids: Sequence[str], judged: Sequence[Judged]) -> None:
    """Add the points to each order's track (a point re-sent lands on the same item: its key is its time)."""
    if not order_ids or not judged:
        return
    keep = timedelta(days=get_settings().rider_track_ttl_days)
    by_time = {clock.iso(point.fix.at): point for point in judged}  # a batch may not write one key twice
    with RiderTrackRecord.batch_write() as batch:
        for order_id in order_ids:
            for at, point in by_time.items():
                batch.save(
                    RiderTrackRecord(
                        order_id,
                        at,
                        rider_id=rider_id,
                        lat=point.fix.lat,
                        lng=point.fix.lng,
                        at=at,
                        accuracy_m=point.fix.accuracy_m,
                        suspect=point.suspect,
                        ttl=point.fix.at + keep,
                    )
                )


def visible_points(order: OrderRecord, caller: Principal) -> list[RiderTrackRecord]:
    """The order's track as far as ``caller`` may see it now, oldest point first (the caller relates to the order)."""
    if not any(order.status in _VISIBLE_WHILE.get(actor, ()) for actor in actors_for(order, caller)):
        return []
    return list(RiderTrackRecord.query(order.id))
