"""A range of days (or hours) of the counters as operators and merchants read them: totals, rates, means and
estimated percentiles, for the whole range and for each period in it.

Facts count in the period they happened in: an order paid on Monday and
delivered on Tuesday counts as paid on Monday and delivered on Tuesday, so a
day's rates compare what happened that day (as a shop's day book does). A rate
or mean with nothing to divide by is null: no data is not 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal

from paotui.analytics import counters
from paotui.analytics.facts import ACTORS, CHANNELS, CLICK_TO_DOOR_BUCKETS, PLATFORM_SHARDS, SOLD
from paotui.platform import clock
from paotui.platform.models import ResponseModel
from paotui.platform.settings import get_settings

Granularity = Literal["day", "hour"]


class Metrics(ResponseModel):
    """Money in fen, durations in minutes. ``orders``: orders paid; ``gmv``: what they cost the customers (after
    coupons), delivery fees included."""

    orders: int
    gmv: int
    average_order_value: int | None
    delivery_fees: int
    discounts: int
    channels: dict[str, int]  # orders paid, by how they came in
    errands: int
    confirmed: int
    confirm_minutes_mean: float | None  # paid → the merchant's 接单
    assigned: int
    assign_minutes_mean: float | None  # ready to offer → a rider took it (scheduled orders not timed)
    delivered: int
    click_to_door_minutes_mean: float | None  # paid → delivered (scheduled orders not timed)
    click_to_door_minutes_p50: float | None  # estimated within 5-minute buckets; past 120 minutes reads as 120
    click_to_door_minutes_p90: float | None
    on_time: int
    late: int
    on_time_rate: float | None  # delivered by the time promised at placement
    failed: int  # orders whose delivery failed at least once
    cancelled: int  # paid orders cancelled
    cancel_rate: float | None  # cancelled / orders
    cancelled_by: dict[str, int]
    unpaid_cancelled: int  # orders cancelled before they were paid (let lapse, or withdrawn)


class PeriodMetrics(Metrics):
    period: str  # YYYY-MM-DD, or YYYY-MM-DDTHH (China time)


class DishSales(ResponseModel):
    product_id: str
    quantity: int  # delivered in the range


class AnalyticsReport(ResponseModel):
    merchant_id: str | None  # None: the whole platform
    start: date
    end: date
    by: Granularity
    totals: Metrics
    periods: list[PeriodMetrics]
    dishes: list[DishSales]  # a merchant's report: its dishes delivered in the range, most first; the platform's: []


def report(merchant_id: str | None, start: date, end: date, by: Granularity) -> AnalyticsReport:
    """422 ``INVALID_RANGE`` when ``end`` is before ``start``, ``RANGE_TOO_LONG`` past the settings' limit."""
    labels = period_labels(start, end, by)
    scopes = [f"merchant#{merchant_id}"] if merchant_id else [f"all#{shard}" for shard in range(PLATFORM_SHARDS)]
    found = counters.summed(scopes, f"{by}#{labels[0]}", f"{by}#{labels[-1]}")
    per_period = [found.get(f"{by}#{label}", Counter()) for label in labels]
    totals = sum(per_period, Counter())
    return AnalyticsReport(
        merchant_id=merchant_id,
        start=start,
        end=end,
        by=by,
        totals=metrics_of(totals),
        periods=[
            PeriodMetrics(period=label, **metrics_of(counts).model_dump())
            for label, counts in zip(labels, per_period, strict=True)
        ],
        dishes=dishes_of(totals),
    )


def dishes_of(counts: Mapping[str, int]) -> list[DishSales]:
    """The dishes delivered, most first (ties by product id, so the order is stable)."""
    sold = [(name.removeprefix(SOLD), quantity) for name, quantity in counts.items() if name.startswith(SOLD)]
    ranked = sorted(sold, key=lambda dish: (-dish[1], dish[0]))
    return [DishSales(product_id=product, quantity=quantity) for product, quantity in ranked]


def period_labels(start: date, end: date, by: Granularity) -> list[str]:
    settings = get_settings()
    most = settings.analytics_max_days if by == "day" else settings.analytics_max_hourly_days
    days = clock.days_in(start, end, most=most, what=f"A report by {by}")
    if by == "day":
        return [(start + timedelta(days=offset)).isoformat() for offset in range(days)]
    first = datetime.combine(start, time(), clock.CHINA)
    return [f"{first + timedelta(hours=offset):%Y-%m-%dT%H}" for offset in range(24 * days)]


def metrics_of(counts: Mapping[str, int]) -> Metrics:
    c = Counter(counts)
    return Metrics(
        orders=c["paid"],
        gmv=c["gmv"],
        average_order_value=None if not c["paid"] else round(c["gmv"] / c["paid"]),
        delivery_fees=c["delivery_fees"],
        discounts=c["discounts"],
        channels={channel: c[f"channel_{channel}"] for channel in (*CHANNELS, "other") if c[f"channel_{channel}"]},
        errands=c["errands"],
        confirmed=c["confirmed"],
        confirm_minutes_mean=_mean_minutes(c["confirmed_seconds"], c["confirmed_timed"]),
        assigned=c["assigned"],
        assign_minutes_mean=_mean_minutes(c["assigned_seconds"], c["assigned_timed"]),
        delivered=c["delivered"],
        click_to_door_minutes_mean=_mean_minutes(c["delivered_seconds"], c["delivered_timed"]),
        click_to_door_minutes_p50=click_to_door_percentile(c, 0.5),
        click_to_door_minutes_p90=click_to_door_percentile(c, 0.9),
        on_time=c["on_time"],
        late=c["late"],
        on_time_rate=_ratio(c["on_time"], c["on_time"] + c["late"]),
        failed=c["failed"],
        cancelled=c["cancelled"],
        cancel_rate=_ratio(c["cancelled"], c["paid"]),
        cancelled_by={actor: c[f"cancelled_by_{actor}"] for actor in (*ACTORS, "other") if c[f"cancelled_by_{actor}"]},
        unpaid_cancelled=c["unpaid_cancelled"],
    )


def click_to_door_percentile(counts: Mapping[str, int], quantile: float) -> float | None:
    """The ``quantile`` of the click-to-door minutes, assuming the orders of a bucket are spread evenly over it."""
    buckets = [(bound, counts.get(f"ctd_le_{bound}", 0)) for bound in CLICK_TO_DOOR_BUCKETS]
    total = sum(count for _, count in buckets) + counts.get("ctd_over", 0)
    if total == 0:
        return None
    wanted = quantile * total
    below, lower = 0, 0
    for bound, count in buckets:
        if count and below + count >= wanted:
            return round(lower + (bound - lower) * (wanted - below) / count, 1)
        below, lower = below + count, bound
    return float(CLICK_TO_DOOR_BUCKETS[-1])


def _mean_minutes(seconds: int, count: int) -> float | None:
    return None if count == 0 else round(seconds / count / 60, 1)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)
