"""The MDRP simulator and the independent checker agree, on a tiny hand-made instance.

The instance is written into a temporary directory in the official format; the
simulator's greedy run is compared with times worked out by hand from the rules,
both policies' solution files pass the checker, the checker's metrics match
what the simulator did, and the checker catches tampered solutions.
"""

from __future__ import annotations

import importlib
import statistics
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("mdrp_sim"), importlib.import_module("mdrp_check")
    finally:
        sys.path.remove(str(BENCH))


TSV = {
    "instance_parameters.txt": [
        "meters_per_minute\tpickup service minutes\tdropoff service minutes\ttarget click-to-door"
        "\tmaximum click-to-door\tpay per order\tguaranteed pay per hour",
        "100\t4\t4\t40\t90\t10\t15",
    ],
    "restaurants.txt": ["restaurant\tx\ty", "r1\t0\t0", "r2\t1000\t0"],
    "couriers.txt": [
        "courier\tx\ty\ton_time\toff_time",
        "c1\t200\t0\t0\t120",
        "c2\t1500\t0\t0\t120",
        "c3\t0\t0\t100\t110",
    ],
    "orders.txt": [
        "order\tx\ty\tplacement_time\trestaurant\tready_time",
        "o1\t0\t700\t0\tr1\t10",
        "o2\t1000\t500\t2\tr2\t6",
        "o3\t0\t-600\t5\tr1\t12",
        "o4\t100\t800\t6\tr1\t12",
        "o5\t0\t100\t200\tr1\t210",  # placed after every courier's shift: undeliverable
    ],
}


@pytest.fixture
def instance_dir(tmp_path):
    d = tmp_path / "tiny"
    d.mkdir()
    for name, lines in TSV.items():
        (d / name).write_text("\n".join(lines) + "\n")
    return d


def test_greedy_follows_the_rules_worked_by_hand(bench, instance_dir, tmp_path):
    sim, check = bench
    sol = sim.simulate(sim.load_instance(instance_dir), "greedy")
    drops = {o: d for e in sol.executed for o, d in zip(e.orders, e.dropoffs, strict=True)}
    # o1 at 0: c1 is 2 min from r1 (c2 15): arrives 2, picks up at ready 10, leaves 12, 7 min to o1: 19 + 2
    # o2 at 2: c2 5 min from r2: arrives 7, pickup max(6, 7 + 2) = 9, leaves 11, 5 min: 16 + 2
    # o3 at 5: c1 free at 23 at o1 (7 min to r1: 30), c2 free at 20 at o2 (12 min: 32): c1, pickup 32, 6 min: 40 + 2
    # o4 at 6: c1 now free at 44 (at o3), c2 at 20 + 12 = 32: c2, pickup 34, leaves 36, 9 min: 45 + 2
    assert drops == {"o1": 21, "o2": 18, "o3": 42, "o4": 47}
    assert {e.orders[0]: e.courier for e in sol.executed} == {"o1": "c1", "o2": "c2", "o3": "c1", "o4": "c2"}
    out = tmp_path / "greedy"
    sim.write_solution(sol, out)
    lines = (out / "solution_info_couriers.txt").read_text().splitlines()
    assert lines[0] == "courier departure_time origin destination"
    assert lines[1:4] == ["c1 0 0 r1", "c1 12 r1 o1", "c1 23 o1 r1"]
    orders_file = (out / "solution_info_orders.txt").read_text().splitlines()
    assert orders_file[0] == "order placement_time ready_time pickup_time dropoff_time courier"
    assert orders_file[1] == "o1 0 10 10 21 c1"


@pytest.mark.parametrize("policy", ["engine", "greedy"])
def test_solutions_pass_the_checker_and_its_metrics_match_the_simulation(bench, instance_dir, tmp_path, policy):
    sim, check = bench
    inst = sim.load_instance(instance_dir)
    sol = sim.simulate(inst, policy)
    out = tmp_path / policy
    sim.write_solution(sol, out)
    report = check.check(instance_dir, out)
    assert report["feasible"], report["problems"]
    assert report["delivered"] == 4 and report["orders"] == 5
    assert report["deliverable_bound"] == 4
    ctd = [d - inst.orders[o].placed for e in sol.executed for o, d in zip(e.orders, e.dropoffs, strict=True)]
    assert report["click_to_door"]["mean"] == pytest.approx(statistics.fmean(ctd))
    assert report["orders_per_bundle"] == pytest.approx(4 / len(sol.executed))
    # pay: c1, c2 on duty 2 h (30 guaranteed), c3 10 min (2.5); each delivered at most 30 worth of orders
    assert report["total_pay"] == pytest.approx(30 + 30 + 2.5)
    assert sol.mispredicted == 0


def _tamper(out: Path, name: str, old: str, new: str) -> None:
    path = out / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("name", "old", "new", "complaint"),
    [
        ("solution_info_orders.txt", "o1 0 10 10 21 c1", "o1 0 10 10 20 c1", "o1"),  # drop-off before arrival + 2
        ("solution_info_assignments.txt", "0 10 c1 o1", "0 9 c1 o1", "ready"),  # pickup before ready
        ("solution_info_assignments.txt", "5 32 c1 o3", "4 32 c1 o3", "before its placement"),
        ("solution_info_couriers.txt", "c1 23 o1 r1", "c1 22 o1 r1", "c1"),  # leaves before its service ends
        ("solution_info_couriers.txt", "c1 12 r1 o1\n", "", "c1"),  # a move missing
    ],
)
def test_the_checker_catches_broken_solutions(bench, instance_dir, tmp_path, name, old, new, complaint):
    sim, check = bench
    out = tmp_path / "greedy"
    sim.write_solution(sim.simulate(sim.load_instance(instance_dir), "greedy"), out)
    assert check.check(instance_dir, out)["feasible"]
    _tamper(out, name, old, new)
    report = check.check(instance_dir, out)
    assert not report["feasible"]
    assert any(complaint in problem for problem in report["problems"])
