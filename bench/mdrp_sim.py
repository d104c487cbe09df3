"""Simulate a Grubhub MDRP instance minute by minute under a dispatch policy, per the rules in
/work/shared/mdrp/README.md, and write the official evaluator's three solution files.

Policies:

- ``engine``: ``paotui.dispatch.engine.plan_round`` every minute on the orders placed so
  far (no look-ahead), committing what it says to commit now; the orders placed in the
  last ``Params.placement_window`` minutes go in as the round's placements.
- ``greedy``: the first-come-first-served baseline: every minute, each open order in
  placement order goes alone to the on-duty courier who can reach its restaurant first
  (ties: the courier listed first); an order nobody can pick up before their off-time waits.

The rules as executed here: travel = ceil(euclid / meters_per_minute) (computed exactly as
the evaluator does); a courier leaves for the restaurant when assigned, or when they finish
their current assignment (never diverted), from their on-location or last drop-off, not
before their on-time; pickup = max(ready of the bundle's last order, arrival + half the
pickup service), leaving after the other half; each drop-off = arrival + half the drop-off
service, leaving after the other half; no pickup after off-time. Couriers on duty
(on-time <= t < off-time) are the ones a policy may assign.

The independent check of what this writes is ``bench/mdrp_check.py``.
"""

from __future__ import annotations

import csv
import json
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "core"))

from paotui.dispatch.engine import (  # noqa: E402
    EuclideanTravel,
    Order,
    Params,
    Placement,
    Rider,
    RoundState,
    Stop,
    plan_round,
)

ENGINE_CAPACITY = 6  # orders on a courier's route (carried + queued) the engine may plan for


def natural(key: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key))


@dataclass(frozen=True)
class InstanceOrder:
    id: str
    x: float
    y: float
    placed: int
    restaurant: str
    ready: int


@dataclass(frozen=True)
class InstanceCourier:
    id: str
    x: float
    y: float
    on: int
    off: int


@dataclass(frozen=True)
class Instance:
    name: str
    orders: dict[str, InstanceOrder]
    couriers: dict[str, InstanceCourier]
    restaurants: dict[str, tuple[float, float]]
    meters_per_minute: float
    pickup_service: float
    dropoff_service: float
    target_ctd: float
    max_ctd: float
    pay_per_order: float
    pay_per_hour: float


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _num(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def load_instance(directory: str | Path) -> Instance:
    d = Path(directory)
    orders = {
        r["order"]: InstanceOrder(
            r["order"], _num(r["x"]), _num(r["y"]), _num(r["placement_time"]), r["restaurant"], _num(r["ready_time"])
        )
        for r in _rows(d / "orders.txt")
    }
    couriers = {
        r["courier"]: InstanceCourier(r["courier"], _num(r["x"]), _num(r["y"]), _num(r["on_time"]), _num(r["off_time"]))
        for r in _rows(d / "couriers.txt")
    }
    restaurants = {r["restaurant"]: (_num(r["x"]), _num(r["y"])) for r in _rows(d / "restaurants.txt")}
    p = _rows(d / "instance_parameters.txt")[0]
    return Instance(
        name=d.name,
        orders=orders,
        couriers=couriers,
        restaurants=restaurants,
        meters_per_minute=_num(p["meters_per_minute"]),
        pickup_service=_num(p["pickup service minutes"]),
        dropoff_service=_num(p["dropoff service minutes"]),
        target_ctd=_num(p["target click-to-door"]),
        max_ctd=_num(p["maximum click-to-door"]),
        pay_per_order=_num(p["pay per order"]),
        pay_per_hour=_num(p["guaranteed pay per hour"]),
    )


def travel_minutes(a: tuple[float, float], b: tuple[float, float], meters_per_minute: float) -> int:
    return math.ceil(math.sqrt((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) / meters_per_minute)


@dataclass
class CourierState:
    spec: InstanceCourier
    loc_id: str  # "0" = on-location, else the last destination (a restaurant or an order id)
    xy: tuple[float, float]
    free_at: float  # when they can leave their current location for new work
    stops: list[Stop] = field(default_factory=list)  # the committed route, for the engine
    moves: list[tuple[float, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Executed:
    assignment_time: float
    pickup_time: float
    courier: str
    orders: tuple[str, ...]
    dropoffs: tuple[float, ...]


@dataclass
class Solution:
    instance: Instance
    policy: str
    executed: list[Executed] = field(default_factory=list)
    couriers: dict[str, CourierState] = field(default_factory=dict)
    decision_ms: list[float] = field(default_factory=list)  # one per round that had open orders
    mispredicted: int = 0  # engine plans whose times the rules did not reproduce


def execute(inst: Instance, c: CourierState, t: float, order_ids: tuple[str, ...]) -> Executed:
    """Carry out an assignment made at ``t`` per the rules; returns what happened."""
    orders = [inst.orders[o] for o in order_ids]
    restaurant = orders[0].restaurant
    assert all(o.restaurant == restaurant for o in orders), "a bundle comes from one restaurant"
    assert all(o.placed <= t for o in orders), "no assignment before placement"
    rest_xy = inst.restaurants[restaurant]
    half_p, half_d, mpm = inst.pickup_service / 2, inst.dropoff_service / 2, inst.meters_per_minute
    depart = max(t, c.free_at)
    arrive = depart + travel_minutes(c.xy, rest_xy, mpm)
    pickup = max(max(o.ready for o in orders), arrive + half_p)
    assert pickup <= c.spec.off, f"{c.spec.id} would pick up after off-time"
    c.moves.append((depart, c.loc_id, restaurant))
    leave = pickup + half_p
    stops = [Stop("pickup", rest_xy, order_ids, leave)]
    here_id, here = restaurant, rest_xy
    drops = []
    for o in orders:
        c.moves.append((leave, here_id, o.id))
        arrive = leave + travel_minutes(here, (o.x, o.y), mpm)
        drop = arrive + half_d
        leave = drop + half_d
        drops.append(drop)
        here_id, here = o.id, (o.x, o.y)
        stops.append(Stop("dropoff", here, (o.id,), leave))
    c.loc_id, c.xy, c.free_at = here_id, here, leave
    c.stops.extend(stops)
    return Executed(t, pickup, c.spec.id, order_ids, tuple(drops))


def engine_params(inst: Instance, **overrides) -> Params:
    params = Params(
        travel=EuclideanTravel(speed=inst.meters_per_minute),
        pickup_service=inst.pickup_service,
        dropoff_service=inst.dropoff_service,
        target_ctd=inst.target_ctd,
        max_ctd=inst.max_ctd,
        round_interval=1.0,
    )
    return replace(params, **overrides)


def simulate(inst: Instance, policy: str = "engine", **overrides) -> Solution:
    sol = Solution(instance=inst, policy=policy)
    sol.couriers = {
        cid: CourierState(spec=c, loc_id="0", xy=(c.x, c.y), free_at=c.on)
        for cid, c in sorted(inst.couriers.items(), key=lambda kv: natural(kv[0]))
    }
    by_placement = sorted(inst.orders.values(), key=lambda o: (o.placed, natural(o.id)))
    params = engine_params(inst, **overrides) if policy == "engine" else None
    if params is not None:  # the engine imports scipy lazily; a warm Lambda container has it loaded
        import scipy.sparse.csgraph  # noqa: F401
        import scipy.spatial  # noqa: F401
    placements = [Placement(o.restaurant, inst.restaurants[o.restaurant], o.placed) for o in by_placement]
    open_orders: list[InstanceOrder] = []
    nxt = oldest = 0
    t = min(o.placed for o in by_placement)
    last = max(c.off for c in inst.couriers.values())
    while t <= last and (nxt < len(by_placement) or open_orders):
        while nxt < len(by_placement) and by_placement[nxt].placed <= t:
            open_orders.append(by_placement[nxt])
            nxt += 1
        if open_orders:
            started = time.perf_counter()
            if policy == "engine":
                while oldest < nxt and placements[oldest].placed_at <= t - params.placement_window:
                    oldest += 1
                done = _engine_round(inst, sol, t, open_orders, tuple(placements[oldest:nxt]), params)
            elif policy == "greedy":
                done = _greedy_round(inst, sol, t, open_orders)
            else:
                raise ValueError(f"unknown policy {policy}")
            sol.decision_ms.append((time.perf_counter() - started) * 1000)
            if done:
                open_orders = [o for o in open_orders if o.id not in done]
        t += 1
    return sol


def _on_duty(c: CourierState, t: float) -> bool:
    return c.spec.on <= t < c.spec.off


def _engine_round(inst: Instance, sol: Solution, t: float, open_orders, placements, params: Params) -> set[str]:
    orders = tuple(
        Order(
            id=o.id,
            store=o.restaurant,
            pickup=inst.restaurants[o.restaurant],
            dropoff=(o.x, o.y),
            placed_at=o.placed,
            ready_at=o.ready,
        )
        for o in open_orders
    )
    riders = []
    for c in sol.couriers.values():
        if t >= c.spec.off or c.spec.on > t + params.queue_horizon:
            continue  # off duty, or a shift that starts too far ahead to plan for
        c.stops = [s for s in c.stops if s.leave_at > t]
        riders.append(
            Rider(
                id=c.spec.id,
                position=c.xy,
                capacity=ENGINE_CAPACITY,
                route=tuple(c.stops),
                off_at=c.spec.off,
                available_at=c.spec.on if c.spec.on > t else None,
            )
        )
    decision = plan_round(RoundState(now=t, orders=orders, riders=tuple(riders), placements=placements), params)
    done: set[str] = set()
    for a in decision.assignments:
        assert _on_duty(sol.couriers[a.rider_id], t), "the engine committed a courier off duty"
        ex = execute(inst, sol.couriers[a.rider_id], t, a.order_ids)
        if ex.pickup_time != a.pickup_at or list(ex.dropoffs) != list(a.dropoff_at):
            sol.mispredicted += 1
        sol.executed.append(ex)
        done.update(a.order_ids)
    return done


def _greedy_round(inst: Instance, sol: Solution, t: float, open_orders) -> set[str]:
    done: set[str] = set()
    half_p = inst.pickup_service / 2
    for o in open_orders:  # placement order
        rest_xy = inst.restaurants[o.restaurant]
        best = None
        for c in sol.couriers.values():
            if not _on_duty(c, t):
                continue
            arrive = max(t, c.free_at) + travel_minutes(c.xy, rest_xy, inst.meters_per_minute)
            if max(o.ready, arrive + half_p) > c.spec.off:
                continue
            if best is None or arrive < best[0]:
                best = (arrive, c)
        if best is not None:
            sol.executed.append(execute(inst, best[1], t, (o.id,)))
            done.add(o.id)
    return done


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_solution(sol: Solution, out_dir: str | Path) -> None:
    """The three files of the official evaluator, single-space separated, one header line each."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inst = sol.instance
    executed = sorted(sol.executed, key=lambda e: (e.assignment_time, natural(e.courier)))
    lines = ["assignment_time pickup_time courier order"]
    lines += [" ".join([_fmt(e.assignment_time), _fmt(e.pickup_time), e.courier, *e.orders]) for e in executed]
    (out / "solution_info_assignments.txt").write_text("\n".join(lines) + "\n")

    rows = []
    for e in executed:
        for oid, drop in zip(e.orders, e.dropoffs, strict=True):
            o = inst.orders[oid]
            rows.append(
                (natural(oid), f"{oid} {_fmt(o.placed)} {_fmt(o.ready)} {_fmt(e.pickup_time)} {_fmt(drop)} {e.courier}")
            )
    lines = ["order placement_time ready_time pickup_time dropoff_time courier"] + [r for _, r in sorted(rows)]
    (out / "solution_info_orders.txt").write_text("\n".join(lines) + "\n")

    lines = ["courier departure_time origin destination"]
    for cid, c in sol.couriers.items():
        lines += [f"{cid} {_fmt(dep)} {origin} {dest}" for dep, origin, dest in c.moves]
    (out / "solution_info_couriers.txt").write_text("\n".join(lines) + "\n")

    ms = sorted(sol.decision_ms)
    stats = {
        "instance": inst.name,
        "policy": sol.policy,
        "rounds": len(ms),
        "decision_ms_p50": statistics.median(ms) if ms else 0.0,
        "decision_ms_p90": ms[int(0.9 * (len(ms) - 1))] if ms else 0.0,
        "decision_ms_max": ms[-1] if ms else 0.0,
        "mispredicted": sol.mispredicted,
    }
    (out / "run_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
