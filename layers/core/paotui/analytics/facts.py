"""What an order's move adds to the operators' and merchants' counters: pure, from the event's order image.

A fact is one thing that happened to an order, once: paid, confirmed by the
merchant, first given to a rider, delivered, a delivery attempt failed,
cancelled. Each adds counters to the China-time day and hour it happened in,
for the whole platform and for the order's merchant (errands have none).

Durations are summed in seconds with a count beside them, so any range's mean
is a sum over a sum; click-to-door minutes are also counted into 5-minute
buckets, from which a range's median and 90th percentile are estimated
(paotui.analytics.report). A scheduled order's click-to-door and dispatch wait
say when the customer asked for it, not how fast we were, so they are counted
but not timed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paotui.platform import clock

PLATFORM_SHARDS = 8
"""The platform's counters are split over this many items, by order id, so that orders applied at once touch
different items (one DynamoDB item takes ~1,000 writes a second, and concurrent transactions on one item cancel
each other); a read adds the shards up."""

CHANNELS = ("mini_program", "phone", "walk_in", "eleme")
"""How orders come in (``paotui.orders.models.Channel``, which a unit test holds this to: importing the orders'
models here would cost every function reading analytics ~150 ms at cold start)."""
ACTORS = ("customer", "merchant", "system", "channel", "admin", "carrier", "rider")
"""Who cancels, from the timeline entry's ``by`` (``merchant:mer_…``); anything else counts as ``other``."""

CLICK_TO_DOOR_BUCKETS = (*range(5, 91, 5), 120)
"""Upper bounds (minutes) of the click-to-door buckets ``ctd_le_<m>``; past the last is ``ctd_over``."""

FACT_STATUSES = {
    "PAID": "paid",
    "CONFIRMED": "confirmed",
    "ASSIGNED": "assigned",
    "DELIVERED": "delivered",
    "DELIVERY_FAILED": "failed",
    "CANCELLED": "cancelled",
}
"""The order statuses that make a fact (template.yaml AnalyticsSubscription lets exactly these through)."""


@dataclass(frozen=True)
class Fact:
    order_id: str
    name: str  # paid | confirmed | assigned | delivered | failed | cancelled: at most once per order
    at: datetime  # when it happened: the day and hour it counts in
    scopes: tuple[str, ...]  # the counter items' owners: ``all#<shard>`` and ``merchant#<id>``
    counters: Mapping[str, int]
    shop_counters: Mapping[str, int] = field(default_factory=dict)
    """Counted for the merchant only: each dish delivered, ``sold#<product id>`` (a city's dishes would not fit in
    the platform's items)."""

    def counters_of(self, scope: str) -> Mapping[str, int]:
        return {**self.counters, **self.shop_counters} if scope.startswith("merchant#") else self.counters


def fact_of(order: Mapping[str, Any], status: str) -> Fact:
    """The fact of ``order`` entering ``status`` (one of FACT_STATUSES), from its image as events carry it."""
    name = FACT_STATUSES[status]
    at = entered(order, status) or clock.parse_iso(order["updated_at"])
    counters = _COUNTERS[name](order, at)
    sold = _sold(order) if name == "delivered" else {}
    return Fact(order["id"], name, at, scopes_of(order), {key: value for key, value in counters.items() if value}, sold)


SOLD = "sold#"


def _sold(order: Mapping[str, Any]) -> dict[str, int]:
    """What the customer got of each dish (an errand has no items)."""
    sold: dict[str, int] = {}
    for item in order.get("items") or []:
        key = f"{SOLD}{item['product_id']}"
        sold[key] = sold.get(key, 0) + int(item["quantity"])
    return sold


def scopes_of(order: Mapping[str, Any]) -> tuple[str, ...]:
    shard = int(hashlib.sha256(order["id"].encode()).hexdigest(), 16) % PLATFORM_SHARDS
    merchant = order.get("merchant_id")
    return (f"all#{shard}", f"merchant#{merchant}") if merchant else (f"all#{shard}",)


def entered(order: Mapping[str, Any], status: str) -> datetime | None:
    """When the order first entered ``status``, by its timeline; None if it never did."""
    for entry in order.get("timeline") or []:
        if entry.get("status") == status:
            return clock.parse_iso(entry["at"])
    return None


def _seconds(since: datetime | None, until: datetime) -> int | None:
    return None if since is None else max(0, round((until - since).total_seconds()))


def _timed(name: str, seconds: int | None) -> dict[str, int]:
    """``name`` counted once, and its duration beside it when there is one to count."""
    if seconds is None:
        return {name: 1}
    return {name: 1, f"{name}_timed": 1, f"{name}_seconds": seconds}


def _paid(order: Mapping[str, Any], _at: datetime) -> dict[str, int]:
    amounts = order["amounts"]
    channel = order.get("channel") or "mini_program"
    return {
        "paid": 1,
        "gmv": int(amounts["total"]),
        "delivery_fees": int(amounts["delivery_fee"]),
        "discounts": int(amounts.get("discount") or 0),
        f"channel_{channel if channel in CHANNELS else 'other'}": 1,
        "errands": int(order.get("kind") == "errand"),
    }


def _confirmed(order: Mapping[str, Any], at: datetime) -> dict[str, int]:
    """The merchant's answer time: from payment to 接单."""
    return _timed("confirmed", _seconds(entered(order, "PAID"), at))


def _assigned(order: Mapping[str, Any], at: datetime) -> dict[str, int]:
    """The dispatch wait: from when the order could be offered (paid, and confirmed if it had to be) to its first
    rider's acceptance."""
    if order.get("scheduled_for"):
        return _timed("assigned", None)
    ready = [moment for moment in (entered(order, "PAID"), entered(order, "CONFIRMED")) if moment is not None]
    return _timed("assigned", _seconds(max(ready), at) if ready else None)


def _delivered(order: Mapping[str, Any], at: datetime) -> dict[str, int]:
    paid = None if order.get("scheduled_for") else entered(order, "PAID")
    counters = _timed("delivered", _seconds(paid, at))
    if paid is not None:
        counters[click_to_door_bucket((at - paid).total_seconds() / 60)] = 1
    if order.get("promised_at"):
        counters["on_time" if at <= clock.parse_iso(order["promised_at"]) else "late"] = 1
    return counters


def click_to_door_bucket(minutes: float) -> str:
    for bound in CLICK_TO_DOOR_BUCKETS:
        if minutes <= bound:
            return f"ctd_le_{bound}"
    return "ctd_over"


def _failed(_order: Mapping[str, Any], _at: datetime) -> dict[str, int]:
    return {"failed": 1}


def _cancelled(order: Mapping[str, Any], _at: datetime) -> dict[str, int]:
    """A paid order's cancellation, by who cancelled it; an order never paid (let lapse, or withdrawn before
    paying) is counted apart: it cost nobody anything."""
    if entered(order, "PAID") is None:
        return {"unpaid_cancelled": 1}
    by = _last_entry(order, "CANCELLED").get("by") or ""
    actor = by.split(":", 1)[0]
    return {"cancelled": 1, f"cancelled_by_{actor if actor in ACTORS else 'other'}": 1}


def _last_entry(order: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    for entry in reversed(order.get("timeline") or []):
        if entry.get("status") == status:
            return entry
    return {}


_COUNTERS = {
    "paid": _paid,
    "confirmed": _confirmed,
    "assigned": _assigned,
    "delivered": _delivered,
    "failed": _failed,
    "cancelled": _cancelled,
}
