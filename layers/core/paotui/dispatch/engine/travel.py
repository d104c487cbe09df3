"""Travel models: minutes between points, vectorised over numpy arrays.

The engine only ever asks "how many minutes from a to b for this rider", so a
travel model is a small object with ``minutes(a, b, speed)`` and ``project``
(points → planar metres, for the spatial index). Two are provided:

- :class:`EuclideanTravel`: planar metres, ``ceil(euclid / speed)`` — the MDRP
  rule, computed exactly as its official evaluator does (float64 sqrt, ceil).
- :class:`HaversineTravel`: ``(lat, lng)`` points, great-circle metres times a
  detour factor over the speed — the city, where no road graph is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # as paotui.platform.geo


class TravelModel(Protocol):
    speed: float  # default metres per minute

    def minutes(self, a: np.ndarray, b: np.ndarray, speed: np.ndarray | float | None = None) -> np.ndarray:
        """Minutes from each row of ``a`` to the same row of ``b`` (arrays of shape (n, 2))."""
        ...

    def project(self, points: np.ndarray) -> np.ndarray:
        """Planar metres (n, 2), only used to find nearby riders; points projected in one call share a frame."""
        ...


def _points(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).reshape(-1, 2)


@dataclass(frozen=True)
class EuclideanTravel:
    speed: float  # metres per minute
    ceil: bool = True

    def minutes(self, a: np.ndarray, b: np.ndarray, speed: np.ndarray | float | None = None) -> np.ndarray:
        a, b = _points(a), _points(b)
        metres = np.sqrt((b[:, 0] - a[:, 0]) ** 2 + (b[:, 1] - a[:, 1]) ** 2)
        minutes = metres / (self.speed if speed is None else speed)
        return np.ceil(minutes) if self.ceil else minutes

    def project(self, points: np.ndarray) -> np.ndarray:
        return _points(points)


@dataclass(frozen=True)
class HaversineTravel:
    speed: float = 250.0  # metres per minute: 15 km/h, an e-bike in traffic
    detour: float = 1.3  # road distance over great-circle distance

    def minutes(self, a: np.ndarray, b: np.ndarray, speed: np.ndarray | float | None = None) -> np.ndarray:
        a, b = np.radians(_points(a)), np.radians(_points(b))
        dlat, dlng = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        h = np.sin(dlat / 2) ** 2 + np.cos(a[:, 0]) * np.cos(b[:, 0]) * np.sin(dlng / 2) ** 2
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        return metres * self.detour / (self.speed if speed is None else speed)

    def project(self, points: np.ndarray) -> np.ndarray:
        p = np.radians(_points(points))
        if not len(p):
            return p
        lat0 = float(np.mean(p[:, 0]))
        return np.column_stack((p[:, 1] * np.cos(lat0), p[:, 0])) * EARTH_RADIUS_M
