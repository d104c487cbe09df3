"""Appending a store trip to a rider's route: when they get there, pick up, drop off; is it feasible.

A rider cannot be diverted, so a new trip starts where and when their route
ends (``start``/``start_xy``). The rules (MDRP's, and the city's): the rider
arrives after the travel time; the pickup happens at
``max(ready of the last order, arrival + half the pickup service)`` and they
leave after the other half; each drop-off happens half the drop-off service
after arriving, and they leave after the other half. No pickup after the
rider's off-time.

:func:`plan_trips` does this for many (rider, unit) pairs at once with numpy,
trying every drop-off order of a unit (at most ``max_bundle``! of them, 6 for
3 orders) and keeping the cheapest.

The rider minutes a trip costs run from when the rider is free for it (now, the
end of their route, or the start of their shift) to the last drop-off: the
minutes they wait for a just-in-time departure count too, because a rider held
for a trip cannot take another, so the round prefers the rider who comes free
just as the food is ready and keeps idle riders for the orders still to come
(measured on MDRP: 1.101 → 1.092 mean ratio to the bound, every instance
group gaining; docs/benchmarks.md). They stop at the rider's off-time: a rider
who picks up just before their shift ends and delivers after it takes nothing
from the fleet's remaining capacity by riding long, so the last trip of a shift
goes to the far customers that would otherwise cost a rider still on duty a
long ride.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

from paotui.dispatch.engine.cost import order_cost, trip_cost
from paotui.dispatch.engine.model import Params


@dataclass(frozen=True)
class OrderArrays:
    """The open orders of a round as arrays, indexed 0..n-1."""

    store_xy: np.ndarray  # (n, 2)
    drop_xy: np.ndarray  # (n, 2)
    ready: np.ndarray  # (n,) effective ready time: not before it may the order be picked up
    anchor: np.ndarray  # (n,) when its click-to-door clock started


@dataclass(frozen=True)
class Trips:
    """One planned trip per pair (arrays of length p; ``seq``/``drop`` are (p, max_bundle), -1/nan padded)."""

    feasible: np.ndarray
    cost: np.ndarray  # trip_cost: the orders' costs plus the rider's time at params.rider_time_weight
    orders_cost: np.ndarray
    rider_minutes: np.ndarray  # from when the rider is free to the last drop-off or their off-time
    seq: np.ndarray
    drop: np.ndarray
    arrive: np.ndarray
    pickup: np.ndarray
    end: np.ndarray
    depart_latest: np.ndarray  # leaving the start point later than this delays the pickup


def plan_trips(
    orders: OrderArrays,
    units: np.ndarray,
    start: np.ndarray,
    to_store: np.ndarray,
    speed: np.ndarray,
    off: np.ndarray,
    params: Params,
) -> Trips:
    """Plan the trip of each pair: ``units[i]`` (order indices, -1 padded) for a rider free at
    ``start[i]``, ``to_store[i]`` minutes from the store, with ``speed[i]``, who may pick up
    until ``off[i]``."""
    travel = params.travel
    half_p, half_d = params.pickup_service / 2, params.dropoff_service / 2
    p, width = units.shape
    size = (units >= 0).sum(axis=1)
    safe = np.where(units >= 0, units, 0)
    store_xy = orders.store_xy[safe[:, 0]]
    uniform = bool(p) and bool(np.all(speed == speed[0]))
    ride = travel.minutes(orders.store_xy, orders.drop_xy, speed[0]) if uniform else None  # per order
    arrive = start + to_store
    ready = np.where(units >= 0, orders.ready[safe], -np.inf).max(axis=1) if p else np.zeros(0)
    pickup = np.maximum(ready, arrive + half_p)
    leave = pickup + half_p
    depart_latest = ready - half_p - to_store
    feasible = pickup <= off

    cost = np.full(p, np.inf)
    orders_cost = np.full(p, np.inf)
    rider_minutes = np.full(p, np.nan)
    seq = np.full((p, width), -1, dtype=np.int64)
    drop = np.full((p, width), np.nan)
    end = np.full(p, np.nan)
    for k in range(1, width + 1):
        rows = np.flatnonzero(size == k)
        if not len(rows):
            continue
        for perm in permutations(range(k)):
            t = leave[rows].copy()
            at = store_xy[rows]
            spent = np.zeros(len(rows))
            drops = np.empty((len(rows), k))
            for step, j in enumerate(perm):
                o = units[rows, j]
                there = orders.drop_xy[o]
                leg = ride[o] if step == 0 and ride is not None else travel.minutes(at, there, speed[rows])
                t = t + leg + half_d
                drops[:, step] = t
                spent += order_cost(t - orders.anchor[o], params)
                t = t + half_d
                at = there
            working = np.minimum(t, off[rows]) - start[rows]  # minutes after the off-time are free
            total = trip_cost(spent, working, params)
            better = total < cost[rows]
            if better.any():
                chosen = rows[better]
                cost[chosen] = total[better]
                orders_cost[chosen] = spent[better]
                rider_minutes[chosen] = working[better]
                seq[chosen, :k] = units[chosen][:, list(perm)]
                drop[chosen, :k] = drops[better]
                end[chosen] = t[better]
    return Trips(
        feasible=feasible,
        cost=cost,
        orders_cost=orders_cost,
        rider_minutes=rider_minutes,
        seq=seq,
        drop=drop,
        arrive=arrive,
        pickup=pickup,
        end=end,
        depart_latest=depart_latest,
    )
