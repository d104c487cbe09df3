"""Rolling-horizon dispatch: every run plans a round for the zone around an order's store with the engine.

A run starts when an order is confirmed and whenever the watchdog asks again
(``dispatch.requested``, every offer TTL while the order has no rider), so a
zone gets a round as soon as an order arrives and again every offer TTL while
anything in it is open; and when a rider comes on duty (``rider.online``,
:func:`plan_near`), or an order's end gives a rider room (its
``order.status_changed``), for the zones around them with orders waiting,
which then need not wait for their watchdogs' next try. The round reads,
with consistent reads but not at one instant (the rider search goes ring by
ring, so a rider who comes online while it reads may be missed, and a
farther one seen; the arrival's own run then has the zone planned again):

- the zone's open orders (its pool: confirmed, no rider, no live offer);
- the online riders around each of those orders' stores (H3 rings), each with
  the route of the orders they already carry, so a busy rider is planned after
  their work, and with room only for what their unanswered offers leave;
- recent refusals (rejected or lapsed offers) for the cooldown;
- the zone's merchant orders placed lately (``placed#<zone>`` items, written as
  orders join the pool), which tell the engine where the next orders will come from.

``engine.plan_round`` decides. Each assignment becomes one offer per order to
the same rider, sharing a ``bundle_id`` (one trip: one store, several
drop-offs). Deferred and unplaceable orders stay in the pool for the next
round. One round runs per zone at a time (a lease item), and makes its offers
before the next may start. A run that finds the lease taken asks its holder to
plan its order (kept on the lease item), and the running round plans once
more if its pool grew while it planned, or for the orders asked of it that it
had not planned yet (newcomers, orders it skipped while a rider decided on
them, which the rider has since refused, and escalated orders it searched
less widely for than they ask).

This module reads and writes tables; everything that decides is the engine's,
imported with the module so that a container pays for numpy and scipy while it
starts, not during its first round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
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
from paotui.dispatch import requests
from paotui.dispatch.records import OfferRecord, OfferStatus
from paotui.dispatch.service import FOR_A_CARRIER, RIDER_FULL, needs_no_rider, open_offers_of_rider
from paotui.dispatch.workload import carried_by, prep_minutes, ready_at
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.dynamo import delete_returning, side_by_side, table_meta, update_if
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.geo import cell_of, cell_points, ring_cells
from paotui.platform.ids import new_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.riders.records import RiderRecord

_LEASE_SECONDS = 30
_POOL_DAYS = 2
_CANDIDATE_RIDERS = 24  # riders a round looks at around a store, at most (as many as the engine keeps per store)
_PARALLEL_READS = 8  # reads of riders' offers or routes at once: a round around several stores sees dozens
_MORE_ROUNDS = 2  # plan again at most this often when the pool grew during a round or another run asked
_LEASE_TRIES = 3  # take the lease or ask its holder: the lease may change hands between the two
_RINGS = "@"  # an ask for a widened search: "<order id>@<rings>"
_WHOLE_POOL = "*"  # an ask for no one order: riders came on duty around the zone, so plan its whole pool again


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
    them, so a run that wrote one for the order since then makes this offer's id and it is written once.
    ``decided_at``: when the round read its picture; the offer's wait runs from then (a run's later round decides
    later than its first)."""

    order: OrderRecord
    rider_id: str
    rider_at: tuple[float, float]
    bundle_id: str
    bundle_size: int
    earlier: tuple[OfferRecord, ...]
    decided_at: datetime


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


def plan(
    zone: str, order_id: str | None, offer: Callable[[PlannedOffer], OfferRecord | None], rings: int | None = None
) -> list[OfferRecord] | None:
    """Run the zone's round(s) for ``order_id`` and the rest of the pool (:func:`plan_asks`); ``order_id`` None: for
    the whole pool, because riders came on duty (:func:`plan_near`)."""
    return plan_asks(zone, {order_id or _WHOLE_POOL: rings}, offer)


def plan_asks(
    zone: str, asks: Mapping[str, int | None], offer: Callable[[PlannedOffer], OfferRecord | None]
) -> list[OfferRecord] | None:
    """Run the zone's round(s) under its lease for ``asks`` (order id → rings, or ``*`` for the whole pool) and the
    rest of the pool, ``offer`` making each offer a round decides; the offers made, or None when another run holds
    the lease (and has taken the asks on).

    The offers are made before the lease is let go: a run that takes it next reads them, so it neither plans their
    orders again (a bundle split between two runs' offers) nor counts on their riders' room.

    An order's rings: search riders this many H3 rings around its store, all of them (an escalated order whose
    nearest riders let it down, ``paotui.dispatch.escalation``); None: the usual search (:func:`_riders_near`).

    A run that finds the lease taken asks its holder to plan its order, with its search (:func:`_take_lease_or_ask`),
    and the holder learns of every ask as it lets go. It plans once more for the asks no round of its own answered:
    newcomers, orders it skipped because a rider was deciding on them (who has since refused), orders whose offer
    from this run was turned down before it let go, and orders it searched less widely for than their escalation
    asks. Without the ask, such an order would wait for its watchdog's next try, an offer wait. A run for riders who
    came on duty asks for the whole pool: the holder's rounds may have read the riders before they came, so it plans
    every order it has not offered once more. A run plans at most ``1 + _MORE_ROUNDS`` rounds; what is still asked
    of it then goes to a fresh run (:func:`_hand_on`).
    """
    holder = new_id("rnd_")
    made: list[OfferRecord] = []
    seen: set[str] = set()  # orders a round read: only others make another round under the same lease
    considered: set[str] = set()  # orders a round planned (whatever it decided), with their search as widened
    given: set[str] = set()  # orders this run offered (their offers still open as far as it knows)
    widened: dict[str, int] = {}  # escalated orders: the rings to search around their stores
    params = _params()
    placements: tuple[Placement, ...] | None = None
    rounds = 0
    asking = dict(asks)
    for _ in range(1 + _MORE_ROUNDS):
        widened |= {o: r for o, r in asking.items() if r is not None and _wider(r, than=widened.get(o))}
        if not _take_lease_or_ask(zone, holder, asking):
            logger.info("a round is already planning this zone; it plans these orders too", extra={"zone": zone})
            return made or None
        try:
            if placements is None:
                placements = recent_placements(zone, params.placement_window)
            while rounds <= _MORE_ROUNDS:
                entries = _pool(zone)
                if {entry.step for entry in entries} <= seen:
                    break
                seen |= {entry.step for entry in entries}
                open_orders, offers = _open_orders(entries)
                # what this run offered already, whether or not the (eventually consistent) indexes show it yet
                busy = {offer.rider_id for offer in made}
                waiting = [order for order in open_orders if order.id not in given]
                considered |= {order.id for order in waiting}
                if not waiting:
                    break
                planned = _round(waiting, offers, placements, params, widened, exclude_riders=busy)
                made += [made_offer for made_offer in map(offer, planned) if made_offer is not None]
                given |= {made_offer.order_id for made_offer in made}
                rounds += 1
        finally:
            asked = _release_lease(zone, holder)
        whole_pool = _WHOLE_POOL in asked
        asked.pop(_WHOLE_POOL, None)
        again = {o for o, r in asked.items() if o not in considered or _wider(r, than=widened.get(o))}
        refused = _refused_since(made, asked.keys() - again)
        asking = {o: asked[o] for o in again | refused} | ({_WHOLE_POOL: None} if whole_pool else {})
        if not asking:
            return made
        if rounds > _MORE_ROUNDS:
            break
        seen = set() if whole_pool else seen - asking.keys()
        given -= refused
    _hand_on(zone, asking)
    return made


def _hand_on(zone: str, asks: Mapping[str, int | None]) -> None:
    """What was asked of a run whose rounds are spent goes to a fresh run (``dispatch.asked`` on DispatchQueue), not
    to the orders' watchdogs' next try, an offer wait away. Best effort: if it cannot be sent, those tries still
    come (a rider's arrival, ``*``, is then planned at the orders' next rounds)."""
    entries = sorted(ask_entries(asks))
    event = DomainEvent(
        id=new_id("ask_"),
        type=EventType.DISPATCH_ASKED,
        occurred_at=clock.now_iso(),
        subject=zone,
        data={"zone": zone, "asks": entries},
    )
    if requests.send_or_count(event, unsent_metric="DispatchAsksUnanswered", count=len(entries)):
        logger.info("this run's rounds are spent; what was asked of it goes to a fresh run", extra={"zone": zone})
        metrics.add_metric(name="DispatchAsksHandedOn", unit="Count", value=len(entries))


def plan_near(lat: float, lng: float, offer: Callable[[PlannedOffer], OfferRecord | None]) -> list[OfferRecord]:
    """A rider came on duty at (lat, lng): plan the round of every zone whose stores' usual rider search reaches
    them and whose pool holds orders (:func:`zones_reaching`), each under its lease; the offers made. A zone whose
    lease another run holds is asked to plan its whole pool once more before it lets go, since its rounds may have
    read the riders before this one came."""
    zones = zones_reaching(lat, lng)
    pools = side_by_side(_pool, zones, at_most=_PARALLEL_READS)
    made: list[OfferRecord] = []
    for zone, entries in zip(zones, pools, strict=True):
        if entries:
            made += plan(zone, None, offer) or []
    return made


def zones_reaching(lat: float, lng: float) -> list[str]:
    """The zones that may hold a store whose usual search (``dispatch_search_rings`` rings of rider cells) reaches
    the point: the zones of the centres and corners of the rider cells within that many rings of it (a zone is
    coarser than a rider cell, and a rider cell may straddle two zones)."""
    settings = get_settings()
    around = [
        cell
        for ring in ring_cells(cell_of(lat, lng, settings.rider_cell_resolution), settings.dispatch_search_rings)
        for cell in ring
    ]
    return sorted({zone_of(*point) for cell in around for point in cell_points(cell)})


def _refused_since(made: Sequence[OfferRecord], asked: set[str]) -> set[str]:
    """The asked orders whose offer from this run is no longer open: the rider turned it down (or it lapsed, or was
    withdrawn) while the run still held the lease, and the order's re-dispatch asked for it. Read only for asked
    orders this run offered; an order's own first run asks as a matter of course."""
    mine = [offer for offer in made if offer.order_id in asked]
    now = [OfferRecord.get(offer.id, consistent_read=True) for offer in mine]
    return {offer.order_id for offer in now if offer.status != OfferStatus.OPEN.value}


def _wider(rings: int | None, *, than: int | None) -> bool:
    """Whether a search out to ``rings`` goes beyond one out to ``than`` (None: the usual search)."""
    return rings is not None and (than is None or rings > than)


def _widest(rings: int | None, other: int | None) -> int | None:
    """The wider of two searches (None: the usual search)."""
    return rings if _wider(rings, than=other) else other


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
    params: Params,
    widened: Mapping[str, int],
    exclude_riders: set[str],
) -> list[PlannedOffer]:

    now = clock.now()
    found = _riders_near(_searches(open_orders, widened))
    nearby = [(rider, offered) for rider, offered in found if rider.id not in exclude_riders]
    riders = [rider for rider, _ in nearby]
    prep = prep_minutes(open_orders)
    carrying = _carrying(riders)
    cash = {rider.id: _cash_due(rider, carrying[rider.id], offered) for rider, offered in nearby}
    state = RoundState(
        now=_minutes(now),
        orders=tuple(_engine_order(order, prep) for order in open_orders),
        riders=tuple(_engine_rider(rider, len(offered), carrying[rider.id], params, now) for rider, offered in nearby),
        refusals=tuple(_refusals(open_orders, offers, now, params.refusal_cooldown))
        + _outside_zones(riders, open_orders, now)
        + _over_cash_limit(cash, open_orders, now),
        placements=placements,
    )
    decision = plan_round(state, params)
    by_id = {order.id: order for order in open_orders}
    at = {rider.id: (float(rider.location.lat), float(rider.location.lng)) for rider in riders}
    planned = []
    for assignment in decision.assignments:
        bundle_id = new_id("bdl_")
        trip = _within_cash_limit([by_id[order_id] for order_id in assignment.order_ids], cash[assignment.rider_id])
        for order in trip:
            planned.append(
                PlannedOffer(
                    order,
                    assignment.rider_id,
                    at[assignment.rider_id],
                    bundle_id,
                    len(trip),
                    tuple(offers[order.id]),
                    now,
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


def _searches(orders: Sequence[OrderRecord], widened: Mapping[str, int]) -> dict[str, int | None]:
    """Where a round looks for riders: around the rider cell of each of its orders' stores, out to the widest search
    an order there was escalated to (None: the usual search). Every store, not only the one whose order started
    the run: a zone is several kilometres across, and riders near one store say nothing about another's."""
    resolution = get_settings().rider_cell_resolution
    searches: dict[str, int | None] = {}
    for order in orders:
        cell = cell_of(float(order.pickup.lat), float(order.pickup.lng), resolution)
        searches[cell] = _widest(widened.get(order.id), searches.get(cell))
    return searches


def _riders_near(searches: Mapping[str, int | None]) -> list[tuple[RiderRecord, list[OfferRecord]]]:
    """Online riders with room around the round's stores (:func:`_searches`), each with the offers they have yet
    to answer (which take room too). Each store's search goes ring by ring of H3 cells around its cell,
    the searches a ring at a time together, each cell queried once (one index query per cell, in parallel).
    Offers are read only for riders whose ``offered_until`` is still ahead: most riders near a store hold none.

    A store's search stops once it has enough candidates, or one ring after the ring where it found its second
    rider: beyond that, riders are farther than ones already found (to within a cell's width). A widened search
    goes on past the second rider to its last ring: the nearest riders had their chance.
    """
    from paotui.riders.service import online_riders_in

    usual = get_settings().dispatch_search_rings
    disks = {cell: ring_cells(cell, usual if rings is None else rings) for cell, rings in searches.items()}
    in_cell: dict[str, list[RiderRecord]] = {}
    with_room: dict[str, tuple[RiderRecord, list[OfferRecord]] | None] = {}  # id → (rider, offers held), None: full
    found: dict[str, set[str]] = {cell: set() for cell in searches}
    enough_at: dict[str, int] = {}
    going, now_iso = sorted(searches), clock.now_iso()
    for k in range(max((len(disk) for disk in disks.values()), default=0)):
        going = [store for store in going if k < len(disks[store])]
        if not going:
            break
        new = sorted({cell for store in going for cell in disks[store][k]} - in_cell.keys())
        in_cell |= {cell: [] for cell in new}
        fresh = [rider for rider in online_riders_in(new) if rider.id not in with_room]
        for rider in fresh:
            in_cell[rider.cell].append(rider)
        rooms = side_by_side(lambda rider: _with_room(rider, now_iso), fresh, at_most=_PARALLEL_READS)
        with_room |= {rider.id: room for rider, room in zip(fresh, rooms, strict=True)}
        for store in list(going):
            found[store] |= {rider.id for cell in disks[store][k] for rider in in_cell[cell] if with_room[rider.id]}
            if store not in enough_at and len(found[store]) >= 2 and searches[store] is None:
                enough_at[store] = k + 1
            if len(found[store]) >= _CANDIDATE_RIDERS or (store in enough_at and k >= enough_at[store]):
                going.remove(store)
    return [with_room[rider_id] for rider_id in sorted(set().union(*found.values()))]


def _with_room(rider: RiderRecord, now_iso: str) -> tuple[RiderRecord, list[OfferRecord]] | None:
    """The rider and the offers they hold, if those leave them room for one more order."""
    if rider.location is None or rider.active_orders >= rider.capacity:
        return None
    holding = rider.offered_until is not None and rider.offered_until > now_iso
    offered = open_offers_of_rider(rider.id) if holding else []
    return (rider, offered) if rider.active_orders + len(offered) < rider.capacity else None


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


def _carrying(riders: Sequence[RiderRecord]) -> dict[str, list[OrderRecord]]:
    """The orders each rider carries (a query per busy rider)."""
    busy = [rider.id for rider in riders if rider.active_orders]
    read = side_by_side(lambda rider_id: list(carried_by(rider_id)), busy, at_most=_PARALLEL_READS)
    routes = dict(zip(busy, read, strict=True))
    return {rider.id: routes.get(rider.id, []) for rider in riders}


def _engine_rider(
    rider: RiderRecord, offered: int, carrying: Sequence[OrderRecord], params: Params, now: datetime
) -> Rider:
    """The rider with the route of the orders they carry. The engine's room is capacity minus the orders on the
    route; ``active_orders``, which accepting checks, also counts orders off the route (a failed delivery whose
    goods they bring back holds its place until RETURNED), so those come off the capacity the engine sees. So does
    ``offered``, the offers earlier rounds made them that they have yet to answer: accepting those counts too."""
    position = (float(rider.location.lat), float(rider.location.lng))
    active = int(rider.active_orders)
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


def _cash_due(rider: RiderRecord, carrying: Sequence[OrderRecord], offered: Sequence[OfferRecord]) -> int:
    """Fen of cash from doors the rider holds (settlement.cash) or will once the orders they carry and the offers
    they hold are delivered."""
    return (
        int(rider.cash_held or 0)
        + sum(order.amounts.cash_at_door for order in carrying)
        + sum(int(offer.collect or 0) for offer in offered)
    )


def _over_cash_limit(cash: Mapping[str, int], open_orders: Sequence[OrderRecord], now: datetime) -> tuple[Refusal, ...]:
    """A rider's cash from doors (:func:`_cash_due`) stays within ``rider_cash_limit``: they are not given an order
    paid on delivery that would take it past, and hand in what they hold first. This weighs each order alone; a
    trip's orders together are weighed by :func:`_within_cash_limit`."""
    at, limit = _minutes(now), get_settings().rider_cash_limit
    return tuple(
        Refusal(rider_id, order.id, at)
        for rider_id, due in cash.items()
        for order in open_orders
        if (collect := order.amounts.cash_at_door) and due + collect > limit
    )


def _within_cash_limit(trip: Sequence[OrderRecord], due: int) -> list[OrderRecord]:
    """The trip's orders that the rider's cash leaves room for, in drop-off order: each order passed the limit alone,
    but a bundle of them may not. What is left out stays in the pool for a later round, as a deferred order does."""
    limit, kept = get_settings().rider_cash_limit, []
    for order in trip:
        if due + order.amounts.cash_at_door <= limit:
            due += order.amounts.cash_at_door
            kept.append(order)
    return kept


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
    return update_if(
        _lease(zone),
        [ZoneLease.holder.set(holder), ZoneLease.until.set(now + _LEASE_SECONDS), ZoneLease.ttl.set(now + 3600)],
        condition=ZoneLease.order_id.does_not_exist() | (ZoneLease.until < now),
    )


def _ask(zone: str, asks: Mapping[str, int | None]) -> bool:
    """Add the asks to the live lease's; False if there is no live lease to ask."""
    return update_if(
        _lease(zone), [ZoneLease.asked.add(ask_entries(asks))], condition=ZoneLease.until >= clock.epoch_seconds()
    )


def _release_lease(zone: str, holder: str) -> dict[str, int | None]:
    """Let go of the lease; the asks other runs made of the holder (none if the lease was no longer ours)."""
    lease = delete_returning(_lease(zone), condition=ZoneLease.holder == holder)
    return parse_asks(lease.asked or set()) if lease else {}


def ask_entries(asks: Mapping[str, int | None]) -> set[str]:
    """Asks as the lease and ``dispatch.asked`` keep them: "<order id>", "<order id>@<rings>" or "*"."""
    return {order_id if rings is None else f"{order_id}{_RINGS}{rings}" for order_id, rings in asks.items()}


def parse_asks(entries: Iterable[str]) -> dict[str, int | None]:
    """The asks of :func:`ask_entries`, each order with the widest search asked for it."""
    asks: dict[str, int | None] = {}
    for entry in entries:
        order_id, _, rings = entry.partition(_RINGS)
        asks[order_id] = _widest(int(rings) if rings else None, asks.get(order_id))
    return asks


def _lease(zone: str) -> ZoneLease:
    return ZoneLease(f"lease#{zone}", "round")
