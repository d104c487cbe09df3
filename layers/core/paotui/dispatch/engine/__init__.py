"""The dispatch engine: which rider takes which open orders, decided in rounds.

Pure functions, no AWS, deterministic: the DispatchWorker and the MDRP
simulator (``bench/mdrp_sim.py``) run the same code. Entry point::

    from paotui.dispatch.engine import HaversineTravel, Order, Params, Rider, RoundState, plan_round

    params = Params(travel=HaversineTravel(speed=250), round_interval=0.5)
    state = RoundState(now=t, orders=open_orders, riders=riders, refusals=refused, placements=lately)
    decision = plan_round(state, params)
    for a in decision.assignments:   # offer now: rider a.rider_id takes a.order_ids from a.store
        ...                          # (drop-offs in that order, predicted times on the Assignment)
    # decision.deferred: planned but postponed (orders stay open, riders stay free; re-plan next round)
    # decision.unassigned: order ids no rider can take this round

Input (:mod:`~paotui.dispatch.engine.model`), times in minutes on the caller's clock:

- :class:`Order` ``(id, store, pickup, dropoff, placed_at, ready_at, scheduled_at=None)``: an open
  order, not yet accepted by a rider; ``ready_at`` = placement + the prep estimate.
- :class:`Rider` ``(id, position, online, capacity, route, off_at, speed, available_at)``:
  ``route`` is the tuple of :class:`Stop` ``(kind, point, order_ids, leave_at)`` still ahead
  of them (accepted work); new work starts where and when its last stop is left (only that
  stop's point and time, and the count of orders on the route, are used). ``capacity``
  bounds the orders on the route plus new ones; ``off_at``: no pickup after it;
  ``available_at``: a shift starting later, planned for but never committed before it.
- :class:`Refusal` ``(rider_id, order_id, at)``: offers refused or lapsed; the pair is not
  offered again within ``Params.refusal_cooldown``.
- :class:`Placement` ``(store, pickup, placed_at)``: the orders placed in the last
  ``Params.placement_window`` minutes, open or not: a rider among the first to reach a busy
  store is worth keeping near it.
- :class:`Params`: the travel model (:class:`EuclideanTravel` for MDRP's planar metres,
  :class:`HaversineTravel` for ``(lat, lng)``), service times, target and maximum
  click-to-door, ``round_interval`` (minutes to the caller's next round: a trip is
  postponed only while deciding it then costs nothing), bundling and search limits, weights.

Output: :class:`RoundDecision` ``(now, assignments, deferred, unassigned, stats)``, each
:class:`Assignment` ``(rider_id, store, order_ids, depart_at, arrive_at, pickup_at,
dropoff_at, free_at, commit_by, cost)``: one store trip, orders in drop-off sequence, at
most one per rider per round (in ``assignments`` or ``deferred``). ``stats`` (counts of
orders, riders, units, pairs, bundles formed) is left out of equality, so the same state
always gives an equal decision.

The caller runs a round every ``round_interval`` (and at once when riders sit idle with
orders open), offers ``assignments``, and feeds refusals and accepted routes back into the
next round's state. How it works: :mod:`~paotui.dispatch.engine.round`.
"""

from paotui.dispatch.engine.model import (
    Assignment,
    Order,
    Params,
    Placement,
    Refusal,
    Rider,
    RoundDecision,
    RoundState,
    Stop,
)
from paotui.dispatch.engine.round import plan_round
from paotui.dispatch.engine.travel import EuclideanTravel, HaversineTravel, TravelModel

__all__ = [
    "Assignment",
    "EuclideanTravel",
    "HaversineTravel",
    "Order",
    "Params",
    "Placement",
    "Refusal",
    "Rider",
    "RoundDecision",
    "RoundState",
    "Stop",
    "TravelModel",
    "plan_round",
]
