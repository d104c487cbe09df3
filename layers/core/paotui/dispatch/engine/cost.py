"""What a plan costs, in minutes of click-to-door.

The platform's promise is click-to-door time, so that is the unit: a trip
costs the click-to-door of each order it delivers, plus ``overage_weight`` per
minute beyond the target (late orders hurt more than their minutes) and
``over_max_weight`` per minute beyond the maximum (they are failures), plus
``rider_time_weight`` per minute the trip holds its rider (from when they are
free to the last drop-off: driving, service and waiting for the food), which
is what makes a bundle cheaper than two trips when riders are scarce, and a
rider who comes free just in time cheaper than one who would wait.

What the round weighs a trip against is not serving its orders now. Every
open order will be served eventually, later: :func:`serve_reward` is
:data:`SERVE_REWARD` (so the assignment covers as many orders as it can
before it looks at minutes) plus what the order would cost if it were picked
up ``defer_minutes`` from now at the earliest. Taking an order now is worth
what it saves over that, which lets orders that can be served soon go first
(what keeps the mean click-to-door low when riders are short), plus the
lateness penalties that waiting ``defer_minutes`` would add to it, which
gives orders already past the target a head start however far their store.
How much head start is a trade: measured on MDRP, heavier lateness weights
serve old orders sooner but raise the mean (docs/benchmarks.md).

An order whose food is ready far ahead needs no rider yet: every round plans
it again, so serving it in this round's plan only holds a rider for it. Its
reward is a minute lower per minute its food is ready beyond ``plan_ahead``
(at most ``plan_ahead_max``), so when riders are short the food ready now
gets them first, rather than waiting while a rider is kept for food still
cooking (measured on MDRP: the mean ratio to the bound 0.001–0.003 lower on
each of four instance sets; docs/benchmarks.md).
"""

from __future__ import annotations

import numpy as np

from paotui.dispatch.engine.model import Params

SERVE_REWARD = 10_000.0  # per order covered by the round's plan; far above any trip's cost


def order_cost(ctd: np.ndarray, params: Params) -> np.ndarray:
    """Cost of delivering orders with these click-to-door times (minutes)."""
    over = np.maximum(0.0, ctd - params.target_ctd)
    over_max = np.maximum(0.0, ctd - params.max_ctd)
    return ctd + params.overage_weight * over + params.over_max_weight * over_max


def trip_cost(orders_cost: np.ndarray, rider_minutes: np.ndarray, params: Params) -> np.ndarray:
    return orders_cost + params.rider_time_weight * rider_minutes


def serve_reward(
    later_ctd: np.ndarray, soonest_later_ctd: np.ndarray, ready_in: np.ndarray, params: Params
) -> np.ndarray:
    """Per order: the value of serving it in this round rather than leaving it open.

    ``later_ctd``: its click-to-door if picked up ``defer_minutes`` from now at the earliest
    (minutes saved over that make near, quick orders go first); ``soonest_later_ctd``: its
    soonest click-to-door this round, ``defer_minutes`` later — the lateness penalties that
    waiting would add, so an order already late goes before a fresh one however far it is;
    ``ready_in``: minutes until its food is ready — planned further ahead than ``plan_ahead``,
    it is worth less.
    """
    penalty = order_cost(soonest_later_ctd, params) - soonest_later_ctd
    ahead = np.clip(ready_in - params.plan_ahead, 0.0, params.plan_ahead_max)
    return SERVE_REWARD + later_ctd + penalty - ahead
