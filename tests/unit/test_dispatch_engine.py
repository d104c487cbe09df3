"""The dispatch engine on hand-made cases whose best answer is known: pure, no AWS.

Coordinates are metres on a line (y = 0 unless said otherwise) and riders move
100 m a minute, so distances read as minutes; service is 4 + 4 minutes (2 before
and 2 after each pickup and drop-off), as in MDRP.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from paotui.dispatch.engine import (
    EuclideanTravel,
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
from paotui.dispatch.engine.assign import match

PARAMS = Params(travel=EuclideanTravel(speed=100.0))


def at(x: float, y: float = 0.0) -> tuple[float, float]:
    return (x * 100.0, y * 100.0)  # minutes from the origin → metres


def order(oid, store_x, drop_x, *, ready, placed=0.0, store=None, drop_y=0.0, scheduled=None):
    return Order(
        id=oid,
        store=store or f"s{store_x}",
        pickup=at(store_x),
        dropoff=at(drop_x, drop_y),
        placed_at=placed,
        ready_at=ready,
        scheduled_at=scheduled,
    )


def plan(now, orders, riders, refusals=(), params=PARAMS):
    return plan_round(RoundState(now=now, orders=tuple(orders), riders=tuple(riders), refusals=tuple(refusals)), params)


def trips(decision):
    """Every planned trip, committed or postponed: {rider: order ids}."""
    return {a.rider_id: a.order_ids for a in decision.assignments + decision.deferred}


# --- the cost model -------------------------------------------------------------------------


def test_one_order_one_rider_times_and_cost():
    # rider 5 min from the store, food ready at 10, customer 7 min from the store
    decision = plan(0, [order("a", 0, 7, ready=10)], [Rider("r", at(5))])
    (a,) = decision.deferred  # the rider need not leave before minute 3: postponed
    assert (a.depart_at, a.arrive_at, a.pickup_at, a.dropoff_at, a.free_at) == (0, 5, 10, (21,), 23)
    assert a.commit_by == 3  # 10 - 2 (half the pickup service) - 5 (travel)
    # click-to-door 21 + 0.15 × the minutes the trip holds the rider: free at 0, free again at 23
    # (the 3 minutes before they leave just in time count: held for this trip, they take no other)
    assert a.cost == pytest.approx(21 + 0.15 * 23)


def test_lateness_beyond_target_and_maximum_costs_extra():
    params = replace(PARAMS, overage_weight=0.5, over_max_weight=5.0)
    late = plan(0, [order("a", 0, 7, ready=10, placed=-40)], [Rider("r", at(5))], params=params).deferred[0]
    assert late.cost == pytest.approx(61 + 0.5 * 21 + 0.15 * 23)  # 21 minutes over the 40-minute target
    failed = plan(0, [order("a", 0, 7, ready=10, placed=-80)], [Rider("r", at(5))], params=params).deferred[0]
    assert failed.cost == pytest.approx(101 + 0.5 * 61 + 5.0 * 11 + 0.15 * 23)


def test_travel_models():
    euclid = EuclideanTravel(speed=320.0)
    assert list(euclid.minutes([(0, 0), (0, 0)], [(320, 0), (321, 0)])) == [1.0, 2.0]  # ceil, as MDRP
    city = HaversineTravel(speed=250.0, detour=1.0)
    one_km_north = (31.2304 + 1000 / 111_195, 121.4737)
    assert city.minutes([(31.2304, 121.4737)], [one_km_north])[0] == pytest.approx(4.0, rel=1e-3)


# --- assignment ---------------------------------------------------------------------------------


def test_the_assignment_beats_first_come_nearest_rider():
    # a (placed first, ready at 12) at store 0; b (ready at 7) at store 10.
    # r1 sits between them (5 min from each), r2 8 min on the other side of store 0.
    a = order("a", 0, -5, ready=12)
    b = order("b", 10, 15, ready=7)
    r1, r2 = Rider("r1", at(5)), Rider("r2", at(-8))
    # greedy: a goes to the nearest rider, r1; b is left with r2, 18 min away: picked up 13 min late
    nearest_for_a = min((r1, r2), key=lambda r: abs(r.position[0] - a.pickup[0]))
    assert nearest_for_a is r1
    decision = plan(0, [a, b], [r1, r2])
    assert trips(decision) == {"r1": ("b",), "r2": ("a",)}  # both picked up on time
    assert {x.rider_id: x.pickup_at for x in decision.assignments + decision.deferred} == {"r1": 7, "r2": 12}
    # b cannot wait (r1 must leave now), a can (r2 need only leave at minute 2)
    assert [x.rider_id for x in decision.assignments] == ["r1"]
    assert [x.rider_id for x in decision.deferred] == ["r2"]


def test_three_orders_from_one_store_and_two_riders_make_one_bundle():
    # three orders ready together at store 0, two riders next to it: the third order rides
    # along with the one whose customer is nearest its own, the other rider takes the odd one out
    orders = [
        order("a", 0, 10, ready=10),
        order("b", 0, 11, ready=10, drop_y=1),
        order("c", 0, -10, ready=10),
    ]
    decision = plan(0, orders, [Rider("r1", at(1)), Rider("r2", at(-1))])
    planned = trips(decision)
    assert sorted(len(ids) for ids in planned.values()) == [1, 2]
    assert sorted(planned.values(), key=len) == [("c",), ("a", "b")]
    assert decision.unassigned == ()


def test_no_bundle_when_a_second_rider_delivers_sooner():
    orders = [order("a", 0, 10, ready=10), order("b", 0, 11, ready=10, drop_y=1)]
    decision = plan(0, orders, [Rider("r1", at(1)), Rider("r2", at(-1))])
    assert sorted(trips(decision).values()) == [("a",), ("b",)]


def test_bundle_respects_rider_capacity_and_route():
    orders = [order("a", 0, 10, ready=10), order("b", 0, 11, ready=10, drop_y=1)]
    busy = Stop("dropoff", at(2), ("x", "y"), leave_at=1)  # two orders on the route, capacity 3
    decision = plan(0, orders, [Rider("r1", at(2), capacity=3, route=(busy,))])
    assert list(trips(decision).values()) in ([("a",)], [("b",)])  # room for one more order only
    assert len(decision.unassigned) == 1


def test_riders_offline_off_shift_or_far_from_free_are_not_used():
    o = order("a", 0, 5, ready=5)
    riders = [
        Rider("offline", at(1), online=False),
        Rider("off-soon", at(1), off_at=2),  # cannot pick up by minute 2
        Rider("busy-long", at(1), route=(Stop("dropoff", at(1), ("z",), leave_at=60),)),  # beyond queue_horizon
        Rider("ok", at(9)),
    ]
    assert trips(plan(0, [o], riders)) == {"ok": ("a",)}
    assert plan(0, [o], riders[:3]).unassigned == ("a",)


def test_a_busy_rider_starts_where_and_when_their_route_ends():
    busy = Rider("r", at(50), route=(Stop("dropoff", at(3), ("z",), leave_at=4),))
    (a,) = plan(0, [order("a", 0, 5, ready=6)], [busy]).deferred
    assert (a.depart_at, a.arrive_at, a.pickup_at) == (4, 7, 9)


def test_a_rider_going_off_shift_takes_the_long_ride():
    # "far" (30-min ride) at store 0 and "near" (5-min ride) at store 2, both ready now; rider a
    # sits at store 2 and goes off shift at minute 6, b at store 0 stays on. Each taking the
    # store they sit at is quicker for the customers; but a's minutes after minute 6 are not
    # the fleet's: a picks "far" up at 4 and rides it after the shift, b is free again at 15.
    params = replace(PARAMS, rider_time_weight=1.0)
    far, near = order("far", 0, 30, ready=0), order("near", 2, 7, ready=0)
    decision = plan(0, [far, near], [Rider("a", at(2), off_at=6), Rider("b", at(0))], params=params)
    assert trips(decision) == {"a": ("far",), "b": ("near",)}
    a = next(x for x in decision.assignments if x.rider_id == "a")
    assert (a.pickup_at, a.dropoff_at, a.free_at) == (4, (38,), 40)
    assert a.cost == pytest.approx(38 + 1.0 * 6)  # click-to-door + the rider's minutes up to the off-time
    # without the off-time each rider keeps to their own store
    decision = plan(0, [far, near], [Rider("a", at(2)), Rider("b", at(0))], params=params)
    assert trips(decision) == {"a": ("near",), "b": ("far",)}


def test_the_rider_who_comes_free_just_in_time_goes_and_the_idle_one_stays_free():
    # food ready at 10 at store 0: "idle" stands at the store now, "busy" finishes a drop-off
    # next door at 8. Both would pick up at 10; sending "busy" holds nobody for 10 minutes,
    # so "idle" stays free for the next order.
    busy = Rider("busy", at(0), route=(Stop("dropoff", at(0), ("z",), leave_at=8),))
    decision = plan(0, [order("a", 0, 7, ready=10)], [Rider("idle", at(0)), busy])
    assert trips(decision) == {"busy": ("a",)}


def test_a_rider_first_at_other_stores_costs_more_to_send_away():
    # "x" (store at the origin, ready now, 20 minutes south) can go to "hub" (2 minutes north of
    # it) or "loner" (3 minutes south). "hub" is also among the first three riders at the two
    # stores 10 minutes north, which "c1" and "c2" serve now; "loner" is among the first at no
    # other store. A minute of hub's time is priced higher, by demand_weight.
    def at_store(oid, x, y, drop_y):
        return Order(id=oid, store=f"s{x},{y}", pickup=at(x, y), dropoff=at(x, drop_y), placed_at=0, ready_at=0)

    orders = [at_store("x", 0, 0, -20), at_store("o1", 0, 10, 14), at_store("o2", 1, 10, 14)]
    riders = [Rider("hub", at(0, 2)), Rider("loner", at(0, -3)), Rider("c1", at(0, 12)), Rider("c2", at(1, 12))]
    # at the default weight a minute of the customer's outweighs it: hub, a minute sooner, goes
    assert trips(plan(0, orders, riders)) == {"hub": ("x",), "c1": ("o1",), "c2": ("o2",)}
    # weighed heavily, hub is kept for the stores around it and loner goes
    heavy = replace(PARAMS, demand_weight=1.0)
    assert trips(plan(0, orders, riders, params=heavy)) == {"loner": ("x",), "c1": ("o1",), "c2": ("o2",)}


def test_a_rider_first_at_a_store_busy_lately_costs_more_to_send_away():
    # "x" (store at the origin, ready now, 20 minutes south): "hub" is 2 minutes north of it,
    # "loner" 3 minutes south. The store 10 minutes north has no open order, but it took six in
    # the last 90 minutes: hub is among the first three there (with c1 and c2, idle next to it),
    # so a minute of hub's time is priced like that of a rider first at open orders' stores.
    x = Order(id="x", store="s0", pickup=at(0), dropoff=at(0, -20), placed_at=0, ready_at=0)
    riders = [Rider("hub", at(0, 2)), Rider("loner", at(0, -3)), Rider("c1", at(0, 12)), Rider("c2", at(1, 12))]
    busy = tuple(Placement("north", at(0, 10), placed_at=-m) for m in (5, 20, 40, 60, 80, 85))
    heavy = replace(PARAMS, demand_weight=1.0)

    def sent(placements, params=heavy):
        state = RoundState(now=0, orders=(x,), riders=tuple(riders), placements=placements)
        return trips(plan_round(state, params))

    assert sent(()) == {"hub": ("x",)}  # nothing says hub is needed elsewhere: the nearer rider goes
    assert sent(busy) == {"loner": ("x",)}
    # placements older than the window, or weighed at nothing, say nothing
    assert sent(tuple(replace(p, placed_at=p.placed_at - 90) for p in busy)) == {"hub": ("x",)}
    assert sent(busy, replace(heavy, placement_weight=0.0)) == {"hub": ("x",)}


def test_a_rider_takes_the_order_ready_now_before_one_ready_much_later():
    # one rider at 0: "later" (store 0, ready at 55) would hold them 55 minutes; "now" (store 10,
    # ready now) is done by minute 28, and "later" is planned again in the next rounds
    later, now = order("later", 0, 1, ready=55), order("now", 10, 20, ready=0)
    decision = plan(0, [later, now], [Rider("r", at(0))])
    (a,) = decision.assignments
    assert (a.rider_id, a.order_ids, a.pickup_at, a.free_at) == ("r", ("now",), 12, 28)
    assert decision.deferred == () and decision.unassigned == ("later",)


def test_the_only_rider_fetches_food_ready_now_rather_than_wait_next_door_for_food_still_cooking():
    # one rider at 0. "cooking" (store 2 minutes away, ready at 15, a 2-minute ride) would keep
    # them at its store until 15; "ready" (store 8 minutes away, ready at 5, placed at -5, a
    # 7-minute ride) has food waiting. Fetching "ready" first and "cooking" after delivers both
    # with less click-to-door in all: 67 minutes, against 69 the other way round, which keeps
    # "ready" waiting until minute 32
    cooking = order("cooking", 2, 2, ready=15, drop_y=2)
    ready = order("ready", 8, 8, ready=5, placed=-5, drop_y=7)
    riders = [Rider("r", at(0))]
    (a,) = plan(0, [cooking, ready], riders).assignments
    assert (a.order_ids, a.depart_at, a.pickup_at) == (("ready",), 0, 10)
    # planning food still cooking worth as much as food ready now, the rider is held next door
    eager = replace(PARAMS, plan_ahead_max=0.0)
    decision = plan(0, [cooking, ready], riders, params=eager)
    assert decision.assignments == () and trips(decision) == {"r": ("cooking",)}


def test_postpones_rather_than_send_a_rider_to_wait_20_minutes_while_another_frees_up_in_3():
    o = order("a", 0, 8, ready=25)
    idle = Rider("idle", at(5))  # would arrive at 5 and wait ~18 minutes for the food
    soon = Rider("soon", at(40), route=(Stop("dropoff", at(2), ("z",), leave_at=3),))  # free in 3, 2 min away
    decision = plan(0, [o], [idle, soon])
    assert decision.assignments == ()  # nobody is sent yet
    assert trips(decision) == {"soon": ("a",)}
    # minute 20: still time (soon must leave at 21 to have it at 25)
    soon_now = Rider("soon", at(2))
    assert plan(20, [o], [idle, soon_now]).assignments == ()
    (a,) = plan(21, [o], [idle, soon_now]).assignments
    assert (a.rider_id, a.depart_at, a.pickup_at) == ("soon", 21, 25)


def test_commits_at_once_when_waiting_would_make_the_order_later():
    o = order("a", 0, 8, ready=3)  # already too late for anyone
    (a,) = plan(0, [o], [Rider("r", at(6))]).assignments
    assert a.pickup_at == 8


def test_a_busy_rider_is_not_committed_before_they_are_about_to_be_free():
    busy = Rider("r", at(50), route=(Stop("dropoff", at(1), ("z",), leave_at=10),))
    o = order("a", 0, 8, ready=2)  # late whoever takes it; the busy rider is still the best
    decision = plan(0, [o], [busy, Rider("far", at(30))])
    assert decision.assignments == () and trips(decision) == {"r": ("a",)}
    (a,) = plan(10, [o], [Rider("r", at(1)), Rider("far", at(30))]).assignments
    assert a.rider_id == "r"


def test_scheduled_orders_are_not_delivered_early():
    o = order("a", 0, 10, ready=5, scheduled=60)
    (a,) = plan(0, [o], [Rider("r", at(1))]).deferred
    assert a.dropoff_at[0] >= 60 - PARAMS.scheduled_early
    assert a.dropoff_at[0] <= 60


# --- refusals ---------------------------------------------------------------------------------------


def test_cooldown_excludes_a_rider_who_refused():
    o = order("a", 0, 5, ready=10)
    riders = [Rider("near", at(1)), Rider("far", at(6))]
    assert trips(plan(0, [o], riders)) == {"near": ("a",)}
    recently = [Refusal("near", "a", at=-3)]
    assert trips(plan(0, [o], riders, recently)) == {"far": ("a",)}
    long_ago = [Refusal("near", "a", at=-11)]  # cooldown 10 minutes
    assert trips(plan(0, [o], riders, long_ago)) == {"near": ("a",)}
    only_refuser = plan(0, [o], riders[:1], recently)
    assert only_refuser.unassigned == ("a",)


def test_a_refusal_excludes_the_rider_from_bundles_with_that_order_too():
    orders = [order("a", 0, 10, ready=10), order("b", 0, 11, ready=10, drop_y=1), order("c", 0, -10, ready=10)]
    riders = [Rider("r1", at(1)), Rider("r2", at(-1))]
    decision = plan(0, orders, riders, [Refusal("r1", "a", at=-1), Refusal("r1", "b", at=-1)])
    assert trips(decision)["r1"] == ("c",)


# --- determinism -----------------------------------------------------------------------------------


def random_state(seed: int, n_orders: int = 60, n_riders: int = 25) -> RoundState:
    rng = random.Random(seed)
    stores = [at(rng.uniform(0, 60), rng.uniform(0, 60)) for _ in range(12)]
    orders = []
    for i in range(n_orders):
        s = rng.randrange(len(stores))
        placed = rng.uniform(-20, 0)
        orders.append(
            Order(
                id=f"o{i}",
                store=f"s{s}",
                pickup=stores[s],
                dropoff=at(rng.uniform(0, 60), rng.uniform(0, 60)),
                placed_at=placed,
                ready_at=placed + rng.uniform(2, 30),
            )
        )
    riders = []
    for i in range(n_riders):
        where = at(rng.uniform(0, 60), rng.uniform(0, 60))
        route = (Stop("dropoff", where, (f"x{i}",), rng.uniform(0, 15)),) if rng.random() < 0.5 else ()
        riders.append(Rider(id=f"r{i}", position=where, route=route, capacity=3))
    return RoundState(now=0.0, orders=tuple(orders), riders=tuple(riders))


def test_same_input_same_output_in_any_order():
    state = random_state(7)
    first = plan_round(state, PARAMS)
    assert plan_round(state, PARAMS) == first
    shuffled = list(state.orders), list(state.riders)
    random.Random(1).shuffle(shuffled[0])
    random.Random(2).shuffle(shuffled[1])
    assert plan_round(replace(state, orders=tuple(shuffled[0]), riders=tuple(shuffled[1])), PARAMS) == first
    assert first.assignments and first.deferred  # the case exercises both


def test_a_round_never_gives_an_order_or_a_rider_twice_and_keeps_the_rules():
    for seed in range(5):
        state = random_state(seed, n_orders=80, n_riders=20)
        decision = plan_round(state, PARAMS)
        trips_ = decision.assignments + decision.deferred
        orders = [o for a in trips_ for o in a.order_ids]
        assert len(orders) == len(set(orders))
        assert len({a.rider_id for a in decision.assignments}) == len(decision.assignments)
        for rider in {a.rider_id for a in trips_}:  # a second trip only after a gap-filling one
            mine = sorted((a for a in trips_ if a.rider_id == rider), key=lambda a: a.pickup_at)
            assert len(mine) <= 2
            assert len(mine) == 1 or mine[0].free_at + 2 <= mine[1].pickup_at
        assert set(orders) | set(decision.unassigned) == {o.id for o in state.orders}
        by_id = {o.id: o for o in state.orders}
        for a in trips_:
            assert len({by_id[o].store for o in a.order_ids}) == 1
            assert a.pickup_at >= max(by_id[o].ready_at for o in a.order_ids)
            assert a.pickup_at >= a.arrive_at + 2
            assert list(a.dropoff_at) == sorted(a.dropoff_at)


def test_nothing_to_do():
    assert plan(0, [], [Rider("r", at(0))]).assignments == ()
    assert plan(0, [order("a", 0, 1, ready=1)], []).unassigned == ("a",)


# --- the solver -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_the_assignment_is_optimal_when_most_units_have_no_rider(seed):
    """A round's first solve has only its singles in play out of all its units: the matching is still the best one
    (checked against a dense solve), each rider doing at most one unit and each unit done at most once."""
    rng = random.Random(seed)
    riders, units = rng.randint(1, 8), rng.randint(1, 12)
    unit_ids = sorted(rng.sample(range(60), units))  # most unit ids have no pair at all
    pairs = sorted({(r, u) for r in range(riders) for u in unit_ids if rng.random() < 0.6})
    if not pairs:
        pairs = [(0, unit_ids[0])]
    pair_rider = np.array([r for r, _ in pairs])
    pair_unit = np.array([u for _, u in pairs])
    value = np.array([rng.uniform(-50.0, 20.0) for _ in pairs])

    chosen = match(pair_rider, pair_unit, value)

    assert len(set(pair_rider[chosen])) == len(chosen) and len(set(pair_unit[chosen])) == len(chosen)
    dense = np.zeros((riders, 60 + riders))  # leaving a rider free costs nothing
    dense[:, :60] = 1e9
    dense[pair_rider, pair_unit] = value
    dense[np.arange(riders)[:, None], 60 + np.arange(riders)] = np.where(np.eye(riders, dtype=bool), 0.0, 1e9)
    rows, cols = linear_sum_assignment(dense)
    assert value[chosen].sum() == pytest.approx(dense[rows, cols].sum())
