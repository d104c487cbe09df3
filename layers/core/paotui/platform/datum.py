"""Map datums: our GCJ-02 points as Baidu's BD-09.

Every point we store is GCJ-02 (DESIGN.md §3), which AMap and Tencent Maps
take as is. Baidu Maps draws on BD-09, a further offset of GCJ-02; links to
Baidu carry BD-09 coordinates converted here with the published formula, and
say so (``coord_type=bd09ll``) rather than leave the conversion to Baidu.
"""

from __future__ import annotations

import math

_X_PI = math.pi * 3000.0 / 180.0
_BD_OFFSET_LNG = 0.0065
_BD_OFFSET_LAT = 0.006


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) on BD-09 of a GCJ-02 point."""
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + _BD_OFFSET_LAT, z * math.cos(theta) + _BD_OFFSET_LNG
