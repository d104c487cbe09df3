"""One dispatch round at city scale: 10,000 open orders, 5,000 riders, (lat, lng) and haversine.

    .venv/bin/python bench/dispatch_city.py [--orders 10000] [--riders 5000] [--stores 2500] [--rounds 5]

A synthetic city around People's Square, 30 × 30 km: stores drawn around a few dozen
busy districts, each order's customer 0.3–5 km from its store, placed in the last
30 minutes with 5–30 minutes of prep; at that rate, 30,000 orders placed at the same
stores in the last 90 minutes (the round's placements, open orders included); riders
spread the same way, 60% of them busy with a route that ends within 25 minutes (up to 2
orders on it), capacity 3, 1,000 recent refusals. Times ``plan_round`` (after one
warm-up round that loads scipy, as a warm Lambda container would have) over several
rounds a minute apart, and writes ``bench/out/dispatch_city.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "core"))

from paotui.dispatch.engine import (  # noqa: E402
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

CENTRE = (31.2304, 121.4737)
HALF_BOX_M = 15_000
M_PER_DEG_LAT = 111_320.0
OUT = ROOT / "bench" / "out"


def offset(point: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat, lng = point
    return lat + north_m / M_PER_DEG_LAT, lng + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def around(rng: random.Random, point: tuple[float, float], sigma_m: float) -> tuple[float, float]:
    north = max(-HALF_BOX_M, min(HALF_BOX_M, rng.gauss(0, sigma_m)))
    east = max(-HALF_BOX_M, min(HALF_BOX_M, rng.gauss(0, sigma_m)))
    return offset(point, north, east)


def city(n_orders: int, n_riders: int, n_stores: int, now: float, seed: int = 6) -> RoundState:
    rng = random.Random(seed)
    districts = [around(rng, CENTRE, 7_000) for _ in range(40)]
    stores = [(f"s{i}", around(rng, rng.choice(districts), 1_500)) for i in range(n_stores)]
    weights = [rng.paretovariate(1.5) for _ in stores]  # a few popular stores get many orders
    orders = []
    for i, (store, pickup) in enumerate(rng.choices(stores, weights=weights, k=n_orders)):
        distance, angle = rng.uniform(300, 5_000), rng.uniform(0, 2 * math.pi)
        placed = now - rng.uniform(0, 30)
        orders.append(
            Order(
                id=f"o{i}",
                store=store,
                pickup=pickup,
                dropoff=offset(pickup, distance * math.cos(angle), distance * math.sin(angle)),
                placed_at=placed,
                ready_at=placed + rng.uniform(5, 30),
            )
        )
    earlier = [
        Placement(store, pickup, now - rng.uniform(30, 90))
        for store, pickup in rng.choices(stores, weights=weights, k=2 * n_orders)
    ]
    placements = tuple(Placement(o.store, o.pickup, o.placed_at) for o in orders) + tuple(earlier)
    riders = []
    for i in range(n_riders):
        where = around(rng, rng.choice(districts), 2_500)
        route: tuple[Stop, ...] = ()
        if rng.random() < 0.6:
            carrying = rng.randint(1, 2)
            end = around(rng, where, 2_000)
            route = (Stop("dropoff", end, tuple(f"busy{i}-{k}" for k in range(carrying)), now + rng.uniform(0, 25)),)
        riders.append(Rider(id=f"r{i}", position=where, capacity=3, route=route, off_at=now + rng.uniform(30, 300)))
    refusals = tuple(
        Refusal(rider_id=f"r{rng.randrange(n_riders)}", order_id=f"o{rng.randrange(n_orders)}", at=now - 2)
        for _ in range(1_000)
    )
    return RoundState(now=now, orders=tuple(orders), riders=tuple(riders), refusals=refusals, placements=placements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--riders", type=int, default=5_000)
    parser.add_argument("--stores", type=int, default=2_500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    params = Params(travel=HaversineTravel(speed=250.0), round_interval=0.5)
    now = 29_000_000.0  # minutes since the epoch, as the DispatchWorker would pass
    import scipy.sparse.csgraph  # noqa: F401  (a warm container has loaded what the engine imports lazily)
    import scipy.spatial  # noqa: F401

    plan_round(city(200, 100, 50, now), params)  # warm-up
    timings, decisions = [], []
    for k in range(args.rounds):
        state = city(args.orders, args.riders, args.stores, now + k, seed=6 + k)
        started = time.perf_counter()
        decision = plan_round(state, params)
        timings.append((time.perf_counter() - started) * 1000)
        decisions.append(decision)
    last = decisions[-1]
    result = {
        "orders": args.orders,
        "riders": args.riders,
        "stores": args.stores,
        "rounds": args.rounds,
        "round_ms_median": statistics.median(timings),
        "round_ms_max": max(timings),
        "round_ms": [round(t, 1) for t in timings],
        "committed": len(last.assignments),
        "deferred": len(last.deferred),
        "unassigned": len(last.unassigned),
        "orders_in_bundles": sum(len(a.order_ids) for a in last.assignments + last.deferred if len(a.order_ids) > 1),
        "stats": last.stats,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dispatch_city.json").write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"city round: {args.orders} orders, {args.riders} riders: median {result['round_ms_median']:.0f} ms, "
        f"max {result['round_ms_max']:.0f} ms over {args.rounds} rounds; last round committed "
        f"{result['committed']}, deferred {result['deferred']}, left {result['unassigned']} open; stats {last.stats}"
    )


if __name__ == "__main__":
    main()
