"""Rolling-horizon dispatch: every run plans a round for the zone around an order's store with the engine.

A run starts when an order is confirmed and whenever the watchdog asks again
(``dispatch.requested``, every offer TTL while the order has no rider), so a
zone gets a round as soon as an order arrives and again every offer TTL while
anything in it is open. The round reads, as one consistent picture:

- the zone's open orders (its pool: confirmed, no rider, no live offer);
- the online riders around the order's store (H3 rings), each with the route of the
  orders they already carry, so a busy rider is planned after their work, and
  with room only for what their unanswered offers leave;
- recent refusals (rejected or lapsed offers) for the cooldown;
- the zone's merchant orders placed lately (``placed#<zone>`` items, written as
  orders join the pool), which tell the engine where the next orders will come from.

``engine.plan_round`` decides. Each assignment becomes one offer per order to
the same rider, sharing a ``bundle_id`` (one trip: one store, several
drop-offs). Deferred and unplaceable orders stay in the pool for the next
round. One round runs per zone at a time (a lease item); a run that finds the
lease taken asks its holder to plan its order (kept on the lease item), and
the running round plans once more if its pool grew while it planned, or for
the orders asked of it that it had not planned yet (newcomers, and orders it
skipped while a rider decided on them, which the rider has since refused).

This module reads and writes tables; everything that decides is the engine's,
imported with the module so that a container pays for numpy and scipy while it
starts, not during its first round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from paotui.dispatch.engine import (
    HaversineTravel,
    Order,
    Params,
    Placement,
    Refusal,
    Rider,
    RoundState,
    Stop,
    plan_round,
)
from paotui.dispatch.records import OfferRecord, OfferStatus
from paotui.dispatch.service import FOR_A_CARRIER, RIDER_FULL, needs_no_rider, open_offers_of_rider
from paotui.dispatch.workload import carried_by, prep_minutes, ready_at
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed, delete_returning, table_meta
from paotui.platform.geo import cell_of, ring_cells
from paotui.platform.ids import new_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.riders.records import RiderRecord

_LEASE_SECONDS = 30
_POOL_DAYS = 2
_CANDIDATE_RIDERS = 24  # riders a round looks at, at most (the engine keeps the nearest per store)
_MORE_ROUNDS = 2  # plan again at most this often when the pool grew during a round or another run asked
_LEASE_TRIES = 3  # take the lease or ask its holder: the lease may change hands between the two
_RINGS = "@"  # an ask for a widened search: "<order id>@<rings>"


class PoolEntry(Model):
    """An order waiting in its zone's pool (kept in the Watches table: same keys, no stream)."""

    Meta = table_meta("watches_table")

    order_id = UnicodeAttribute(hash_key=True)  # "pool#<zone>"
    step = UnicodeAttribute(range_key=True)  # the order id
    created_at = UnicodeAttribute()
    ttl = NumberAttribute()


class RecentPlacement(Model):
    """A merchant order placed in the zone (Watches table: ``placed#<zone>`` / ``<created_at>#<order id>``).

    Kept a day; a round reads the last ``Params.placement_window`` minutes of them with one query.
    """

    Meta = table_meta("watches_table")

    order_id = UnicodeAttribute(hash_key=True)  # "placed#<zone>"
    step = UnicodeAttribute(range_key=True)  # "<created_at>#<order id>": in placement order
    store = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    placed_at = UnicodeAttribute()
    ttl = NumberAttribute()


class ZoneLease(Model):
    """Who is planning a zone's round, until when (Watches table: ``lease#<zone>`` / ``round``)."""

    Meta = table_meta("watches_table")

    order_id = UnicodeAttribute(hash_key=True)
    step = UnicodeAttribute(range_key=True)
    holder = UnicodeAttribute()
    until = NumberAttribute()  # epoch seconds
    ttl = NumberAttribute()
    asked = UnicodeSetAttribute(null=True)  # orders whose runs found the lease taken ("<id>" or "<id>@<rings>")


@dataclass(frozen=True)
class PlannedOffer:
    """An offer the round decided: ``order`` to ``rider_id`` as part of ``bundle_id`` (of ``bundle_size``).

    ``earlier`` are the order's offers as the round read them, none of them live: the new offer's attempt counts
    them, so a run that wrote one for the order since then makes this offer's id and it is written once."""

    order: OrderRecord
    rider_id: str
    rider_at: tuple[float, float]
    bundle_id: str
    bundle_size: int
    earlier: tuple[OfferRecord, ...]


def zone_of(lat: float, lng: float) -> str:
    return cell_of(lat, lng, get_settings().dispatch_zone_resolution)


def join_pool(order: OrderRecord) -> str:
    """Put the order in its zone's pool, and a merchant's order among the zone's placements (both idempotent);
    returns the zone. An errand's pickup is a one-off address, not a place orders come from again."""
    zone = zone_of(order.pickup.lat, order.pickup.lng)
    now = clock.now()
    PoolEntry(
        f"pool#{zone}",
        order.id,
        created_at=clock.iso(now),
        ttl=clock.epoch_seconds(now + timedelta(days=_POOL_DAYS)),
    ).save()
    if order.merchant_id:
        RecentPlacement(
            f"placed#{zone}",
            f"{order.created_at}#{order.id}",
            store=order.merchant_id,
            lat=float(order.pickup.lat),
            lng=float(order.pickup.lng),
            placed_at=order.created_at,
            ttl=clock.epoch_seconds(clock.parse_iso(order.created_at) + timedelta(days=1)),
        ).save()
    return zone


def plan(zone: str, center: tuple[float, float], order_id: str, rings: int | None = None) -> list[PlannedOffer] | None:
    """Run the zone's round(s) under its lease for ``order_id`` and the rest of the pool; the offers to make, or None
    when another run holds the lease (and has taken the order on).

    ``rings``: search riders this many H3 rings around ``center``, all of them (an escalated order whose nearest
    riders let it down, ``paotui.dispatch.escalation``); by default the usual search (:func:`_riders_near`).

    A run that finds the lease taken asks its holder to plan its order, with its search (:func:`_take_lease_or_ask`),
    and the holder learns of every ask as it lets go. It plans once more for the asks no round of its own answered:
    newcomers, orders it skipped because a rider was deciding on them (who has since refused), and orders it
    searched less widely for than their escalation asks. Without the ask, such an order would wait for its
    watchdog's next try, an offer wait.
    """
    holder = new_id("rnd_")
    planned: list[PlannedOffer] = []
    seen: set[str] = set()  # orders a round read: only others make another round under the same lease
    considered: set[str] = set()  # orders a round planned (whatever it decided), searching out to ``rings``
    params = _params()
    placements: tuple[Placement, ...] | None = None
    rounds = 0
    asking: dict[str, int | None] = {order_id: rings}
    for _ in range(1 + _MORE_ROUNDS):
        if not _take_lease_or_ask(zone, holder, asking):
            logger.info("a round is already planning this zone; it plans these orders too", extra={"zone": zone})
            return planned or None
        try:
            if placements is None:
                placements = recent_placements(zone, params.placement_window)
            while rounds <= _MORE_ROUNDS:
                entries = _pool(zone)
                if {entry.step for entry in entries} <= seen:
                    break
                seen |= {entry.step for entry in entries}
                open_orders, offers = _open_orders(entries)
                busy = {p.rider_id for p in planned}
                given = {p.order.id for p in planned}  # still in the pool: their offers are written after the rounds
                waiting = [order for order in open_orders if order.id not in given]
                considered |= {order.id for order in waiting}
                if not waiting:
                    break
                planned += _round(waiting, offers, placements, center, params, exclude_riders=busy, rings=rings)
                rounds += 1
        finally:
            asked = _release_lease(zone, holder)
        asking = {o: r for o, r in asked.items() if o not in considered or _wider(r, than=rings)}
        if not asking or rounds > _MORE_ROUNDS:
            return planned
        if any(_wider(r, than=rings) for r in asking.values()):  # the rounds from now on search as widely as asked
            rings, considered = max(r for r in asking.values() if r is not None), set()
        seen -= asking.keys()
    logger.info("this run's rounds are spent; orders asked of it wait", extra={"zone": zone, "orders": sorted(asking)})
    return planned


def _wider(rings: int | None, *, than: int | None) -> bool:
    """Whether a search out to ``rings`` goes beyond one out to ``than`` (None: the usual search)."""
    return rings is not None and (than is None or rings > than)


def _pool(zone: str) -> list[PoolEntry]:
    return list(PoolEntry.query(f"pool#{zone}", consistent_read=True))


def _params() -> Params:
    settings = get_settings()
    return Params(
        travel=HaversineTravel(speed=settings.delivery_speed_m_per_min, detour=settings.road_detour),
        # a trip is postponed only while it can still be offered, answered and started in time
        round_interval=settings.offer_ttl_seconds / 60 + settings.dispatch_lead_minutes,
    )


def _round(
    open_orders: list[OrderRecord],
    offers: Mapping[str, list[OfferRecord]],
    placements: tuple[Placement, ...],
    center: tuple[float, float],
    params: Params,
    exclude_riders: set[str],
    rings: int | None = None,
) -> list[PlannedOffer]:

    now = clock.now()
    nearby = [(rider, offered) for rider, offered in _riders_near(center, rings) if rider.id not in exclude_riders]
    riders = [rider for rider, _ in nearby]
    prep = prep_minutes(open_orders)
    state = RoundState(
        now=_minutes(now),
        orders=tuple(_engine_order(order, prep) for order in open_orders),
        riders=tuple(_engine_rider(rider, offered, params, now) for rider, offered in nearby),
        refusals=tuple(_refusals(open_orders, offers, now, params.refusal_cooldown))
        + _outside_zones(riders, open_orders, now),
        placements=placements,
    )
    decision = plan_round(state, params)
    by_id = {order.id: order for order in open_orders}
    at = {rider.id: (float(rider.location.lat), float(rider.location.lng)) for rider in riders}
    planned = []
    for assignment in decision.assignments:
        bundle_id = new_id("bdl_")
        for order_id in assignment.order_ids:
            planned.append(
                PlannedOffer(
                    by_id[order_id],
                    assignment.rider_id,
                    at[assignment.rider_id],
                    bundle_id,
                    len(assignment.order_ids),
                    tuple(offers[order_id]),
                )
            )
    logger.info(
        "dispatch round",
        extra={
            "orders": len(open_orders),
            "riders": len(riders),
            "assignments": len(decision.assignments),
            "bundled": sum(1 for a in decision.assignments if len(a.order_ids) > 1),
            "deferred": len(decision.deferred),
            "unassigned": len(decision.unassigned),
            "placements": len(placements),
        },
    )
    metrics.add_metric(name="DispatchRounds", unit="Count", value=1)
    return planned


# --- the round's picture ----------------------------------------------------------------------


def _open_orders(entries: Sequence[PoolEntry]) -> tuple[list[OrderRecord], dict[str, list[OfferRecord]]]:
    """The pool's orders that still need a rider, with the offers each has had (the round's refusals come from
    them); the rest leave the pool."""
    found = {o.id: o for o in OrderRecord.batch_get([entry.step for entry in entries], consistent_read=True)}
    now_iso = clock.now_iso()
    waiting, offers = [], {}
    for entry in entries:
        order = found.get(entry.step)
        if order is None or needs_no_rider(order):
            entry.delete()
            continue
        offers[order.id] = list(OfferRecord.by_order.query(order.id))
        if any(offer.is_live(now_iso) for offer in offers[order.id]):
            continue  # a rider is deciding; the next round sees the answer
        waiting.append(order)
    return sorted(waiting, key=lambda order: (order.created_at, order.id)), offers


def recent_placements(zone: str, window_minutes: float) -> tuple[Placement, ...]:
    """The zone's merchant orders placed within the window, open or not (one query, in placement order)."""
    since = clock.iso(clock.now() - timedelta(minutes=window_minutes))
    return tuple(
        Placement(item.store, (float(item.lat), float(item.lng)), _minutes(clock.parse_iso(item.placed_at)))
        for item in RecentPlacement.query(f"placed#{zone}", RecentPlacement.step >= since)
    )


def _riders_near(center: tuple[float, float], rings: int | None = None) -> list[tuple[RiderRecord, int]]:
    """Online riders with room, each with the count of offers they have yet to answer (which take room too),
    searched ring by ring of H3 cells around ``center`` (one index query per cell). Those offers are read only for
    riders whose ``offered_until`` is still ahead: most riders near a store hold no offer, and one query per rider
    would make a round in a dense area wait for a couple of dozen reads in a row.

    The search stops once it has enough candidates for a round, or one ring after the ring where it found its
    second rider: beyond that, riders are farther than ones already found (to within a cell's width). A widened
    search (``rings`` given) goes on past the second rider to its last ring: the nearest riders had their chance.
    """
    from paotui.riders.service import online_riders_in

    settings = get_settings()
    widened = rings is not None
    cells = ring_cells(
        cell_of(center[0], center[1], settings.rider_cell_resolution),
        rings if widened else settings.dispatch_search_rings,
    )
    found: dict[str, tuple[RiderRecord, int]] = {}
    enough_at, now_iso = None, clock.now_iso()
    for k, ring in enumerate(cells):
        for rider in online_riders_in(ring):
            if rider.location is None or rider.active_orders >= rider.capacity:
                continue
            holding = rider.offered_until is not None and rider.offered_until > now_iso
            offered = len(open_offers_of_rider(rider.id)) if holding else 0
            if rider.active_orders + offered < rider.capacity:
                found[rider.id] = (rider, offered)
        if enough_at is None and len(found) >= 2 and not widened:
            enough_at = k + 1
        if len(found) >= _CANDIDATE_RIDERS or (enough_at is not None and k >= enough_at):
            break
    return [found[rider_id] for rider_id in sorted(found)]


def _engine_order(order: OrderRecord, prep: Mapping[str, int]) -> Order:
    placed = _minutes(clock.parse_iso(order.created_at))
    ready = _minutes(ready_at(order, prep))
    scheduled = _minutes(clock.parse_iso(order.scheduled_for)) if order.scheduled_for else None
    return Order(
        id=order.id,
        store=order.merchant_id or f"errand:{order.id}",
        pickup=(float(order.pickup.lat), float(order.pickup.lng)),
        dropoff=(float(order.address.lat), float(order.address.lng)),
        placed_at=placed,
        ready_at=ready,
        scheduled_at=scheduled,
    )


def _engine_rider(rider: RiderRecord, offered: int, params: Params, now: datetime) -> Rider:
    """The rider with the route of the orders they carry. The engine's room is capacity minus the orders on the
    route; ``active_orders``, which accepting checks, also counts orders off the route (a failed delivery whose
    goods they bring back holds its place until RETURNED), so those come off the capacity the engine sees. So does
    ``offered``, the offers earlier rounds made them that they have yet to answer: accepting those counts too."""
    position = (float(rider.location.lat), float(rider.location.lng))
    active = int(rider.active_orders)
    carrying = list(carried_by(rider.id)) if active else []
    return Rider(
        id=rider.id,
        position=position,
        online=bool(rider.online),
        capacity=int(rider.capacity) - max(0, active - len(carrying)) - offered,
        route=_route(position, carrying, params, _minutes(now)),
    )


def _route(
    position: tuple[float, float], carrying: Sequence[OrderRecord], params: Params, now: float
) -> tuple[Stop, ...]:
    """The stops still ahead of a rider: pickups not yet made, then drop-offs, with when they leave each."""

    def minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
        return float(params.travel.minutes(np.array([a]), np.array([b]))[0])

    stops, at, t = [], position, now
    for order in sorted(carrying, key=lambda o: o.created_at):
        if order.status != Status.DELIVERING.value:
            pickup = (float(order.pickup.lat), float(order.pickup.lng))
            t = t + minutes(at, pickup) + params.pickup_service
            stops.append(Stop("pickup", pickup, (order.id,), t))
            at = pickup
    for order in sorted(carrying, key=lambda o: o.created_at):
        dropoff = (float(order.address.lat), float(order.address.lng))
        t = t + minutes(at, dropoff) + params.dropoff_service
        stops.append(Stop("dropoff", dropoff, (order.id,), t))
        at = dropoff
    return tuple(stops)


def _refusals(
    open_orders: Sequence[OrderRecord], offers: Mapping[str, list[OfferRecord]], now: datetime, cooldown_minutes: float
) -> list[Refusal]:

    since = clock.iso(now - timedelta(minutes=cooldown_minutes))
    refusals = []
    for order in open_orders:
        for offer in offers[order.id]:
            lapsed = offer.status == OfferStatus.OPEN.value and offer.expires_at <= clock.iso(now)
            # withdrawn: closed unanswered near its end by a re-dispatch for another reason than its lapse, not
            # taken away for a carrier the order then went back from, or because the rider filled up (a cancelled
            # order's offers don't matter: it left the pool)
            closed = offer.status in (OfferStatus.REJECTED.value, OfferStatus.EXPIRED.value) or (
                offer.status == OfferStatus.WITHDRAWN.value and offer.decision_reason not in (FOR_A_CARRIER, RIDER_FULL)
            )
            when = offer.decided_at or offer.expires_at
            if (closed or lapsed) and when >= since:
                refusals.append(Refusal(offer.rider_id, order.id, _minutes(clock.parse_iso(when))))
    return refusals


def _outside_zones(
    riders: Sequence[RiderRecord], open_orders: Sequence[OrderRecord], now: datetime
) -> tuple[Refusal, ...]:
    """A rider's service zone is a standing refusal of every order picked up outside it (riders.records.ZoneMap)."""
    at = _minutes(now)
    return tuple(
        Refusal(rider.id, order.id, at)
        for rider in riders
        for order in open_orders
        if not rider.serves(float(order.pickup.lat), float(order.pickup.lng))
    )


def _minutes(moment: datetime) -> float:
    return moment.timestamp() / 60


# --- one round per zone ---------------------------------------------------------------------


def _take_lease_or_ask(zone: str, holder: str, asks: Mapping[str, int | None]) -> bool:
    """Take the zone's lease (True), or leave ``asks`` (order id → the rings to search for it, None for the usual
    search) with the run holding it (False), which plans them before it stops. The lease may be let go between a
    failed take and the ask, so the two are tried again in turn."""
    for _ in range(_LEASE_TRIES):
        if _take_lease(zone, holder):
            return True
        if _ask(zone, asks):
            return False
    logger.warning("the zone's lease changed hands on every try", extra={"zone": zone, "orders": sorted(asks)})
    return False


def _take_lease(zone: str, holder: str) -> bool:
    """An update, not a put: the asks made of a holder whose lease ran out (it died) pass to the next holder."""
    now = clock.epoch_seconds()
    try:
        ZoneLease(f"lease#{zone}", "round").update(
            actions=[
                ZoneLease.holder.set(holder),
                ZoneLease.until.set(now + _LEASE_SECONDS),
                ZoneLease.ttl.set(now + 3600),
            ],
            condition=ZoneLease.order_id.does_not_exist() | (ZoneLease.until < now),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def _ask(zone: str, asks: Mapping[str, int | None]) -> bool:
    """Add the asks to the live lease's; False if there is no live lease to ask."""
    entries = {order_id if rings is None else f"{order_id}{_RINGS}{rings}" for order_id, rings in asks.items()}
    try:
        ZoneLease(f"lease#{zone}", "round").update(
            actions=[ZoneLease.asked.add(entries)], condition=ZoneLease.until >= clock.epoch_seconds()
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def _release_lease(zone: str, holder: str) -> dict[str, int | None]:
    """Let go of the lease; the asks other runs made of the holder, each order with the widest search asked for it
    (none if the lease was no longer ours)."""
    lease = delete_returning(ZoneLease(f"lease#{zone}", "round"), condition=ZoneLease.holder == holder)
    asks: dict[str, int | None] = {}
    for entry in (lease.asked or set()) if lease else set():
        order_id, _, rings = entry.partition(_RINGS)
        wanted = int(rings) if rings else None
        asks[order_id] = wanted if _wider(wanted, than=asks.get(order_id)) else asks.get(order_id)
    return asks
