"""Analytics without AWS: what each order move counts, and how a range's counters read as rates, means and
percentiles."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import get_args

import pytest
from cfnlint.decode import cfn_yaml

from paotui.analytics.facts import CHANNELS, FACT_STATUSES, PLATFORM_SHARDS, click_to_door_bucket, fact_of, scopes_of
from paotui.analytics.report import click_to_door_percentile, dishes_of, metrics_of, period_labels
from paotui.platform.errors import Unprocessable


def order(*moves: tuple[str, str, str], **fields) -> dict:
    """An order image with a timeline of (status, UTC hh:mm on 2026-11-27, by) moves; the last is its status."""
    timeline = [
        {"status": status, "at": f"2026-11-27T{at}:00.000Z", "by": by, "reason": None} for status, at, by in moves
    ]
    return {
        "id": "ord_1",
        "status": moves[-1][0],
        "merchant_id": "mer_1",
        "channel": "mini_program",
        "kind": "food",
        "amounts": {"items_total": 3000, "delivery_fee": 600, "total": 3300, "discount": 300},
        "timeline": timeline,
        "updated_at": timeline[-1]["at"],
        **fields,
    }


PLACED = ("PENDING_PAYMENT", "03:58", "customer:usr_1")
PAID = ("PAID", "04:00", "system:payments")
CONFIRMED = ("CONFIRMED", "04:03", "merchant:usr_owner")
ASSIGNED = ("ASSIGNED", "04:05", "rider:usr_r")
DELIVERED = ("DELIVERED", "04:32", "rider:usr_r")


def test_a_payment_counts_the_order_its_money_and_its_channel_for_the_platform_and_the_merchant():
    fact = fact_of(order(PLACED, PAID, channel="phone"), "PAID")
    assert (fact.name, fact.order_id) == ("paid", "ord_1")
    assert fact.counters == {"paid": 1, "gmv": 3300, "delivery_fees": 600, "discounts": 300, "channel_phone": 1}
    assert fact.scopes == (scopes_of({"id": "ord_1"})[0], "merchant#mer_1")
    assert fact.at.isoformat() == "2026-11-27T04:00:00+00:00"


def test_an_errand_counts_for_the_platform_only_and_as_an_errand():
    fact = fact_of(order(PLACED, PAID, merchant_id=None, kind="errand"), "PAID")
    assert len(fact.scopes) == 1 and fact.scopes[0].startswith("all#")
    assert fact.counters["errands"] == 1


def test_the_platform_shard_is_stable_per_order_and_spreads_orders():
    shards = {scopes_of({"id": f"ord_{n}"})[0] for n in range(200)}
    assert shards == {f"all#{shard}" for shard in range(PLATFORM_SHARDS)}
    assert scopes_of({"id": "ord_7"}) == scopes_of({"id": "ord_7"})


def test_the_merchants_answer_and_the_dispatch_wait_are_timed_from_when_each_could_start():
    confirmed = fact_of(order(PLACED, PAID, CONFIRMED), "CONFIRMED")
    assert confirmed.counters == {"confirmed": 1, "confirmed_timed": 1, "confirmed_seconds": 180}
    assigned = fact_of(order(PLACED, PAID, CONFIRMED, ASSIGNED), "ASSIGNED")
    assert assigned.counters == {"assigned": 1, "assigned_timed": 1, "assigned_seconds": 120}, "from 接单, not payment"
    errand = fact_of(order(PLACED, PAID, ASSIGNED, merchant_id=None, kind="errand"), "ASSIGNED")
    assert errand.counters["assigned_seconds"] == 300, "an errand is offered once paid"


def test_a_delivery_counts_its_click_to_door_time_bucket_and_whether_it_was_on_time():
    fact = fact_of(
        order(PLACED, PAID, CONFIRMED, ASSIGNED, DELIVERED, promised_at="2026-11-27T04:35:00.000Z"), "DELIVERED"
    )
    assert fact.counters == {
        "delivered": 1,
        "delivered_timed": 1,
        "delivered_seconds": 32 * 60,
        "ctd_le_35": 1,
        "on_time": 1,
    }
    late = fact_of(order(PLACED, PAID, DELIVERED, promised_at="2026-11-27T04:30:00.000Z"), "DELIVERED")
    assert late.counters["late"] == 1 and "on_time" not in late.counters


def test_a_scheduled_order_is_counted_but_its_waits_are_not_timed():
    scheduled = {"scheduled_for": "2026-11-27T11:00:00.000Z"}
    delivered = fact_of(order(PLACED, PAID, CONFIRMED, ASSIGNED, DELIVERED, **scheduled), "DELIVERED")
    assert delivered.counters == {"delivered": 1}
    assert fact_of(order(PLACED, PAID, CONFIRMED, ASSIGNED, **scheduled), "ASSIGNED").counters == {"assigned": 1}


def test_click_to_door_buckets_are_five_minutes_wide_up_to_90_then_120_then_over():
    assert [click_to_door_bucket(m) for m in (0, 5, 5.01, 89.5, 90.2, 120, 121)] == [
        "ctd_le_5",
        "ctd_le_5",
        "ctd_le_10",
        "ctd_le_90",
        "ctd_le_120",
        "ctd_le_120",
        "ctd_over",
    ]


def test_a_cancellation_counts_by_who_cancelled_and_an_unpaid_one_apart():
    cancelled = ("CANCELLED", "04:10", "merchant:usr_owner")
    assert fact_of(order(PLACED, PAID, cancelled), "CANCELLED").counters == {"cancelled": 1, "cancelled_by_merchant": 1}
    lapsed = ("CANCELLED", "04:15", "system:watchdog")
    assert fact_of(order(PLACED, lapsed), "CANCELLED").counters == {"unpaid_cancelled": 1}
    odd = ("CANCELLED", "04:10", "someone")
    assert fact_of(order(PLACED, PAID, odd), "CANCELLED").counters == {"cancelled": 1, "cancelled_by_other": 1}


def test_percentiles_are_read_within_the_buckets():
    assert click_to_door_percentile({}, 0.5) is None
    assert click_to_door_percentile({"ctd_le_30": 10}, 0.5) == 27.5, "half way through the 25–30 bucket"
    counts = {"ctd_le_20": 5, "ctd_le_30": 4, "ctd_le_60": 1}
    assert click_to_door_percentile(counts, 0.5) == 20.0
    assert click_to_door_percentile(counts, 0.9) == 30.0
    assert click_to_door_percentile({"ctd_le_20": 1, "ctd_over": 9}, 0.9) == 120.0, "past the last bound reads as it"


def test_metrics_divide_only_what_there_is():
    empty = metrics_of({})
    assert (empty.orders, empty.average_order_value, empty.on_time_rate, empty.cancel_rate) == (0, None, None, None)
    assert empty.click_to_door_minutes_mean is None and empty.channels == {} and empty.cancelled_by == {}
    counts = {
        "paid": 4,
        "gmv": 10_001,
        "channel_mini_program": 3,
        "channel_eleme": 1,
        "delivered": 3,
        "delivered_timed": 2,
        "delivered_seconds": 3600,
        "on_time": 2,
        "late": 1,
        "cancelled": 1,
        "cancelled_by_customer": 1,
    }
    metrics = metrics_of(counts)
    assert (metrics.average_order_value, metrics.click_to_door_minutes_mean) == (2500, 30.0)
    assert (metrics.on_time_rate, metrics.cancel_rate) == (0.6667, 0.25)
    assert metrics.channels == {"mini_program": 3, "eleme": 1}
    assert metrics.cancelled_by == {"customer": 1}


def test_periods_are_china_days_or_hours_within_the_limits():
    assert period_labels(date(2026, 11, 30), date(2026, 12, 1), "day") == ["2026-11-30", "2026-12-01"]
    hours = period_labels(date(2026, 11, 27), date(2026, 11, 28), "hour")
    assert (len(hours), hours[0], hours[-1]) == (48, "2026-11-27T00", "2026-11-28T23")
    with pytest.raises(Unprocessable) as reversed_range:
        period_labels(date(2026, 11, 27), date(2026, 11, 26), "day")
    assert reversed_range.value.code == "INVALID_RANGE"
    with pytest.raises(Unprocessable) as too_long:
        period_labels(date(2026, 11, 1), date(2026, 11, 3), "hour")
    assert (too_long.value.code, too_long.value.details) == ("RANGE_TOO_LONG", {"max_days": 2})


def test_the_worker_is_sent_exactly_the_moves_that_make_facts():
    template = cfn_yaml.load(str(Path(__file__).resolve().parents[2] / "template.yaml"))
    policy = template["Resources"]["AnalyticsSubscription"]["Properties"]["FilterPolicy"]
    assert policy["type"] == ["order.status_changed"]
    assert set(policy["status"]) == set(FACT_STATUSES)


def test_the_channels_counted_are_the_orders_channels():
    from paotui.orders.models import Channel

    assert get_args(Channel) == CHANNELS


def test_a_delivery_counts_its_dishes_for_the_merchant_only():
    items = [{"product_id": "prd_a", "quantity": 2}, {"product_id": "prd_b", "quantity": 1}]
    fact = fact_of(order(PLACED, PAID, CONFIRMED, ASSIGNED, DELIVERED, items=items), "DELIVERED")
    platform, merchant = fact.scopes
    assert fact.counters_of(merchant) == {**fact.counters, "sold#prd_a": 2, "sold#prd_b": 1}
    assert fact.counters_of(platform) == fact.counters, "a city's dishes would not fit in the platform's items"
    assert fact_of(order(PLACED, PAID, items=items), "PAID").shop_counters == {}, "sold means delivered"


def test_dishes_read_most_delivered_first():
    ranked = dishes_of({"sold#prd_b": 3, "sold#prd_a": 3, "sold#prd_c": 7, "paid": 9})
    assert [(dish.product_id, dish.quantity) for dish in ranked] == [("prd_c", 7), ("prd_a", 3), ("prd_b", 3)]
