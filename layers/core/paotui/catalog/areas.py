"""Drawn delivery areas: validating a GeoJSON polygon and answering "is this point inside" from H3 cells.

A polygon is one closed ring of GCJ-02 ``[lng, lat]`` positions, as GeoJSON
orders them. Holes are refused: a merchant who does not deliver to part of an
area draws the area around it (or splits it in two). An administrative region
(a district, a street committee) is entered as the polygon of its boundary;
there is no bundled boundary data.

Containment uses the polygon's H3 cells at :data:`RESOLUTION` instead of
the polygon itself: ``h3.geo_to_cells`` keeps the cells whose centre lies
inside, so a point is misjudged only when its cell's centre is on the other
side of the edge, i.e. when the point is within one cell circumradius (= the
hexagon edge) of the boundary. Resolution 10 has an average edge of 75.9 m
(h3 4.x; 65.6 m around Shanghai), so the boundary error stays under 100 m;
resolution 9 (201 m) would not. The set is stored compacted
(``h3.compact_cells``: interior cells merge into coarser parents), and a point
is inside when its cell or one of that cell's parents is in the set.

h3 is imported inside the functions, as in ``paotui.platform.geo``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from paotui.platform.errors import Unprocessable
from paotui.platform.geo import haversine_m

RESOLUTION = 10
MAX_VERTICES = 200

Position = Sequence[float]  # GeoJSON [lng, lat]


def invalid_polygon(reason: str, **details: Any) -> Unprocessable:
    return Unprocessable(
        "The delivery area is not a valid polygon.", code="INVALID_POLYGON", details={"reason": reason, **details}
    )


def validate_ring(rings: Sequence[Sequence[Position]]) -> list[Position]:
    """The outer ring of GeoJSON Polygon ``coordinates``, or 422 ``INVALID_POLYGON`` saying why not.

    Reasons: ``holes_unsupported``, ``too_few_positions`` (a ring needs 3 corners
    and the closing position), ``too_many_positions``, ``not_closed`` (the last
    position must repeat the first), ``self_intersects`` (with the two edges, by
    their index in the ring).
    """
    if len(rings) != 1:
        raise invalid_polygon("holes_unsupported", rings=len(rings))
    ring = [tuple(position) for position in rings[0]]
    if len(ring) < 4:
        raise invalid_polygon("too_few_positions", positions=len(ring))
    if len(ring) > MAX_VERTICES + 1:
        raise invalid_polygon("too_many_positions", positions=len(ring), max_positions=MAX_VERTICES + 1)
    if ring[0] != ring[-1]:
        raise invalid_polygon("not_closed", first=list(ring[0]), last=list(ring[-1]))
    crossing = _self_intersection(ring)
    if crossing is not None:
        raise invalid_polygon("self_intersects", edges=list(crossing))
    return ring


def _self_intersection(ring: Sequence[Position]) -> tuple[int, int] | None:
    """The first pair of edges that touch other than at their shared corner, or None."""
    edges = [(ring[i], ring[i + 1]) for i in range(len(ring) - 1)]
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            adjacent = j == i + 1 or (i == 0 and j == count - 1)
            if adjacent:
                # neighbours share a corner; they only conflict if they fold back onto each other
                if _collinear_overlap(*edges[i], *edges[j]):
                    return i, j
            elif _segments_touch(*edges[i], *edges[j]):
                return i, j
    return None


def _orientation(a: Position, b: Position, c: Position) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Position, b: Position, p: Position) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_touch(a: Position, b: Position, c: Position, d: Position) -> bool:
    o1, o2, o3, o4 = _orientation(a, b, c), _orientation(a, b, d), _orientation(c, d, a), _orientation(c, d, b)
    if ((o1 > 0) != (o2 > 0)) and ((o3 > 0) != (o4 > 0)) and 0 not in (o1, o2, o3, o4):
        return True
    return any(
        o == 0 and _on_segment(s, e, p) for o, s, e, p in ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b))
    )


def _collinear_overlap(a: Position, b: Position, c: Position, d: Position) -> bool:
    """Two edges sharing a corner that also share more than it (a spike folding back, or a zero-length edge)."""
    if a == b or c == d:
        return True
    shared = b if b in (c, d) else a
    far_1 = a if shared == b else b
    far_2 = d if shared == c else c
    return (
        _orientation(a, b, far_2) == 0
        and _orientation(c, d, far_1) == 0
        and (_on_segment(a, b, far_2) or _on_segment(c, d, far_1))
    )


def farthest_m(ring: Sequence[Position], lat: float, lng: float) -> int:
    """How far the ring's farthest corner is from a point; the whole polygon lies within that distance."""
    return round(max(haversine_m(lat, lng, position[1], position[0]) for position in ring))


def cover(ring: Sequence[Position]) -> list[str]:
    """The polygon's cells at :data:`RESOLUTION`, compacted."""
    import h3

    polygon = h3.LatLngPoly([(position[1], position[0]) for position in ring])
    return sorted(h3.compact_cells(h3.polygon_to_cells(polygon, RESOLUTION)))


def covers(cells: Collection[str], lat: float, lng: float) -> bool:
    """Whether the point's cell, or one of its parents, is among ``cells`` (a compacted cover)."""
    import h3

    cell = h3.latlng_to_cell(lat, lng, RESOLUTION)
    return any(h3.cell_to_parent(cell, resolution) in cells for resolution in range(RESOLUTION, -1, -1))
