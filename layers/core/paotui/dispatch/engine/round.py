"""One dispatch round: every open order against every nearby rider, solved together.

1. Riders who can take work: online, room on their route, free (or free within
   ``queue_horizon``, their route appended to), not past their off-time.
2. Candidates: for each store, the ``candidates`` riders who could get there
   first, picked from the nearest to where they will be free (a k-d tree over
   planar positions), so the problem stays sparse at city scale; pairs refused
   within the cooldown are dropped.
3. Units: each order alone, and same-store bundle candidates
   (:mod:`~paotui.dispatch.engine.bundling`). Every (rider, unit) pair gets a
   planned trip and a cost (:mod:`~paotui.dispatch.engine.routes`,
   :mod:`~paotui.dispatch.engine.cost`).
4. Assign singles (:mod:`~paotui.dispatch.engine.assign`); form the bundles
   that beat the current plan; reassign; up to ``bundle_passes`` times.
5. Commit the trips that cannot wait for the next round; postpone the rest
   (:mod:`~paotui.dispatch.engine.postpone`).

Deterministic: inputs are sorted by id first, ties broken by index, and the
solver is exact, so the same state gives the same decision in any order.
"""

from __future__ import annotations

import numpy as np

from paotui.dispatch.engine.assign import match
from paotui.dispatch.engine.bundling import candidate_units, choose_bundles, union_parts
from paotui.dispatch.engine.cost import serve_reward
from paotui.dispatch.engine.model import Assignment, Order, Params, Rider, RoundDecision, RoundState
from paotui.dispatch.engine.postpone import commit_now
from paotui.dispatch.engine.routes import OrderArrays, Trips, plan_trips


def plan_round(state: RoundState, params: Params) -> RoundDecision:
    """Decide one round: which trips to offer now, which to postpone, which orders found nobody."""
    now = state.now
    orders = sorted(state.orders, key=lambda o: o.id)
    riders = [r for r in sorted(state.riders, key=lambda r: r.id) if _can_take_work(r, now, params)]
    stats = {"orders": len(orders), "riders": len(riders)}
    if not orders or not riders:
        return RoundDecision(now=now, assignments=(), unassigned=tuple(o.id for o in orders), stats=stats)

    arrays, stores, store_of, store_xy = _order_arrays(orders, params)
    start = np.array([r.free_at(now) for r in riders])
    start_xy = np.array([r.free_position() for r in riders], dtype=np.float64).reshape(-1, 2)
    speed = np.array([r.speed or params.travel.speed for r in riders], dtype=np.float64)
    off = np.array([np.inf if r.off_at is None else r.off_at for r in riders])
    room = np.array([r.capacity - r.orders_on_route() for r in riders])

    units = candidate_units(store_of, np.maximum(arrays.ready, now), params)
    unit_size = (units >= 0).sum(axis=1)
    near, near_minutes = _nearest_riders(start, start_xy, speed, store_xy, params)
    unit_store = store_of[units[:, 0]]
    k = near.shape[1]
    pair_unit = np.repeat(np.arange(len(units)), k)
    pair_rider = near[unit_store].ravel()
    rank = np.tile(np.arange(k), len(units))  # riders are listed soonest-there first
    keep = room[pair_rider] >= unit_size[pair_unit]
    keep &= (unit_size[pair_unit] == 1) | (rank < params.bundle_candidates)
    keep &= ~_refused(state, now, params, orders, riders, units[pair_unit], pair_rider)
    pair_unit, pair_rider, rank = pair_unit[keep], pair_rider[keep], rank[keep]

    trips = plan_trips(
        arrays,
        units[pair_unit],
        start[pair_rider],
        near_minutes[unit_store[pair_unit], rank],
        speed[pair_rider],
        off[pair_rider],
        params,
    )
    ok = trips.feasible
    pair_unit, pair_rider, rank, trips = pair_unit[ok], pair_rider[ok], rank[ok], _take(trips, ok)
    reward = _rewards(arrays, now, params, units, pair_unit, trips)
    unit_reward = np.where(units >= 0, reward[np.maximum(units, 0)], 0.0).sum(axis=1)
    open_stores = {store: i for i, store in enumerate(stores)}  # the rows of near
    lately = _placement_demand(state.placements, now, open_stores, near, start, start_xy, speed, params)
    demand = _demand(pair_rider, rank, unit_size[pair_unit] == 1, lately, params)
    value = _priced(trips, unit_reward[pair_unit], pair_rider, demand, len(orders), len(riders), params)
    stats.update(units=len(units), pairs=len(pair_unit))

    chosen, formed = _assign_with_bundles(units, unit_size, pair_unit, pair_rider, value, len(riders), params)
    stats["bundles_formed"] = formed

    decide = commit_now(now, params.round_interval, start[pair_rider[chosen]], trips.depart_latest[chosen])
    committed, deferred = [], []
    for i, now_ in zip(chosen.tolist(), decide.tolist(), strict=True):
        plan = _assignment(i, orders, riders, pair_rider, trips, start)
        (committed if now_ else deferred).append(plan)
    served = {o for plan in committed + deferred for o in plan.order_ids}
    return RoundDecision(
        now=now,
        assignments=tuple(sorted(committed, key=lambda a: a.rider_id)),
        deferred=tuple(sorted(deferred, key=lambda a: a.rider_id)),
        unassigned=tuple(o.id for o in orders if o.id not in served),
        stats=stats,
    )


def _can_take_work(rider: Rider, now: float, params: Params) -> bool:
    if not rider.online or rider.capacity - rider.orders_on_route() < 1:
        return False
    free = rider.free_at(now)
    if free > now + params.queue_horizon:
        return False
    return rider.off_at is None or free + params.pickup_service / 2 <= rider.off_at


def _order_arrays(orders: list[Order], params: Params) -> tuple[OrderArrays, list[str], np.ndarray, np.ndarray]:
    """The orders as arrays, their stores (sorted ids), each order's store index and the stores' points."""
    stores = sorted({o.store for o in orders})
    index = {s: i for i, s in enumerate(stores)}
    store_of = np.array([index[o.store] for o in orders], dtype=np.int64)
    first = {}
    for o in orders:
        first.setdefault(o.store, o.pickup)
    store_xy = np.array([first[s] for s in stores], dtype=np.float64).reshape(-1, 2)
    drop_xy = np.array([o.dropoff for o in orders], dtype=np.float64).reshape(-1, 2)
    ready = np.array([o.ready_at for o in orders], dtype=np.float64)
    anchor = np.array([o.placed_at for o in orders], dtype=np.float64)
    scheduled = np.array([np.nan if o.scheduled_at is None else o.scheduled_at for o in orders])
    has_time = ~np.isnan(scheduled)
    if has_time.any():
        # a scheduled order: its clock starts target_ctd before the slot, and its food is not
        # picked up so early that it would arrive more than scheduled_early before the slot
        ride = params.travel.minutes(store_xy[store_of[has_time]], drop_xy[has_time])
        lead = params.pickup_service / 2 + ride + params.dropoff_service / 2 + params.scheduled_early
        ready[has_time] = np.maximum(ready[has_time], scheduled[has_time] - lead)
        anchor[has_time] = scheduled[has_time] - params.target_ctd
    arrays = OrderArrays(store_xy=store_xy[store_of], drop_xy=drop_xy, ready=ready, anchor=anchor)
    return arrays, stores, store_of, store_xy


def _demand(pair_rider, rank, single, lately, params) -> np.ndarray:
    """Per rider: for how many open orders they are among the ``demand_rank`` soonest at the
    store, plus their ``lately`` placements, over the round's average (1 = an average rider)."""
    first = single & (rank < params.demand_rank)
    count = np.bincount(pair_rider[first], minlength=len(lately)) + lately
    mean = count.mean()
    return count / mean if mean > 0 else count


def _placement_demand(placements, now, open_stores, near, start, start_xy, speed, params) -> np.ndarray:
    """Per rider: ``placement_weight`` × the orders placed within ``placement_window`` at stores
    where they are among the ``demand_rank`` soonest. Open orders say where riders are needed
    now; the recent ones say where they will be needed next (measured on MDRP: the mean ratio to
    the bound 0.002–0.004 lower on each of four instance sets; docs/benchmarks.md). A store with
    open orders reuses their candidates (``near``, rows by ``open_stores``)."""
    counts: dict[str, list] = {}
    for p in placements:
        if 0 <= now - p.placed_at < params.placement_window:
            counts.setdefault(p.store, [p.pickup, 0])[1] += 1
    lately = np.zeros(len(start))
    if not counts or not params.placement_weight:
        return lately
    stores = sorted(counts)
    first = np.empty((len(stores), min(params.demand_rank, near.shape[1])), dtype=np.int64)
    known = np.array([s in open_stores for s in stores])
    first[known] = near[[open_stores[s] for s in stores if s in open_stores], : first.shape[1]]
    if not known.all():
        others = np.array([counts[s][0] for s, k in zip(stores, known, strict=True) if not k], dtype=np.float64)
        first[~known] = _nearest_riders(start, start_xy, speed, others.reshape(-1, 2), params)[0][:, : first.shape[1]]
    per_store = np.array([counts[s][1] for s in stores], dtype=np.float64)
    np.add.at(lately, first.ravel(), np.repeat(per_store, first.shape[1]))
    return params.placement_weight * lately


def _priced(trips, reward, pair_rider, demand, n_orders, n_riders, params) -> np.ndarray:
    """Pair values, the rider's time priced by how much others need that rider and how short of riders the round is.

    A minute of rider time is worth ``rider_time_weight`` for a rider nobody else needs. It is
    worth more for a rider who is among the first to reach many open orders' stores: sending
    them far keeps them from the orders around them, which a rider from further away would
    take later (``demand_weight`` × their demand over the round's average). And when there are
    more orders than riders who could take them, every minute a rider saves moves that backlog
    forward, so the price rises by ``scarcity_weight`` × (orders over riders, per rider).
    """
    weight = params.rider_time_weight * (1.0 + params.demand_weight * demand[pair_rider])
    backlog = n_orders - len(np.unique(pair_rider))
    if params.scarcity_weight and backlog > 0:
        weight = weight + params.scarcity_weight * backlog / n_riders
    return trips.orders_cost + weight * trips.rider_minutes - reward


def _rewards(arrays: OrderArrays, now: float, params: Params, units, pair_unit, trips: Trips) -> np.ndarray:
    """What serving each order this round is worth (see cost.serve_reward)."""
    ride = params.travel.minutes(arrays.store_xy, arrays.drop_xy)
    later = np.maximum(arrays.ready, now + params.defer_minutes)
    drop = later + params.pickup_service / 2 + ride + params.dropoff_service / 2
    singles = units[:, 1] < 0 if units.shape[1] > 1 else np.ones(len(units), dtype=bool)
    alone = singles[pair_unit]
    soonest = np.full(len(drop), np.inf)
    np.minimum.at(soonest, units[pair_unit[alone], 0], trips.drop[alone, 0])
    soonest = np.where(np.isfinite(soonest), soonest, drop)
    later_ctd, soonest_later_ctd = drop - arrays.anchor, soonest + params.defer_minutes - arrays.anchor
    return serve_reward(later_ctd, soonest_later_ctd, arrays.ready - now, params)


def _nearest_riders(start: np.ndarray, start_xy: np.ndarray, speed: np.ndarray, store_xy: np.ndarray, params: Params):
    """For each store, ``k`` riders and their minutes to it, soonest there first: of the ``4k``
    nearest (a k-d tree over planar positions), those who could get there first (a busy rider
    next door may arrive after an idle one further away). Both (stores, k) arrays."""
    n, k = len(start_xy), max(1, min(params.candidates, len(start_xy)))
    wide = min(n, 4 * k)
    if wide == n:
        near = np.tile(np.arange(n), (len(store_xy), 1))
    else:
        from scipy.spatial import cKDTree

        planar = params.travel.project(np.vstack([start_xy, store_xy]))
        _, near = cKDTree(planar[:n]).query(planar[n:], k=wide)
        near = np.asarray(near, dtype=np.int64).reshape(len(store_xy), wide)
    stores = np.repeat(np.arange(len(store_xy)), wide)
    riders = near.ravel()
    minutes = params.travel.minutes(start_xy[riders], store_xy[stores], speed[riders]).reshape(near.shape)
    best = np.argsort(start[near] + minutes, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(near, best, axis=1), np.take_along_axis(minutes, best, axis=1)


def _refused(state, now, params, orders, riders, pair_units, pair_rider) -> np.ndarray:
    recent = [r for r in state.refusals if now - r.at < params.refusal_cooldown]
    refused = np.zeros(len(pair_rider), dtype=bool)
    if not recent or not len(pair_rider):
        return refused
    order_index = {o.id: i for i, o in enumerate(orders)}
    rider_index = {r.id: i for i, r in enumerate(riders)}
    banned = {
        (rider_index[r.rider_id], order_index[r.order_id])
        for r in recent
        if r.rider_id in rider_index and r.order_id in order_index
    }
    if not banned:
        return refused
    n = len(orders)
    keys = np.array(sorted(r * n + o for r, o in banned), dtype=np.int64)
    touched = np.zeros(n + 1, dtype=bool)  # index -1 (padding) lands on the spare last slot
    touched[keys % n] = True
    suspects = np.flatnonzero(touched[pair_units].any(axis=1))
    members = pair_units[suspects]
    hit = np.isin(pair_rider[suspects, None] * n + members, keys) & (members >= 0)
    refused[suspects] = hit.any(axis=1)
    return refused


def _take(trips: Trips, mask: np.ndarray) -> Trips:
    return Trips(**{name: getattr(trips, name)[mask] for name in Trips.__dataclass_fields__})


def _assign_with_bundles(units, unit_size, pair_unit, pair_rider, value, n_riders, params) -> tuple[np.ndarray, int]:
    """Assign singles, then form profitable bundles and reassign (see bundling). Returns matched pair indices."""
    n_orders = int((unit_size == 1).sum())
    active = np.zeros(len(units), dtype=bool)
    active[:n_orders] = True  # the singles come first, unit i = order i
    formed = 0
    for attempt in range(params.bundle_passes + 1):
        in_play = active[pair_unit]
        idx = np.flatnonzero(in_play)
        chosen = idx[match(pair_rider[idx], pair_unit[idx], value[idx])]
        if attempt == params.bundle_passes:
            break
        # current value of each active unit: its pair's, or nothing when unserved
        current = np.zeros(len(units))
        current[pair_unit[chosen]] = value[chosen]
        rider_unit = np.full(n_riders, -1, dtype=np.int64)
        rider_unit[pair_rider[chosen]] = pair_unit[chosen]
        unit_of = np.full(n_orders, -1, dtype=np.int64)
        live = np.flatnonzero(active)
        members = units[live]
        unit_of[members[members >= 0]] = np.broadcast_to(live[:, None], members.shape)[members >= 0]
        parts = union_parts(units, unit_of, unit_size)
        parts[active] = -1
        candidate = (parts[pair_unit] >= 0).any(axis=1)
        if not candidate.any():
            break
        c = np.flatnonzero(candidate)
        part_sum = np.where(parts[pair_unit[c]] >= 0, current[np.maximum(parts[pair_unit[c]], 0)], 0).sum(axis=1)
        mine = rider_unit[pair_rider[c]]
        inside = (parts[pair_unit[c]] == mine[:, None]).any(axis=1)
        displaced = np.where((mine >= 0) & ~inside, -current[np.maximum(mine, 0)], 0.0)
        gain = part_sum - value[c] - displaced
        picks = choose_bundles(pair_unit[c], pair_rider[c], gain, parts)
        if not picks:
            break
        for u, _ in picks:
            active[[p for p in parts[u] if p >= 0]] = False
            active[u] = True
        formed += len(picks)
    return chosen, formed


def _assignment(i: int, orders, riders, pair_rider, trips: Trips, start: np.ndarray) -> Assignment:
    seq = [int(o) for o in trips.seq[i] if o >= 0]
    rider = int(pair_rider[i])
    return Assignment(
        rider_id=riders[rider].id,
        store=orders[seq[0]].store,
        order_ids=tuple(orders[o].id for o in seq),
        depart_at=float(start[rider]),
        arrive_at=float(trips.arrive[i]),
        pickup_at=float(trips.pickup[i]),
        dropoff_at=tuple(float(t) for t in trips.drop[i][: len(seq)]),
        free_at=float(trips.end[i]),
        commit_by=float(max(trips.depart_latest[i], start[rider])),
        cost=float(trips.cost[i]),
    )
