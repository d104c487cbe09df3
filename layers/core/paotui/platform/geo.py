"""Distances and H3 cells on GCJ-02 coordinates.

GCJ-02 is a small, smooth offset of WGS-84, so distances and H3 cells computed
on it are within metres of the true ones: good enough for radius checks and
candidate search, and no conversion is needed.

h3 is imported inside the functions that compute cells, so Lambda functions
and routes that never compute one (quotes, products, notifications) don't load it.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def cell_of(lat: float, lng: float, resolution: int) -> str:
    import h3

    return h3.latlng_to_cell(lat, lng, resolution)


def ring_cells(cell: str, k: int) -> list[list[str]]:
    """Cells at exact grid distance 0..k from ``cell``, nearest ring first."""
    import h3

    return [[cell]] + [sorted(h3.grid_ring(cell, i)) for i in range(1, k + 1)]


def disk_cells(lat: float, lng: float, resolution: int, radius_m: float) -> list[str]:
    """Cells whose union covers a disk of ``radius_m`` around the point."""
    import h3

    edge = h3.average_hexagon_edge_length(resolution, unit="m")
    k = max(1, math.ceil(radius_m / (edge * 1.5)) + 1)
    return sorted(h3.grid_disk(cell_of(lat, lng, resolution), k))


def cell_points(cell: str) -> list[tuple[float, float]]:
    """The cell's centre and corners, (lat, lng)."""
    import h3

    return [h3.cell_to_latlng(cell), *h3.cell_to_boundary(cell)]
