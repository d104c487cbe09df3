"""Check an MDRP solution against the rules and compute its metrics, from the files alone.

    .venv/bin/python bench/mdrp_check.py INSTANCE_DIR SOLUTION_DIR [--json]

Shares no code with the simulator or the engine: it reads the instance and the three
solution files (``solution_info_assignments.txt``, ``solution_info_orders.txt``,
``solution_info_couriers.txt``) and re-derives everything, so a number in the table
does not depend on the simulator agreeing with itself.

Feasibility: every check of the official evaluator (``compute_performance_summary.py``
in grubhub/mdrplib: an order in at most one assignment, no assignment before
placement, no pickup after the courier's off-time or before any ready time,
drop-offs in bundle sequence, courier moves continuous and ordered in time, the
courier at the right place at each pickup and drop-off), plus the rules it leaves
implicit: each courier's moves are exactly its assignments one after another
(restaurant, then the bundle's drop-offs in order: no diversion, no detour); the
first move starts at the on-location, not before the on-time; a courier leaves for a
restaurant no earlier than the assignment (they wait at the on-location or the last
drop-off) and no earlier than the end of the previous drop-off service; travel takes
ceil(euclid / meters_per_minute); pickup >= max(ready, arrival + half the pickup
service), leaving >= pickup + the other half; drop-off = arrival + half the drop-off
service, leaving >= drop-off + the other half; a bundle's orders come from one
restaurant; the orders file agrees with the assignments and the instance.

Metrics follow the evaluator's definitions (utilisation = (driving + pickup service
per bundle + drop-off service per order) / shift, per courier; pay = max(pay per
order × orders, guaranteed pay per hour × shift hours)) plus the lower bound per
order: (ready - placement) + half pickup + travel restaurant→customer + half drop-off.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from bisect import bisect_left
from collections import defaultdict
from pathlib import Path


def _table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _split_lines(path: Path) -> list[list[str]]:
    lines = [line.split() for line in path.read_text().splitlines()]
    return [line for line in lines if line]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation, as numpy/pandas ``describe`` do."""
    if not values:
        return math.nan
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "mean": sum(values) / len(values) if values else math.nan,
        "p10": percentile(values, 0.1),
        "p50": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
    }


def check(instance_dir: str | Path, solution_dir: str | Path) -> dict:
    inst, sol = Path(instance_dir), Path(solution_dir)
    orders = {r["order"]: r for r in _table(inst / "orders.txt")}
    couriers = {r["courier"]: r for r in _table(inst / "couriers.txt")}
    restaurants = {r["restaurant"]: r for r in _table(inst / "restaurants.txt")}
    p = _table(inst / "instance_parameters.txt")[0]
    mpm = float(p["meters_per_minute"])
    svc_p, svc_d = float(p["pickup service minutes"]), float(p["dropoff service minutes"])
    half_p, half_d = svc_p / 2, svc_d / 2
    target = float(p["target click-to-door"])
    pay_order, pay_hour = float(p["pay per order"]), float(p["guaranteed pay per hour"])

    where: dict[str, tuple[float, float]] = {}
    for table in (orders, restaurants, couriers):
        for key, row in table.items():
            where[key] = (float(row["x"]), float(row["y"]))

    def tt(a: str, b: str) -> float:
        (ax, ay), (bx, by) = where[a], where[b]
        return math.ceil(math.sqrt((bx - ax) ** 2 + (by - ay) ** 2) / mpm)

    problems: list[str] = []

    def bad(message: str) -> None:
        if len(problems) < 200:
            problems.append(message)

    # --- assignments
    assignments = []
    for line in _split_lines(sol / "solution_info_assignments.txt")[1:]:
        if len(line) < 4:
            bad(f"assignment line too short: {line}")
            continue
        assignments.append({"time": float(line[0]), "pickup": float(line[1]), "courier": line[2], "orders": line[3:]})
    assignment_of: dict[str, dict] = {}
    for a in assignments:
        if a["courier"] not in couriers:
            bad(f"unknown courier {a['courier']}")
            continue
        rests = set()
        for o in a["orders"]:
            if o not in orders:
                bad(f"unknown order {o}")
                continue
            if o in assignment_of:
                bad(f"order {o} in more than one assignment")
            assignment_of[o] = a
            rests.add(orders[o]["restaurant"])
            if a["time"] < float(orders[o]["placement_time"]):
                bad(f"order {o} assigned at {a['time']} before its placement")
            if a["pickup"] < float(orders[o]["ready_time"]):
                bad(f"order {o} picked up at {a['pickup']} before ready")
        if len(rests) > 1:
            bad(f"bundle {a['orders']} spans restaurants {sorted(rests)}")
        a["restaurant"] = rests.pop() if len(rests) == 1 else None
        if a["pickup"] > float(couriers[a["courier"]]["off_time"]):
            bad(f"{a['courier']} picks up {a['orders']} at {a['pickup']} after off-time")

    # --- orders file (header names the columns; the evaluator splits on single spaces)
    order_lines = (sol / "solution_info_orders.txt").read_text().splitlines()
    header = order_lines[0].split(" ")
    expected = ["order", "placement_time", "ready_time", "pickup_time", "dropoff_time", "courier"]
    if header != expected:
        bad(f"orders file header {header} != {expected}")
    delivered: dict[str, dict] = {}
    for line in order_lines[1:]:
        if not line.strip():
            continue
        f = line.split(" ")
        if len(f) != 6:
            bad(f"orders file line is not 6 single-space separated fields: {line!r}")
            continue
        if not all(_is_number(x) and not math.isnan(float(x)) for x in f[1:5]):
            continue  # an undelivered order may be listed with NaN times
        oid = f[0]
        if oid not in orders:
            bad(f"orders file names unknown order {oid}")
            continue
        if oid in delivered:
            bad(f"order {oid} listed twice")
        row = {"placed": float(f[1]), "ready": float(f[2]), "pickup": float(f[3]), "drop": float(f[4]), "courier": f[5]}
        delivered[oid] = row
        if row["placed"] != float(orders[oid]["placement_time"]) or row["ready"] != float(orders[oid]["ready_time"]):
            bad(f"order {oid}: placement/ready differ from the instance")
        a = assignment_of.get(oid)
        if a is None:
            bad(f"order {oid} delivered without an assignment")
        elif a["courier"] != row["courier"] or a["pickup"] != row["pickup"]:
            bad(f"order {oid}: courier/pickup differ from its assignment")
    for oid in assignment_of:
        if oid not in delivered:
            bad(f"assigned order {oid} has no drop-off in the orders file")

    # --- courier moves
    moves: dict[str, list[tuple[float, str, str]]] = {}
    last = None
    for line in _split_lines(sol / "solution_info_couriers.txt"):
        if not _is_number(line[1]):
            continue  # the header
        cid, dep, origin, dest = line[0], float(line[1]), line[2], line[3]
        if cid not in couriers:
            bad(f"moves of unknown courier {cid}")
            continue
        if cid != last and cid in moves:
            bad(f"moves of {cid} are not grouped")
        last = cid
        moves.setdefault(cid, []).append((dep, cid if origin == "0" else origin, dest))

    by_courier: dict[str, list[dict]] = defaultdict(list)
    for a in assignments:
        if a["courier"] in couriers:
            by_courier[a["courier"]].append(a)
    driving: dict[str, float] = defaultdict(float)
    for cid in set(moves) | set(by_courier):
        c = couriers[cid]
        on = float(c["on_time"])
        mv = moves.get(cid, [])
        # the evaluator's timeline checks
        times, places = [on], [cid]
        for dep, origin, dest in mv:
            if origin != places[-1]:
                bad(f"{cid}: move from {origin} but was at {places[-1]}")
            if dest not in where:
                bad(f"{cid}: move to unknown place {dest}")
                continue
            times += [dep, dep + tt(origin, dest)]
            places += ["", dest]
            driving[cid] += tt(origin, dest)
        if times != sorted(times):
            bad(f"{cid}: departures before arrivals")
        for a in by_courier[cid]:
            i = bisect_left(times, a["pickup"]) - 1
            if a["restaurant"] and places[i] != a["restaurant"]:
                bad(f"{cid}: not at {a['restaurant']} at pickup {a['pickup']}")
            for o in a["orders"]:
                if o in delivered:
                    i = bisect_left(times, delivered[o]["drop"]) - 1
                    if places[i] != o:
                        bad(f"{cid}: not at {o} at its drop-off {delivered[o]['drop']}")
        # the rules, move by move: assignments back to back, nothing else
        plan = sorted(by_courier[cid], key=lambda a: a["pickup"])
        flat = []
        for a in plan:
            flat += [a["restaurant"], *a["orders"]]
        if [d for _, _, d in mv] != flat:
            bad(f"{cid}: moves are not its assignments in sequence")
            continue
        if mv and mv[0][1] != cid:
            bad(f"{cid}: first move does not start at the on-location")
        free = on
        k = 0
        for a in plan:
            dep, origin, dest = mv[k]
            if dep < a["time"] or dep < free:
                bad(f"{cid}: leaves for {dest} at {dep}, before being assigned ({a['time']}) or free ({free})")
            arrive = dep + tt(origin, dest)
            ready = max(float(orders[o]["ready_time"]) for o in a["orders"])
            if a["pickup"] < max(ready, arrive + half_p):
                bad(f"{cid}: pickup at {a['pickup']} before max(ready, arrival + half service)")
            leave_min = a["pickup"] + half_p
            k += 1
            prev_drop = None
            for o in a["orders"]:
                dep, origin, dest = mv[k]
                if dep < leave_min:
                    bad(f"{cid}: leaves {origin} at {dep} before its service ends ({leave_min})")
                arrive = dep + tt(origin, dest)
                drop = delivered.get(o, {}).get("drop")
                if drop is None or drop != arrive + half_d:
                    bad(f"{cid}: drop-off of {o} at {drop} != arrival {arrive} + half service")
                    drop = arrive + half_d
                if prev_drop is not None and drop < prev_drop + svc_d:
                    bad(f"{cid}: drop-offs of {a['orders']} out of sequence")
                prev_drop = drop
                leave_min = drop + half_d
                k += 1
            free = leave_min

    # --- metrics
    n = len(orders)
    ctd, overage, r2d, r2p, ratio_num, ratio_den = [], [], [], [], [], []
    for oid, row in delivered.items():
        o = orders[oid]
        placed, ready = float(o["placement_time"]), float(o["ready_time"])
        c2d = row["drop"] - placed
        ctd.append(c2d)
        overage.append(max(0.0, c2d - target))
        r2d.append(row["drop"] - ready)
        r2p.append(row["pickup"] - ready)
        ratio_num.append(c2d)
        ratio_den.append(ready - placed + half_p + tt(o["restaurant"], oid) + half_d)
    hours = {cid: (float(c["off_time"]) - float(c["on_time"])) / 60 for cid, c in couriers.items()}
    served = defaultdict(int)
    bundles = defaultdict(int)
    for a in assignments:
        bundles[a["courier"]] += 1
        served[a["courier"]] += sum(1 for o in a["orders"] if o in delivered)
    util = []
    pay = 0.0
    for cid, h in hours.items():
        busy = driving[cid] + svc_p * bundles[cid] + svc_d * served[cid]
        util.append(busy / (h * 60) if h > 0 else 0.0)
        pay += max(pay_order * served[cid], pay_hour * h)
    total_hours = sum(hours.values())
    # an upper bound on what any policy can deliver: some courier must be able to pick the
    # order up after it is ready and placed, and after coming on duty, before going off
    deliverable = 0
    for o in orders.values():
        placed, ready = float(o["placement_time"]), float(o["ready_time"])
        if any(
            float(c["off_time"]) >= max(ready, placed + half_p, float(c["on_time"]) + half_p) for c in couriers.values()
        ):
            deliverable += 1
    sizes = [len(a["orders"]) for a in assignments]
    return {
        "feasible": not problems,
        "problems": problems,
        "orders": n,
        "delivered": len(delivered),
        "deliverable_bound": deliverable,
        "undelivered_pct": 100.0 * (n - len(delivered)) / n,
        "click_to_door": summary(ctd),
        "overage": summary(overage),
        "over_target_pct": 100.0 * sum(1 for x in overage if x > 0) / max(1, len(overage)),
        "ready_to_door": summary(r2d),
        "ready_to_pickup": summary(r2p),
        "utilisation": sum(util) / len(util),
        "orders_per_courier_hour": len(delivered) / total_hours,
        "courier_hours": total_hours,
        "total_pay": pay,
        "pay_per_order": pay / max(1, len(delivered)),
        "orders_per_bundle": sum(sizes) / max(1, len(sizes)),
        "assignments": len(sizes),
        "couriers": len(couriers),
        "lower_bound_mean": sum(ratio_den) / max(1, len(ratio_den)),
        "ratio_to_bound": (sum(ratio_num) / sum(ratio_den)) if ratio_den else math.nan,
        "ctd_values": ctd,
        "ready_to_pickup_values": r2p,
        "lower_bound_values": ratio_den,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance_dir")
    parser.add_argument("solution_dir")
    parser.add_argument("--json", action="store_true", help="print every metric as JSON")
    args = parser.parse_args()
    report = check(args.instance_dir, args.solution_dir)
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if not k.endswith("_values")}, indent=1))
    else:
        print("FEASIBLE" if report["feasible"] else "INFEASIBLE")
        for problem in report["problems"]:
            print("  ", problem)
        print(
            f"delivered {report['delivered']}/{report['orders']} (bound {report['deliverable_bound']}), "
            f"click-to-door mean {report['click_to_door']['mean']:.2f} p90 {report['click_to_door']['p90']:.2f}, "
            f"ratio to bound {report['ratio_to_bound']:.3f}, orders/bundle {report['orders_per_bundle']:.2f}"
        )
    raise SystemExit(0 if report["feasible"] else 1)


if __name__ == "__main__":
    main()
