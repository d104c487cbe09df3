"""Counting a fact once, and reading the counters back summed over scopes.

A fact is written in ONE transaction: its fact item (conditional on not
existing) and an ``ADD`` to each of its scopes' day and hour items. A second
event bringing the same fact (a redelivery, a redrive, another stream record
of the order) finds the fact item and changes nothing; a crash before the
commit leaves nothing half-counted.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from paotui.analytics.facts import Fact
from paotui.analytics.records import FACTS_KEPT_DAYS, HOURS_KEPT_DAYS
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.errors import Conflict
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

_ATTEMPTS = 5
"""Tries of one fact's transaction: DynamoDB cancels it when another transaction touches one of its items."""


def day_key(day: str) -> str:
    return f"day#{day}"


def hour_key(moment: datetime) -> str:
    return f"hour#{moment.astimezone(clock.CHINA):%Y-%m-%dT%H}"


def apply(fact: Fact, event_id: str) -> bool:
    """Count ``fact`` unless it is counted already; True when this call counted it."""
    items = _transaction(fact, event_id)
    for attempt in range(_ATTEMPTS):
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons") or []]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                logger.info("fact already counted", extra={"order_id": fact.order_id, "fact": fact.name})
                return False
            logger.info("analytics transaction cancelled; trying again", extra={"reasons": reasons})
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
            continue
        metrics.add_metric(name="AnalyticsFactsCounted", unit="Count", value=1)
        logger.info("fact counted", extra={"order_id": fact.order_id, "fact": fact.name})
        return True
    raise Conflict("The counters kept changing; the event will be retried.", code="CONCURRENT_UPDATE")


def _transaction(fact: Fact, event_id: str) -> list[dict]:
    table = get_settings().analytics_table
    now = clock.now()
    marker = {
        "Put": {
            "TableName": table,
            "Item": {
                "scope": {"S": f"fact#{fact.order_id}"},
                "period": {"S": fact.name},
                "at": {"S": clock.iso(fact.at)},
                "event_id": {"S": event_id},
                "ttl": {"N": str(clock.epoch_seconds(now + timedelta(days=FACTS_KEPT_DAYS)))},
            },
            "ConditionExpression": "attribute_not_exists(#scope)",
            "ExpressionAttributeNames": {"#scope": "scope"},
        }
    }
    hour_expiry = {":ttl": {"N": str(clock.epoch_seconds(fact.at + timedelta(days=HOURS_KEPT_DAYS)))}}
    updates = []
    for scope in fact.scopes:
        counted = fact.counters_of(scope)
        names = {f"#c{index}": counter for index, counter in enumerate(counted)}
        values = {f":c{index}": {"N": str(value)} for index, value in enumerate(counted.values())}
        adds = "ADD " + ", ".join(f"#c{index} :c{index}" for index in range(len(names)))
        for period, expires in ((day_key(clock.china_date(fact.at)), False), (hour_key(fact.at), True)):
            update = {
                "TableName": table,
                "Key": {"scope": {"S": scope}, "period": {"S": period}},
                "UpdateExpression": adds + (" SET #ttl = if_not_exists(#ttl, :ttl)" if expires else ""),
                "ExpressionAttributeNames": {**names, **({"#ttl": "ttl"} if expires else {})},
                "ExpressionAttributeValues": {**values, **(hour_expiry if expires else {})},
            }
            updates.append({"Update": update})
    return [marker, *updates]


def summed(scopes: Iterable[str], first: str, last: str) -> dict[str, Counter[str]]:
    """Period key → its counters summed over ``scopes``, for the periods keyed ``first`` to ``last``."""
    by_period: dict[str, Counter[str]] = {}
    for scope in scopes:
        for item in _items(scope, first, last):
            period = item.pop("period")["S"]
            counters = by_period.setdefault(period, Counter())
            for name, value in item.items():
                if name not in ("scope", "ttl") and "N" in value:
                    counters[name] += int(value["N"])
    return by_period


def _items(scope: str, first: str, last: str) -> Iterator[dict]:
    query = {
        "TableName": get_settings().analytics_table,
        "KeyConditionExpression": "#scope = :scope AND #period BETWEEN :first AND :last",
        "ExpressionAttributeNames": {"#scope": "scope", "#period": "period"},
        "ExpressionAttributeValues": {":scope": {"S": scope}, ":first": {"S": first}, ":last": {"S": last}},
    }
    for page in client("dynamodb").get_paginator("query").paginate(**query):
        yield from page["Items"]
