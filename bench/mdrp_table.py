"""The MDRP table: every instance under the engine and the greedy baseline, checked, side by side.

    .venv/bin/python bench/mdrp_table.py [--instances DIR] [--out DIR] [--only SUBSTRING] [--policies engine,greedy]

For each instance directory and policy: simulate (``bench/mdrp_sim.py``), write the
official solution files to ``OUT/<instance>/<policy>/``, check and measure them from
the files (``bench/mdrp_check.py``), then print per-instance, per-group (o100 / o50 /
r50) and overall tables and save them with the raw numbers in ``OUT/results.json``
and ``OUT/results.md``. Exits non-zero if any solution is infeasible.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mdrp_check  # noqa: E402
import mdrp_sim  # noqa: E402

HERE = Path(__file__).resolve().parent


def default_instances() -> Path:
    """$MDRP_INSTANCES, else shared/mdrp/instances beside the repository (as on every machine)."""
    if os.environ.get("MDRP_INSTANCES"):
        return Path(os.environ["MDRP_INSTANCES"])
    for candidate in (HERE.parent.parent / "shared" / "mdrp" / "instances", Path("/work/shared/mdrp/instances")):
        if candidate.is_dir():
            return candidate
    return Path("/work/shared/mdrp/instances")


def group_of(name: str) -> str:
    for g in ("o100", "o50", "r50"):
        if g in name:
            return g
    return "other"


def pct(values: list[float], q: float) -> float:
    return mdrp_check.percentile(values, q)


def run_one(instance_dir: Path, policy: str, out: Path) -> dict:
    inst = mdrp_sim.load_instance(instance_dir)
    started = time.perf_counter()
    sol = mdrp_sim.simulate(inst, policy)
    wall = time.perf_counter() - started
    target = out / inst.name / policy
    mdrp_sim.write_solution(sol, target)
    report = mdrp_check.check(instance_dir, target)
    report.update(
        instance=inst.name,
        policy=policy,
        group=group_of(inst.name),
        decision_ms=sorted(sol.decision_ms),
        mispredicted=sol.mispredicted,
        wall_s=wall,
    )
    return report


def aggregate(rows: list[dict]) -> dict:
    """Pool the orders, couriers and rounds of several runs of one policy."""
    ctd = [x for r in rows for x in r["ctd_values"]]
    r2p = [x for r in rows for x in r["ready_to_pickup_values"]]
    lb = [x for r in rows for x in r["lower_bound_values"]]
    ms = sorted(x for r in rows for x in r["decision_ms"])
    orders = sum(r["orders"] for r in rows)
    delivered = sum(r["delivered"] for r in rows)
    couriers = sum(r["couriers"] for r in rows)
    return {
        "runs": len(rows),
        "orders": orders,
        "delivered": delivered,
        "deliverable_bound": sum(r["deliverable_bound"] for r in rows),
        "undelivered_pct": 100.0 * (orders - delivered) / orders,
        "instances_with_undelivered": sum(1 for r in rows if r["delivered"] < r["orders"]),
        "ctd_mean": statistics.fmean(ctd),
        "ctd_p90": pct(ctd, 0.9),
        "overage_mean": statistics.fmean(max(0.0, x - 40.0) for x in ctd),
        "r2p_mean": statistics.fmean(r2p),
        "r2p_p90": pct(r2p, 0.9),
        "utilisation": sum(r["utilisation"] * r["couriers"] for r in rows) / couriers,
        "orders_per_courier_hour": delivered / sum(r["courier_hours"] for r in rows),
        "pay_per_order": sum(r["total_pay"] for r in rows) / delivered,
        "orders_per_bundle": delivered / sum(r["assignments"] for r in rows),
        "ratio_mean_of_instances": statistics.fmean(r["ratio_to_bound"] for r in rows),
        "ratio_pooled": sum(ctd) / sum(lb),
        "decision_ms_p50": statistics.median(ms) if ms else 0.0,
        "decision_ms_max": ms[-1] if ms else 0.0,
        "feasible": all(r["feasible"] for r in rows),
    }


HEAD = (
    "| {name} | policy | feasible | delivered | undelivered % | click-to-door mean | p90 | overage mean "
    "| ready→pickup mean | p90 | utilisation | orders / courier-h | pay / order | orders / bundle "
    "| ratio to bound | decision ms p50 / max |"
)


def _line(label: str, policy: str, a: dict) -> str:
    return (
        f"| {label} | {policy} | {'yes' if a['feasible'] else '**NO**'} | {a['delivered']}/{a['orders']} "
        f"| {a['undelivered_pct']:.2f} | {a['ctd_mean']:.2f} | {a['ctd_p90']:.1f} | {a['overage_mean']:.2f} "
        f"| {a['r2p_mean']:.2f} | {a['r2p_p90']:.1f} | {a['utilisation']:.3f} | {a['orders_per_courier_hour']:.3f} "
        f"| {a['pay_per_order']:.2f} | {a['orders_per_bundle']:.3f} | {a['ratio_mean_of_instances']:.3f} "
        f"| {a['decision_ms_p50']:.2f} / {a['decision_ms_max']:.1f} |"
    )


def tables(rows: list[dict], policies: list[str]) -> str:
    sep = "|" + "---|" * 2 + "---|" * 14
    out = ["Per instance:", "", HEAD.format(name="instance"), sep]
    for name in sorted({r["instance"] for r in rows}):
        for policy in policies:
            mine = [r for r in rows if r["instance"] == name and r["policy"] == policy]
            if mine:
                out.append(_line(name, policy, aggregate(mine)))
    out += ["", "By group (orders, couriers and rounds pooled; ratio = mean of the instances' ratios):", ""]
    out += [HEAD.format(name="group"), sep]
    groups = sorted({r["group"] for r in rows}, key=lambda g: ("o100", "o50", "r50", "other").index(g))
    for label in [*groups, "all"]:
        for policy in policies:
            mine = [r for r in rows if r["policy"] == policy and (label == "all" or r["group"] == label)]
            if mine:
                out.append(_line(f"**{label}**" if label == "all" else label, policy, aggregate(mine)))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=Path, default=default_instances())
    parser.add_argument("--out", type=Path, default=HERE / "out" / "mdrp")
    parser.add_argument("--only", default="")
    parser.add_argument("--policies", default="engine,greedy")
    args = parser.parse_args()
    policies = args.policies.split(",")
    rows = []
    for d in sorted(p for p in args.instances.iterdir() if p.is_dir() and args.only in p.name):
        for policy in policies:
            r = run_one(d, policy, args.out)
            rows.append(r)
            print(
                f"{r['instance']:>16} {policy:>6}: {'FEASIBLE' if r['feasible'] else 'INFEASIBLE'} "
                f"delivered {r['delivered']}/{r['orders']} (bound {r['deliverable_bound']}) "
                f"ctd {r['click_to_door']['mean']:.2f} ratio {r['ratio_to_bound']:.3f} "
                f"bundle {r['orders_per_bundle']:.2f} max round {r['decision_ms'][-1]:.1f} ms "
                f"({r['wall_s']:.1f} s)",
                flush=True,
            )
            for problem in r["problems"][:5]:
                print("    ", problem)
    text = tables(rows, policies)
    print()
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text + "\n")
    raw = [{k: v for k, v in r.items() if not k.endswith("_values") and k != "decision_ms"} for r in rows]
    summary = {policy: aggregate([r for r in rows if r["policy"] == policy]) for policy in policies if rows}
    (args.out / "results.json").write_text(json.dumps({"runs": raw, "overall": summary}, indent=1) + "\n")
    if not all(r["feasible"] for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
