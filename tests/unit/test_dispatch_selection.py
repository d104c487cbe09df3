"""Rider selection on hand-made riders: pure, no AWS."""

from __future__ import annotations

from collections import defaultdict

import h3
import pytest

from paotui.dispatch.selection import Candidate, choose_rider, rank
from paotui.platform.geo import cell_of, haversine_m

RES = 8
PICKUP = (31.2335, 121.4760)


class Index:
    """Stands in for the by-cell GSI: riders by their H3 cell, and a log of which cells were asked for."""

    def __init__(self, *riders: Candidate):
        self.cells: dict[str, list[Candidate]] = defaultdict(list)
        for rider in riders:
            self.cells[cell_of(rider.lat, rider.lng, RES)].append(rider)
        self.asked: list[list[str]] = []

    def __call__(self, cells):
        self.asked.append(list(cells))
        return [rider for cell in cells for rider in self.cells.get(cell, [])]


def rider(
    rider_id: str, north_m: float, east_m: float = 0.0, *, active: int = 0, capacity: int = 3, online: bool = True
):
    lat = PICKUP[0] + north_m / 111_320
    lng = PICKUP[1] + east_m / 95_000
    return Candidate(id=rider_id, lat=lat, lng=lng, active_orders=active, capacity=capacity, online=online)


def choose(index: Index, *, excluded=(), max_rings: int = 6, pickup=PICKUP):
    return choose_rider(pickup[0], pickup[1], index, excluded=excluded, resolution=RES, max_rings=max_rings)


def test_the_nearest_rider_wins():
    index = Index(rider("far", 900), rider("near", 120), rider("middle", 400, 200))
    choice = choose(index)
    assert choice.rider.id == "near"
    assert choice.distance_m == pytest.approx(120, abs=2)


def test_riders_at_capacity_offline_or_already_offered_are_skipped():
    index = Index(
        rider("full", 50, active=3, capacity=3),
        rider("offline", 60, online=False),
        rider("asked-before", 70),
        rider("free", 800),
    )
    assert choose(index, excluded={"asked-before"}).rider.id == "free"


def test_nobody_eligible_within_the_rings_gives_none():
    index = Index(rider("full", 50, active=2, capacity=2), rider("too-far", 40_000))
    assert choose(index, max_rings=3) is None
    assert len(index.asked) == 4  # rings 0..3, then it gave up


def test_ties_go_to_fewer_open_orders_then_the_smaller_id():
    index = Index(rider("b", 300, active=1), rider("c", 300, active=0), rider("a", 300, active=0))
    assert [c.rider.id for c in rank([(r, 0) for cell in index.cells.values() for r in cell], *PICKUP, ())] == [
        "a",
        "c",
        "b",
    ]
    assert choose(index).rider.id == "a"


def test_search_stops_one_ring_after_the_first_eligible_rider():
    index = Index(rider("close", 30), rider("far", 5_000))
    choose(index)
    assert len(index.asked) == 2  # ring 0 found someone; ring 1 was still searched; ring 2+ never


def _ring_pair() -> tuple[tuple[float, float], Candidate, Candidate]:
    """A pickup, a rider in ring 1 and a nearer rider in ring 2: found by scanning a small grid."""
    origin = cell_of(*PICKUP, RES)
    centre = h3.cell_to_latlng(origin)
    for dy in range(-8, 9):
        for dx in range(-8, 9):
            pickup = (centre[0] + dy * 0.0004, centre[1] + dx * 0.0004)
            pickup_cell = cell_of(*pickup, RES)
            rings = [h3.grid_ring(pickup_cell, k) for k in (1, 2)]
            far = max(rings[0], key=lambda c: haversine_m(*pickup, *h3.cell_to_latlng(c)))
            near = min(rings[1], key=lambda c: haversine_m(*pickup, *h3.cell_to_latlng(c)))
            # riders sit in their cell's centre, nudged toward the pickup for the ring-2 one
            far_point = h3.cell_to_latlng(far)
            near_centre = h3.cell_to_latlng(near)
            near_point = tuple(n + 0.45 * (p - n) for n, p in zip(near_centre, pickup, strict=True))
            if cell_of(*near_point, RES) != near:
                continue
            if haversine_m(*pickup, *near_point) < haversine_m(*pickup, *far_point):
                ring1 = Candidate("ring-1", *far_point, active_orders=0, capacity=3)
                ring2 = Candidate("ring-2", *near_point, active_orders=0, capacity=3)
                return pickup, ring1, ring2
    raise AssertionError("no example geometry found")


def test_a_nearer_rider_one_ring_further_out_still_wins():
    pickup, ring1, ring2 = _ring_pair()
    index = Index(ring1, ring2)
    assert h3.grid_distance(cell_of(*pickup, RES), cell_of(ring2.lat, ring2.lng, RES)) == 2
    choice = choose(index, pickup=pickup)
    assert choice.rider.id == "ring-2"
    assert choice.ring == 2
    assert len(index.asked) == 3  # rings 0, 1 (first eligible) and 2


def test_the_extra_ring_is_not_searched_beyond_the_limit():
    two_out = h3.cell_to_latlng(sorted(h3.grid_ring(cell_of(*PICKUP, RES), 2))[0])
    index = Index(Candidate("ring-2", *two_out, active_orders=0, capacity=3))
    assert choose(index, max_rings=2).rider.id == "ring-2"
    assert len(index.asked) == 3  # rings 0, 1, 2: the limit, and no ring 3
