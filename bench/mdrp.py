"""Solve one Grubhub MDRP instance and write the official evaluator's solution files.

    .venv/bin/python bench/mdrp.py INSTANCE_DIR OUT_DIR [--policy engine|greedy]

Writes ``solution_info_assignments.txt``, ``solution_info_orders.txt`` and
``solution_info_couriers.txt`` (plus ``run_stats.json``: decision times) into OUT_DIR,
then checks them with ``bench/mdrp_check.py`` and prints the verdict and headline numbers.
The rules and formats: /work/shared/mdrp/README.md; the simulation: ``bench/mdrp_sim.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mdrp_check  # noqa: E402
import mdrp_sim  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--policy", choices=["engine", "greedy"], default="engine")
    args = parser.parse_args()
    inst = mdrp_sim.load_instance(args.instance_dir)
    sol = mdrp_sim.simulate(inst, args.policy)
    mdrp_sim.write_solution(sol, args.out_dir)
    report = mdrp_check.check(args.instance_dir, args.out_dir)
    stats = json.loads((Path(args.out_dir) / "run_stats.json").read_text())
    print("FEASIBLE" if report["feasible"] else "INFEASIBLE", *report["problems"][:20], sep="\n  ")
    print(
        f"{inst.name} {args.policy}: delivered {report['delivered']}/{report['orders']}, "
        f"click-to-door mean {report['click_to_door']['mean']:.2f} p90 {report['click_to_door']['p90']:.2f}, "
        f"ratio to bound {report['ratio_to_bound']:.3f}, orders/bundle {report['orders_per_bundle']:.2f}, "
        f"decision p50 {stats['decision_ms_p50']:.2f} ms max {stats['decision_ms_max']:.1f} ms, "
        f"mispredicted {stats['mispredicted']}"
    )
    raise SystemExit(0 if report["feasible"] else 1)


if __name__ == "__main__":
    main()
