"""The engine's input and output: plain frozen dataclasses, no AWS, no pydantic.

Times are minutes as floats on one clock the caller chooses (MDRP: minutes
from the start of the day; the city: minutes since the Unix epoch). Points are
pairs of floats whose meaning belongs to the travel model: planar metres
``(x, y)`` for MDRP, ``(lat, lng)`` for the city. The engine never reads a
clock or a table: everything it knows comes in a :class:`RoundState`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from paotui.dispatch.engine.travel import TravelModel

Point = tuple[float, float]


@dataclass(frozen=True)
class Order:
    """An open (placed, not yet given to a rider) order.

    ``store`` identifies the pickup point: orders with the same store can be
    bundled (they must share ``pickup``). ``ready_at`` is placement + the
    kitchen's prep estimate. ``scheduled_at`` is a customer-chosen delivery
    time: such an order is never planned to arrive more than
    ``Params.scheduled_early`` minutes before it.
    """

    id: str
    store: str
    pickup: Point
    dropoff: Point
    placed_at: float
    ready_at: float
    scheduled_at: float | None = None


@dataclass(frozen=True)
class Stop:
    """One remaining stop on a rider's committed route; ``leave_at`` = when they will leave it."""

    kind: Literal["pickup", "dropoff"]
    point: Point
    order_ids: tuple[str, ...]
    leave_at: float


@dataclass(frozen=True)
class Rider:
    """A rider as the round sees them.

    ``route`` holds the stops still ahead of them (committed assignments,
    oldest first); the rider is free at the last stop's ``leave_at`` and there,
    or now at ``position`` when the route is empty. A rider cannot be diverted:
    new work starts after the route. ``capacity`` bounds the orders on the
    route plus the new ones. ``off_at``: no pickup after it (they may still
    deliver). ``speed`` in metres per minute overrides the travel model's.
    ``available_at``: a rider whose shift starts later (within ``queue_horizon``)
    can be planned for like a busy one; a trip for them is never committed
    before then.
    """

    id: str
    position: Point
    online: bool = True
    capacity: int = 3
    route: tuple[Stop, ...] = ()
    off_at: float | None = None
    speed: float | None = None
    available_at: float | None = None  # a shift that starts later: planned for, committed once it starts

    def free_at(self, now: float) -> float:
        free = max(now, self.route[-1].leave_at) if self.route else now
        return free if self.available_at is None else max(free, self.available_at)

    def free_position(self) -> Point:
        return self.route[-1].point if self.route else self.position

    def orders_on_route(self) -> int:
        return len({order_id for stop in self.route if stop.kind == "dropoff" for order_id in stop.order_ids})


@dataclass(frozen=True)
class Placement:
    """An order placed at ``store`` at ``placed_at``, open or not: where the next orders are likely to come from.

    A store busy lately is likely to stay busy, so a rider among the first to
    reach it is worth keeping near it (``Params.placement_weight``).
    """

    store: str
    pickup: Point
    placed_at: float


@dataclass(frozen=True)
class Refusal:
    """The rider refused (or let lapse) an offer of the order at ``at``; not re-offered within the cooldown."""

    rider_id: str
    order_id: str
    at: float


@dataclass(frozen=True)
class Params:
    """Everything tunable. Defaults are the ones measured on the MDRP instances (docs/benchmarks.md).

    Service times are split in halves as in MDRP: half before the pickup
    (parking, walking in) and half after it; the same at the drop-off.
    """

    travel: TravelModel
    pickup_service: float = 4.0
    dropoff_service: float = 4.0
    target_ctd: float = 40.0  # click-to-door the platform promises
    max_ctd: float = 90.0  # beyond it an order is a failure
    round_interval: float = 1.0  # minutes until the caller's next round: what postponing costs
    max_bundle: int = 3  # orders from one store in one trip
    bundle_window: float = 12.0  # ready times of a bundle's orders within this many minutes
    candidates: int = 24  # riders considered per store: those who could get there first
    bundle_candidates: int = 8  # of those, the ones considered for a bundle
    queue_horizon: float = 10.0  # a busy rider is a candidate if free within this many minutes
    refusal_cooldown: float = 10.0
    scheduled_early: float = 5.0
    # cost weights (minutes of click-to-door are the unit)
    overage_weight: float = 0.1  # per minute beyond target_ctd, on top of the minute itself
    over_max_weight: float = 1.0  # per minute beyond max_ctd, on top of the above
    rider_time_weight: float = 0.15  # per minute the trip holds its rider (waiting for the food included)
    scarcity_weight: float = 1.0  # rider time's price rises by this × orders left over per rider
    demand_weight: float = 0.2  # and by this × the rider's demand over the round's average (round._demand)
    demand_rank: int = 3  # a rider is in demand for an order when among the first this many at its store
    placement_weight: float = 0.5  # in that demand, an order placed at the store lately counts this much
    placement_window: float = 90.0  # ... when placed within this many minutes
    defer_minutes: float = 10.0  # an order left open now is assumed picked up no sooner than this
    plan_ahead: float = 6.0  # food ready further ahead than this needs no rider yet: serving it this round
    plan_ahead_max: float = 30.0  # ... is worth a minute less per minute beyond, up to this many (cost.serve_reward)
    bundle_passes: int = 1  # times to form bundles and reassign (each pass costs one more assignment)


@dataclass(frozen=True)
class RoundState:
    now: float
    orders: tuple[Order, ...]
    riders: tuple[Rider, ...]
    refusals: tuple[Refusal, ...] = ()
    placements: tuple[Placement, ...] = ()  # orders placed lately (open or not), for rider demand


@dataclass(frozen=True)
class Assignment:
    """One store trip for one rider: go to ``store``, pick up ``order_ids``, deliver them in that order.

    The times are the engine's prediction under its travel model: ``depart_at``
    is when the rider starts towards the store (now, or when their route ends),
    ``commit_by`` the last round time at which deciding still gives the same plan.
    """

    rider_id: str
    store: str
    order_ids: tuple[str, ...]
    depart_at: float
    arrive_at: float
    pickup_at: float
    dropoff_at: tuple[float, ...]
    free_at: float
    commit_by: float
    cost: float


@dataclass(frozen=True)
class RoundDecision:
    """What to do now (``assignments``: offer these), what was planned but postponed (``deferred``:
    the orders stay open for the next round, the riders stay free) and which orders found no rider."""

    now: float
    assignments: tuple[Assignment, ...]
    deferred: tuple[Assignment, ...] = ()
    unassigned: tuple[str, ...] = ()
    stats: dict[str, int] = field(default_factory=dict, compare=False)
