"""Delivery fees: a base fee for the first stretch, a price per started kilometre, surcharges, free delivery.

``tiers`` are ``[{"up_to_m", "fee_per_km"}]`` sorted by ``up_to_m``. Each started
kilometre beyond ``base_distance_m`` costs the rate of the tier in which that
kilometre *starts*; kilometres starting beyond the last tier cost the last
tier's rate. Example (base 500 fen for 3 km; 100 fen/km up to 5 km, 200 fen/km
after): 6.2 km → km starting at 3, 4 (100 each) and 5, 6 (200 each) → 1100 fen.
Distances are whole metres, so the fee a client sees matches the distance it sees.

On top of the distance fee: time-window surcharges (night, peak: a window
``start``–``end`` in China time, wrapping past midnight when ``end`` ≤ ``start``,
matched against when the order is delivered) and a weight surcharge per started
kilogram above a free weight. A free-delivery threshold (items total ≥
``free_over``) waives the distance fee (base + per km) but not the surcharges:
those pay the rider for the night, the rush or the load, which a merchant's
promotion does not make go away. :func:`breakdown` lists every part, so a
customer sees why; its amounts (the waiver is negative) sum to the fee.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from paotui.platform import clock

KM = 1000


@dataclass(frozen=True)
class FeeLine:
    code: str
    label: str
    amount: int  # fen; negative for a waiver


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


def in_window(at: datetime, start: time, end: time) -> bool:
    """Whether ``at`` (aware) falls in the China-time window [start, end), which wraps past midnight if end ≤ start."""
    local = at.astimezone(clock.CHINA).time()
    return start <= local < end if start < end else local >= start or local < end


def weight_fee(weight_g: int, *, free_g: int, fee_per_kg: int) -> int:
    return -(-max(0, weight_g - free_g) // KM) * fee_per_kg


def breakdown(
    rules: Mapping[str, Any], *, distance_m: int, items_total: int, weight_g: int, at: datetime
) -> list[FeeLine]:
    """The delivery fee line by line under ``rules`` (an area's ``fees``; see ``paotui.catalog.delivery.FeeRules``).

    Lines: ``base``, ``distance`` (when any km is charged), one per matching
    surcharge window (its own code and label), ``weight`` (when charged) and
    ``free_delivery`` (minus base + distance, when the threshold is met).
    """
    base = int(rules["base_fee"])
    distance = delivery_fee(distance_m, base_fee=0, base_distance_m=rules["base_distance_m"], tiers=rules["tiers"])
    lines = [FeeLine("base", "基础配送费", base)]
    if distance:
        lines.append(FeeLine("distance", f"距离加价 ({distance_m / KM:.1f} km)", distance))
    for window in rules["surcharges"]:
        if in_window(at, window["start"], window["end"]):
            lines.append(FeeLine(window["code"], window["label"], int(window["amount"])))
    weight = rules["weight"]
    extra = weight_fee(weight_g, free_g=weight["free_g"], fee_per_kg=weight["fee_per_kg"]) if weight else 0
    if extra:
        lines.append(FeeLine("weight", f"超重加价 ({weight_g / KM:.1f} kg)", extra))
    free_over = rules["free_over"]
    if free_over is not None and items_total >= free_over and base + distance:
        lines.append(FeeLine("free_delivery", f"满 {free_over / 100:g} 元免配送费", -(base + distance)))
    return lines
