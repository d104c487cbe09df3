"""The order of a rider's stops: pure, no AWS, deterministic.

A rider carrying several orders has a pickup (unless already made) and a
drop-off for each. :func:`plan_stops` orders them so that the sum of the
drop-off times is least (each customer waits as little as the others allow),
with every pickup before its drop-off and the rider waiting at a store until
the order is ready. Each stop gets when the rider arrives (``eta``) and when
they leave (``depart_at``: after waiting for the kitchen, at a pickup).

Exact for up to ``exact_limit`` orders: a search over the states (which
orders are picked up, which delivered, where the rider is) keeping, per state,
only the partial routes no other one beats on both the time so far and the
drop-off times so far. Any later stop's time only grows with the time the
rider reaches a state, so a beaten partial route can't end better. A route
built greedily (always the stop that can be finished soonest) bounds the
search, and is the answer beyond ``exact_limit``.

Ties (equal sum of drop-off times) go to the route that ends sooner, then to
the smaller sequence of (order id, pickup before drop-off): the same input
always gives the same stops. Pickups at one store made one after another are
one stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Point = tuple[float, float]
TravelMinutes = Callable[[Point, Point], float]
"""Minutes from one point to another (a road estimate; the planner assumes no shortcut through a third point)."""

_PICKUP, _DROPOFF = 0, 1  # an event's kind, and a job's phase: what it needs next (2: delivered)
Event = tuple[int, int]
"""(index of the job, _PICKUP or _DROPOFF)."""
Phases = tuple[int, ...]


@dataclass(frozen=True)
class Job:
    """An order the rider carries: its pickup (None once picked up), its drop-off, when its kitchen is done.

    ``store`` names the pickup place: pickups of one store in a row are one stop.
    """

    order_id: str
    dropoff: Point
    pickup: Point | None = None
    store: str | None = None
    ready_at: datetime | None = None


@dataclass(frozen=True)
class Stop:
    kind: Literal["pickup", "dropoff"]
    order_ids: tuple[str, ...]
    point: Point
    eta: datetime
    depart_at: datetime
    ready_at: datetime | None = None  # pickups: when the last of their orders is ready


@dataclass(frozen=True)
class _Label:
    """A partial route: when it leaves its last stop, the sum of its drop-off times, its events."""

    time: float
    cost: float
    events: tuple[Event, ...]


def plan_stops(
    position: Point, now: datetime, jobs: Sequence[Job], travel: TravelMinutes, *, exact_limit: int
) -> list[Stop]:
    """The rider's stops from ``position`` at ``now``, in the order that delivers soonest overall."""
    jobs = sorted(jobs, key=lambda job: job.order_id)
    if not jobs:
        return []
    plan = _Plan(position, now, jobs, travel)
    best = plan.greedy()
    if len(jobs) <= exact_limit:
        best = plan.exact(best)
    return plan.stops(best.events)


class _Plan:
    """The search over one rider's jobs; times are minutes after ``now``."""

    def __init__(self, position: Point, now: datetime, jobs: Sequence[Job], travel: TravelMinutes) -> None:
        self.now, self.jobs = now, jobs
        self.ready = [max(0.0, (job.ready_at - now).total_seconds() / 60) if job.ready_at else 0.0 for job in jobs]
        # where each event happens: the start, then each job's pickup and drop-off (a job without a pickup
        # never visits its first point)
        self.points = [position] + [point for job in jobs for point in (job.pickup or job.dropoff, job.dropoff)]
        self.minutes = [[travel(a, b) if a != b else 0.0 for b in self.points] for a in self.points]
        self.start = tuple(_PICKUP if job.pickup else _DROPOFF for job in jobs)

    def place(self, events: Sequence[Event]) -> int:
        """Index in ``points`` of where the rider is after ``events``."""
        return _where(events[-1]) if events else 0

    def visit(self, label: _Label, event: Event) -> tuple[float, _Label]:
        """When the rider arrives for ``event`` after ``label``, and the route that goes on from there."""
        index, kind = event
        arrive = label.time + self.minutes[self.place(label.events)][_where(event)]
        events = label.events + (event,)
        if kind == _PICKUP:
            return arrive, _Label(max(arrive, self.ready[index]), label.cost, events)
        return arrive, _Label(arrive, label.cost + arrive, events)

    def bound(self, label: _Label, phases: Phases) -> float:
        """The least a completion of ``label`` can cost: each drop-off left as if it were the next thing done."""
        here, total = self.place(label.events), label.cost
        for index, phase in enumerate(phases):
            pickup, dropoff = _where((index, _PICKUP)), _where((index, _DROPOFF))
            if phase == _PICKUP:
                leave = max(label.time + self.minutes[here][pickup], self.ready[index])
                total += leave + self.minutes[pickup][dropoff]
            elif phase == _DROPOFF:
                total += label.time + self.minutes[here][dropoff]
        return total

    def greedy(self) -> _Label:
        """Always the event that can be done soonest (a drop-off on a tie): a first bound for the search."""
        label, phases = _Label(0.0, 0.0, ()), self.start
        while not _done(phases):
            label = min((self.visit(label, event)[1] for event in _open(phases)), key=_soonest)
            phases = _advance(phases, label.events[-1])
        return label

    def exact(self, incumbent: _Label) -> _Label:
        """The best route (by :func:`_rank`), event by event over the states, keeping the partial routes no
        other one beats, and none that can't end better than the best complete route found."""
        best = incumbent
        layer: dict[tuple[Phases, int], list[_Label]] = {(self.start, 0): [_Label(0.0, 0.0, ())]}
        while layer:
            following: dict[tuple[Phases, int], list[_Label]] = {}
            for (phases, _), labels in layer.items():
                for label in labels:
                    for event in _open(phases):
                        after, candidate = _advance(phases, event), self.visit(label, event)[1]
                        if self.bound(candidate, after) > best.cost:
                            continue
                        if _done(after):
                            best = min(best, candidate, key=_rank)
                        else:
                            _keep(following.setdefault((after, self.place(candidate.events)), []), candidate)
            layer = following
        return best

    def stops(self, events: Sequence[Event]) -> list[Stop]:
        """The route as stops with their times, pickups at one store in a row made one stop."""
        stops: list[Stop] = []
        label, last_store = _Label(0.0, 0.0, ()), None
        for event in events:
            arrive, label = self.visit(label, event)
            job, kind = self.jobs[event[0]], event[1]
            if kind == _DROPOFF:
                stops.append(Stop("dropoff", (job.order_id,), job.dropoff, self._at(arrive), self._at(label.time)))
                last_store = None
                continue
            if job.store is not None and job.store == last_store:
                shared = stops[-1]
                ready = max(filter(None, (shared.ready_at, job.ready_at)), default=None)
                stops[-1] = Stop(
                    "pickup", shared.order_ids + (job.order_id,), shared.point, shared.eta, self._at(label.time), ready
                )
            else:
                stops.append(
                    Stop("pickup", (job.order_id,), job.pickup, self._at(arrive), self._at(label.time), job.ready_at)
                )
            last_store = job.store
        return stops

    def _at(self, minutes: float) -> datetime:
        return self.now + timedelta(minutes=minutes)


def _where(event: Event) -> int:
    """Index in ``_Plan.points`` of where an event happens."""
    index, kind = event
    return 1 + 2 * index + kind


def _open(phases: Phases) -> list[Event]:
    """What can be done next: each job's pickup, or its drop-off once picked up."""
    return [(index, phase) for index, phase in enumerate(phases) if phase <= _DROPOFF]


def _advance(phases: Phases, event: Event) -> Phases:
    index = event[0]
    return phases[:index] + (phases[index] + 1,) + phases[index + 1 :]


def _done(phases: Phases) -> bool:
    return all(phase > _DROPOFF for phase in phases)


def _soonest(label: _Label) -> tuple[float, int, Event]:
    index, kind = label.events[-1]
    return (label.time, -kind, (index, kind))


def _rank(label: _Label) -> tuple[float, float, tuple[Event, ...]]:
    """Complete routes compare by the sum of drop-off times, then the time they end, then their events."""
    return (label.cost, label.time, label.events)


def _keep(labels: list[_Label], candidate: _Label) -> None:
    """Add ``candidate`` to the partial routes of one state unless one of them beats it; drop those it beats.

    One beats another when it is no later, has no greater drop-off times and comes first in event order:
    every way on from the other is at least as good from it, ties included.
    """
    if any(_beats(label, candidate) for label in labels):
        return
    labels[:] = [label for label in labels if not _beats(candidate, label)]
    labels.append(candidate)


def _beats(a: _Label, b: _Label) -> bool:
    return a.time <= b.time and a.cost <= b.cost and a.events <= b.events
