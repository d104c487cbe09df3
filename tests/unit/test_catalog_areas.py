"""Drawn delivery areas: polygon validation, and how closely the H3 cover matches the exact polygon."""

from __future__ import annotations

import math
import random

import pytest

from paotui.catalog import areas
from paotui.platform.errors import Unprocessable

# an irregular pentagon of about 3 x 3 km around People's Square, [lng, lat]
RING = [
    [121.455, 31.220],
    [121.490, 31.218],
    [121.500, 31.240],
    [121.475, 31.252],
    [121.452, 31.238],
    [121.455, 31.220],
]
M_PER_DEG_LAT = 111_320
M_PER_DEG_LNG = M_PER_DEG_LAT * math.cos(math.radians(31.235))


def _refusal(rings) -> dict:
    with pytest.raises(Unprocessable) as refused:
        areas.validate_ring(rings)
    assert refused.value.code == "INVALID_POLYGON"
    return refused.value.details


def test_a_simple_closed_ring_is_valid():
    assert areas.validate_ring([RING]) == [tuple(position) for position in RING]


@pytest.mark.parametrize(
    ("rings", "reason"),
    [
        ([RING[:-1]], "not_closed"),
        ([[[121.45, 31.22], [121.46, 31.22], [121.45, 31.22]]], "too_few_positions"),
        ([RING, RING], "holes_unsupported"),
        ([[[121.45, 31.22], [121.46, 31.23], [121.46, 31.22], [121.45, 31.23], [121.45, 31.22]]], "self_intersects"),
        # a spike that folds back along itself
        ([[[121.45, 31.22], [121.47, 31.22], [121.46, 31.22], [121.46, 31.23], [121.45, 31.22]]], "self_intersects"),
        # a figure eight touching itself at a corner
        (
            [
                [
                    [121.45, 31.22],
                    [121.46, 31.23],
                    [121.47, 31.22],
                    [121.47, 31.24],
                    [121.46, 31.23],
                    [121.45, 31.24],
                    [121.45, 31.22],
                ]
            ],
            "self_intersects",
        ),
        ([[[121.45, 31.22]] * 300], "too_many_positions"),
    ],
)
def test_invalid_polygons_are_refused_with_the_reason(rings, reason):
    assert _refusal(rings)["reason"] == reason


def test_a_bow_tie_names_the_crossing_edges():
    bow_tie = [[121.45, 31.22], [121.46, 31.23], [121.46, 31.22], [121.45, 31.23], [121.45, 31.22]]
    assert _refusal([bow_tie])["edges"] == [0, 2]


def test_the_cover_is_compact_and_contains_the_inside_only():
    cells = set(areas.cover(RING))
    assert len({int(cell[1], 16) for cell in cells}) > 1  # mixed resolutions: the interior was compacted
    assert areas.covers(cells, 31.235, 121.476)  # the middle
    assert not areas.covers(cells, 31.260, 121.476)  # 900 m north of the top corner
    assert not areas.covers(cells, 31.235, 121.520)


def test_the_farthest_corner_bounds_the_polygon():
    assert 2500 < areas.farthest_m(RING, 31.235, 121.476) < 3000


def _inside(lng: float, lat: float, ring) -> bool:
    """Exact point-in-polygon by ray casting (east-pointing ray, even-odd rule)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > lat) != (y2 > lat) and lng < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _to_edge_m(lng: float, lat: float, ring) -> float:
    """Distance in metres from the point to the ring's nearest edge (local flat projection; fine at 3 km)."""

    def xy(position):
        return (position[0] - lng) * M_PER_DEG_LNG, (position[1] - lat) * M_PER_DEG_LAT

    best = math.inf
    for a, b in zip(ring, ring[1:], strict=False):
        (ax, ay), (bx, by) = xy(a), xy(b)
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def test_the_cover_agrees_with_the_exact_polygon_beyond_100_m_of_its_edge():
    cells = set(areas.cover(RING))
    rng = random.Random(4)
    disagreements, near_edge = [], 0
    for _ in range(4000):
        # a point up to 300 m either side of a random point on a random edge
        i = rng.randrange(len(RING) - 1)
        t = rng.random()
        lng = RING[i][0] + t * (RING[i + 1][0] - RING[i][0]) + rng.uniform(-300, 300) / M_PER_DEG_LNG
        lat = RING[i][1] + t * (RING[i + 1][1] - RING[i][1]) + rng.uniform(-300, 300) / M_PER_DEG_LAT
        distance = _to_edge_m(lng, lat, RING)
        near_edge += distance < 100
        if areas.covers(cells, lat, lng) != _inside(lng, lat, RING):
            disagreements.append(distance)
    assert near_edge > 1000  # the sample really probes the boundary
    assert disagreements, "no disagreement at all: the sample is not near the boundary"
    assert max(disagreements) < 100
