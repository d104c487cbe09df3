"""Choosing the rider for an order: pure, no AWS (the cell lookup is passed in).

Eligible: online, below capacity, and never offered this order before (whatever
became of that offer), so a re-dispatch after a rejection or a lapsed offer
moves on to someone else. Best: nearest to the pickup by haversine distance;
ties go to the rider with fewer open orders, then the smaller id, so the same
inputs always give the same rider.

Candidates come from an H3 search around the pickup's cell, ring by ring
(ring k = the cells at grid distance exactly k), up to ``max_rings``: one
index query per cell, so we stop early. But grid distance only approximates
real distance: the pickup sits anywhere inside its cell, riders anywhere
inside theirs, and a ring of hexagons is a hexagon, not a circle. Measured
with h3 at resolution 8 (edge ≈ 0.53 km): a rider in ring 1 can be 3.3 edges
from the pickup while one in ring 2 can be 1.0 edge away. So when ring k
first yields an eligible rider, a nearer one may well sit in ring k+1: we
search that ring too and take the best over everything seen. A rider two
rings further out can still win, by less than one edge for k ≤ 1 and about a
third of an edge more per ring beyond that; dispatch accepts this in exchange
for a bounded number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from paotui.platform.geo import cell_of, haversine_m, ring_cells


@dataclass(frozen=True)
class Candidate:
    id: str
    lat: float
    lng: float
    active_orders: int
    capacity: int
    online: bool = True


@dataclass(frozen=True)
class Choice:
    rider: Candidate
    distance_m: float
    ring: int  # the search ring the rider was found in


RidersIn = Callable[[Sequence[str]], Iterable[Candidate]]


def is_eligible(rider: Candidate, excluded: Collection[str]) -> bool:
    return rider.online and rider.active_orders < rider.capacity and rider.id not in excluded


def rank(found: Iterable[tuple[Candidate, int]], lat: float, lng: float, excluded: Collection[str]) -> list[Choice]:
    """Eligible riders (each with the ring it was found in), best first."""
    choices = [
        Choice(rider=rider, distance_m=haversine_m(lat, lng, rider.lat, rider.lng), ring=ring)
        for rider, ring in found
        if is_eligible(rider, excluded)
    ]
    return sorted(choices, key=lambda c: (c.distance_m, c.rider.active_orders, c.rider.id))


def choose_rider(
    lat: float,
    lng: float,
    riders_in: RidersIn,
    *,
    excluded: Collection[str] = (),
    resolution: int,
    max_rings: int,
) -> Choice | None:
    """The best eligible rider for a pickup at (lat, lng), or None if none within ``max_rings``.

    ``riders_in(cells)`` returns the riders currently indexed in those cells.
    Rings are searched outwards until one yields an eligible rider, then one
    ring more (see the module docstring), and the best over all of them wins.
    """
    rings = ring_cells(cell_of(lat, lng, resolution), max_rings)
    found: dict[str, tuple[Candidate, int]] = {}
    last_ring: int | None = None
    for k, cells in enumerate(rings):
        for rider in riders_in(cells):
            found.setdefault(rider.id, (rider, k))  # a rider seen twice (moved mid-search) counts once
        if last_ring is None and any(is_eligible(rider, excluded) for rider, _ in found.values()):
            last_ring = k + 1
        if last_ring is not None and k >= last_ring:
            break
    ranked = rank(found.values(), lat, lng, excluded)
    return ranked[0] if ranked else None
