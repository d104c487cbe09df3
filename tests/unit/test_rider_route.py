"""The order of a rider's stops: least total drop-off time, pickups first, waiting for kitchens, shared stores."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from paotui.riders.route import Job, plan_stops

NOW = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
START = (0.0, 0.0)


def at(x: float, y: float = 0.0) -> tuple[float, float]:
    """A point on a plane where a minute's travel is one unit."""
    return (x, y)


def euclid(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.dist(a, b)


def minutes(moment: datetime) -> float:
    return (moment - NOW).total_seconds() / 60


def plan(jobs, *, travel=euclid, exact_limit=8, start=START):
    return plan_stops(start, NOW, jobs, travel, exact_limit=exact_limit)


def summary(stops) -> list[tuple[str, tuple[str, ...], float, float]]:
    return [(s.kind, s.order_ids, round(minutes(s.eta), 6), round(minutes(s.depart_at), 6)) for s in stops]


def total_dropoff_minutes(stops) -> float:
    return sum(minutes(s.eta) for s in stops if s.kind == "dropoff")


def test_no_orders_no_stops():
    assert plan([]) == []


def test_a_pickup_comes_before_its_dropoff_even_when_the_door_is_nearer():
    stops = plan([Job("ord_1", dropoff=at(5), pickup=at(10), store="mer_1")])
    assert summary(stops) == [("pickup", ("ord_1",), 10, 10), ("dropoff", ("ord_1",), 15, 15)]
    assert stops[0].point == at(10) and stops[1].point == at(5)


def test_the_rider_waits_at_the_store_until_the_food_is_ready():
    ready = NOW + timedelta(minutes=12)
    stops = plan([Job("ord_1", dropoff=at(5), pickup=at(2), store="mer_1", ready_at=ready)])
    assert summary(stops) == [("pickup", ("ord_1",), 2, 12), ("dropoff", ("ord_1",), 15, 15)]
    assert stops[0].ready_at == ready and stops[1].ready_at is None


def test_food_ready_before_the_rider_arrives_costs_no_wait():
    stops = plan([Job("ord_1", dropoff=at(5), pickup=at(2), store="mer_1", ready_at=NOW - timedelta(minutes=3))])
    assert summary(stops)[0] == ("pickup", ("ord_1",), 2, 2)


def test_four_customers_at_one_door_go_before_a_nearer_lone_one():
    """Nearest first would reach the lone door at 2 and the others at 7 (sum 30); the other way round is 20."""
    jobs = [Job("ord_lone", dropoff=at(-2))] + [Job(f"ord_{i}", dropoff=at(3)) for i in range(4)]
    stops = plan(jobs)
    assert [s.order_ids for s in stops] == [("ord_0",), ("ord_1",), ("ord_2",), ("ord_3",), ("ord_lone",)]
    assert [minutes(s.eta) for s in stops] == [3, 3, 3, 3, 8]
    assert total_dropoff_minutes(stops) == 20


def test_beyond_the_exact_limit_the_greedy_route_is_taken():
    jobs = [Job("ord_lone", dropoff=at(-2))] + [Job(f"ord_{i}", dropoff=at(3)) for i in range(4)]
    stops = plan(jobs, exact_limit=4)
    assert stops[0].order_ids == ("ord_lone",) and total_dropoff_minutes(stops) == 30


def test_orders_of_one_store_picked_up_together_share_the_stop():
    jobs = [
        Job("ord_a", dropoff=at(10), pickup=at(5), store="mer_1", ready_at=NOW),
        Job("ord_b", dropoff=at(12), pickup=at(5), store="mer_1", ready_at=NOW + timedelta(minutes=6)),
    ]
    stops = plan(jobs)
    assert summary(stops) == [
        ("pickup", ("ord_a", "ord_b"), 5, 6),
        ("dropoff", ("ord_a",), 11, 11),
        ("dropoff", ("ord_b",), 13, 13),
    ]
    assert stops[0].ready_at == NOW + timedelta(minutes=6)  # the last of the two


def test_an_early_order_is_not_held_back_for_a_late_one_of_the_same_store():
    """Waiting for B's food would deliver at 25 and 27 (52); taking A first and coming back delivers at 10, 27."""
    jobs = [
        Job("ord_a", dropoff=at(10), pickup=at(5), store="mer_1", ready_at=NOW + timedelta(minutes=5)),
        Job("ord_b", dropoff=at(12), pickup=at(5), store="mer_1", ready_at=NOW + timedelta(minutes=20)),
    ]
    assert summary(plan(jobs)) == [
        ("pickup", ("ord_a",), 5, 5),
        ("dropoff", ("ord_a",), 10, 10),
        ("pickup", ("ord_b",), 15, 20),
        ("dropoff", ("ord_b",), 27, 27),
    ]


def test_pickups_at_one_spot_of_different_stores_stay_apart():
    jobs = [
        Job("ord_a", dropoff=at(10), pickup=at(5), store="mer_1"),
        Job("ord_b", dropoff=at(10), pickup=at(5), store="mer_2"),
    ]
    assert [s.order_ids for s in plan(jobs) if s.kind == "pickup"] == [("ord_a",), ("ord_b",)]


def test_a_picked_up_order_is_delivered_on_the_way_to_the_next_store():
    jobs = [
        Job("ord_carried", dropoff=at(4)),  # DELIVERING: no pickup left
        Job("ord_next", dropoff=at(9), pickup=at(6), store="mer_1"),
    ]
    assert summary(plan(jobs)) == [
        ("dropoff", ("ord_carried",), 4, 4),
        ("pickup", ("ord_next",), 6, 6),
        ("dropoff", ("ord_next",), 9, 9),
    ]


def test_ties_go_to_the_smaller_order_id_whatever_the_input_order():
    jobs = [Job("ord_b", dropoff=at(-5)), Job("ord_a", dropoff=at(5))]  # 5 + 15 either way, both end at 15
    assert [s.order_ids for s in plan(jobs)] == [("ord_a",), ("ord_b",)]
    assert plan(list(reversed(jobs))) == plan(jobs)


def best_by_enumeration(jobs) -> float:
    """The least total drop-off time over every order of events that picks up before it drops off."""
    events = [(j, kind) for j, job in enumerate(jobs) for kind in (("pickup",) if job.pickup else ()) + ("dropoff",)]
    best = math.inf
    for order in itertools.permutations(events):
        if any(order.index((j, "pickup")) > order.index((j, "dropoff")) for j, job in enumerate(jobs) if job.pickup):
            continue
        here, t, cost = START, 0.0, 0.0
        for j, kind in order:
            job = jobs[j]
            point = job.pickup if kind == "pickup" else job.dropoff
            t += euclid(here, point)
            if kind == "pickup" and job.ready_at:
                t = max(t, minutes(job.ready_at))
            else:
                cost += t * (kind == "dropoff")
            here = point
        best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_the_route_is_the_best_there_is(seed):
    rnd = random.Random(seed)
    stores = [at(rnd.uniform(-10, 10), rnd.uniform(-10, 10)) for _ in range(2)]
    jobs = []
    for i in range(rnd.randint(1, 4)):
        store = rnd.randrange(2)
        carried = rnd.random() < 0.3
        jobs.append(
            Job(
                f"ord_{i}",
                dropoff=at(rnd.uniform(-10, 10), rnd.uniform(-10, 10)),
                pickup=None if carried else stores[store],
                store=None if carried else f"mer_{store}",
                ready_at=None if carried else NOW + timedelta(minutes=rnd.uniform(-5, 25)),
            )
        )
    stops = plan(jobs)
    assert total_dropoff_minutes(stops) == pytest.approx(best_by_enumeration(jobs))
    picked = {job.order_id for job in jobs if job.pickup is None}  # carried already
    delivered = []
    for stop in stops:  # every pickup before its drop-off, every order delivered once
        if stop.kind == "pickup":
            assert not picked & set(stop.order_ids)
            picked |= set(stop.order_ids)
        else:
            assert set(stop.order_ids) <= picked
            delivered += stop.order_ids
    assert sorted(delivered) == sorted(job.order_id for job in jobs)
    assert plan(jobs) == stops  # the same input, the same stops


def test_eight_orders_are_planned_exactly_in_good_time():
    rnd = random.Random(7)
    stores = [at(rnd.uniform(-15, 15), rnd.uniform(-15, 15)) for _ in range(4)]
    jobs = [
        Job(
            f"ord_{i}",
            dropoff=at(rnd.uniform(-15, 15), rnd.uniform(-15, 15)),
            pickup=stores[i % 4],
            store=f"mer_{i % 4}",
            ready_at=NOW + timedelta(minutes=rnd.uniform(0, 20)),
        )
        for i in range(8)
    ]
    exact, greedy = plan(jobs), plan(jobs, exact_limit=0)
    assert total_dropoff_minutes(exact) <= total_dropoff_minutes(greedy)
    assert sum(s.kind == "dropoff" for s in exact) == 8
