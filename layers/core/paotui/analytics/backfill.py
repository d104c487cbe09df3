"""Counting the orders AnalyticsWorker never saw: their moves replayed from the Orders table.

An operator runs it once after deploying analytics on a platform that already
has orders (docs/adr/0018), for the days before:

    python -m paotui.analytics.backfill 2026-10-01 2026-11-26

with AWS credentials and the stack's table names in ``ORDERS_TABLE`` and
``ANALYTICS_TABLE`` (the local cloud's: ``AWS_ENDPOINT_URL`` too). Every order
placed on those China days (the Orders table's ``by-day`` index) is counted as
the worker counts it: one fact per move its timeline holds, each at most once
(its fact item), so a second run, or a run over days the worker saw, adds
nothing.

Except where a fact item may be gone: the worker's fact items are kept
FACTS_KEPT_DAYS after it counted them. A move made since the first day with
counters, and longer ago than that, may have been counted and forgotten; it is
skipped and reported, never counted twice. Run the backfill within a month of
deploying analytics and nothing is skipped.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date, datetime, time, timedelta

from paotui.analytics import counters
from paotui.analytics.facts import FACT_STATUSES, PLATFORM_SHARDS, entered, fact_of
from paotui.analytics.records import FACTS_KEPT_DAYS
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.backfill import orders_placed, run_over_days
from paotui.platform.settings import get_settings


def backfill(start: date, end: date) -> dict[str, int]:
    """Count the orders placed from ``start`` to ``end`` (China days): how many orders were read, and how many of
    their facts were counted, found counted already, or skipped (see the module docstring)."""
    live_since = first_counted_moment()
    forgotten_before = clock.now() - timedelta(days=FACTS_KEPT_DAYS - 1)
    tally: Counter[str] = Counter()
    for record in orders_placed(start, end):
        tally["orders"] += 1
        image = record.to_simple_dict(force=True)
        for status in FACT_STATUSES:
            moved = entered(image, status)
            if moved is None:
                continue
            if live_since is not None and live_since <= moved < forgotten_before:
                tally["skipped"] += 1
                continue
            fact = fact_of(image, status)
            counted = counters.apply(fact, f"backfill:{record.id}:{fact.name}")
            tally["counted" if counted else "already"] += 1
    return {name: tally[name] for name in ("orders", "counted", "already", "skipped")}


def first_counted_moment() -> datetime | None:
    """The start (China time) of the first day the platform has counters for; None if nothing is counted yet."""
    first = None
    for shard in range(PLATFORM_SHARDS):
        answer = client("dynamodb").query(
            TableName=get_settings().analytics_table,
            KeyConditionExpression="#scope = :scope AND begins_with(#period, :day)",
            ExpressionAttributeNames={"#scope": "scope", "#period": "period"},
            ExpressionAttributeValues={":scope": {"S": f"all#{shard}"}, ":day": {"S": "day#"}},
            Limit=1,
        )
        for item in answer["Items"]:
            day = date.fromisoformat(item["period"]["S"].removeprefix("day#"))
            first = day if first is None else min(first, day)
    return None if first is None else datetime.combine(first, time(), clock.CHINA)


def main(argv: list[str] | None = None) -> int:
    return run_over_days("python -m paotui.analytics.backfill", __doc__.splitlines()[0], backfill, argv)


if __name__ == "__main__":
    sys.exit(main())
