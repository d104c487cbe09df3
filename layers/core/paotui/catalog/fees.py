"""Delivery fees: a base fee for the first stretch, then a price per started kilometre.

``tiers`` are ``[{"up_to_m", "fee_per_km"}]`` sorted by ``up_to_m``. Each started
kilometre beyond ``base_distance_m`` costs the rate of the tier in which that
kilometre *starts*; kilometres starting beyond the last tier cost the last
tier's rate. Example (base 500 fen for 3 km; 100 fen/km up to 5 km, 200 fen/km
after): 6.2 km → km starting at 3, 4 (100 each) and 5, 6 (200 each) → 1100 fen.
Distances are whole metres, so the fee a client sees matches the distance it sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

KM = 1000


def in_range(distance_m: int, radius_m: int) -> bool:
    return distance_m <= radius_m


def delivery_fee(distance_m: int, *, base_fee: int, base_distance_m: int, tiers: Sequence[Mapping[str, Any]]) -> int:
    ordered = sorted(tiers, key=lambda tier: tier["up_to_m"])
    if not ordered:
        return base_fee  # no tiers: the base fee covers any distance in range
    started_km = -(-max(0, distance_m - base_distance_m) // KM)  # ceil
    fee = base_fee
    for km in range(started_km):
        start = base_distance_m + km * KM
        fee += int(next((t["fee_per_km"] for t in ordered if start < t["up_to_m"]), ordered[-1]["fee_per_km"]))
    return fee
