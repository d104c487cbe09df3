"""pynamodb plumbing: table names and endpoint come from settings, read once at import.

Every record class declares ``Meta = table_meta("orders_table")``; the local
cloud and the tests set the environment before importing domain modules.
Transactions that span tables (an order and its stock, an offer, its order and
its rider) go through :func:`transact_write`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from paotui.platform.settings import get_settings

MAX_RETRY_ATTEMPTS = 5
_T = TypeVar("_T")
_R = TypeVar("_R")


def _host() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or None


def table_meta(settings_field: str, *, stream_view_type: str | None = None) -> type:
    settings = get_settings()
    attributes = {
        "table_name": getattr(settings, settings_field),
        "region": settings.aws_region,
        "host": _host(),
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": MAX_RETRY_ATTEMPTS,
    }
    if stream_view_type:
        attributes["stream_view_type"] = stream_view_type
    return type("Meta", (), attributes)


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One connection per container for multi-table transactions, pointed where the records point."""
    return Connection(region=get_settings().aws_region, host=_host(), max_retry_attempts=MAX_RETRY_ATTEMPTS)


def transact_write(**kwargs) -> TransactWrite:
    """``with transact_write() as transaction: ...`` commits on exit, all or nothing."""
    return TransactWrite(connection=connection(), **kwargs)


class LatLngMap(MapAttribute):
    """A GCJ-02 point, as every table stores one."""

    lat = NumberAttribute()
    lng = NumberAttribute()


class PlaceMap(LatLngMap):
    """A named point: where a rider picks an order up."""

    name = UnicodeAttribute()


def condition_failed(error: PynamoDBException) -> bool:
    """Whether a single-item write was refused by its condition (not by throttling or an outage)."""
    return error.cause_response_code == "ConditionalCheckFailedException"


def failed_conditions(error: TransactWriteError) -> list[bool]:
    """Per item of a cancelled transaction: whether its condition is what cancelled it.

    In the order pynamodb sends the items, which is not the order they were
    added: condition checks, then deletes, then puts, then updates.
    """
    return [bool(reason and reason.code == "ConditionalCheckFailed") for reason in error.cancellation_reasons or []]


def update_if(item: Model, actions: list[Any], condition: Condition) -> bool:
    """Update ``item`` if ``condition`` holds; False when it did not (throttling and outages still raise)."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def delete_returning(item: Model, condition: Condition) -> Model | None:
    """Delete ``item`` if ``condition`` holds, and return it as it was just before (None if the condition failed or
    there was nothing to delete): one write, where a read then a delete would miss what another writer added in
    between."""
    key, range_key = item._get_hash_range_key_serialized_values()
    try:
        response = (
            type(item)
            ._get_connection()
            .delete_item(key, range_key=range_key, condition=condition, return_values="ALL_OLD")
        )
    except DeleteError as error:
        if not condition_failed(error):
            raise
        return None
    old = response.get("Attributes")
    return type(item).from_raw_data(old) if old else None


def put_returning(item: Model, condition: Condition | None = None) -> Model | None:
    """Put ``item`` if ``condition`` holds (``PutError`` if not, as ``save`` raises) and return the item it replaced,
    None if there was none: one write, where a read before the put could see another writer's item, not the one
    replaced."""
    args, kwargs = item._get_save_args(condition=condition)
    response = type(item)._get_connection().put_item(*args, return_values="ALL_OLD", **kwargs)
    old = response.get("Attributes")
    return type(item).from_raw_data(old) if old else None


def side_by_side(read: Callable[[_T], _R], items: Sequence[_T], *, at_most: int) -> list[_R]:
    """``read`` of each item (a query or a get), ``at_most`` at a time, in the items' order: reads in a row would add
    up their latencies. A single item is read in the calling thread."""
    if len(items) <= 1:
        return [read(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(at_most, len(items))) as pool:
        return list(pool.map(read, items))


_M = TypeVar("_M", bound=Model)


def scan_page(
    model: type[_M], condition: Condition | None, limit: int, after: str | None
) -> tuple[list[_M], str | None]:
    """A page of a filtered scan of a table keyed by a string hash key alone, for operators' lists of what is few
    (riders, shops, applications): up to ``limit`` items read (those of them ``condition`` keeps) from the key
    ``after``, and the key to go on from (None: the last page). A page may keep none while more follow."""
    key = model._hash_key_attribute().attr_name
    result = model.scan(
        filter_condition=condition, limit=limit, last_evaluated_key={key: {"S": after}} if after else None
    )
    found = list(result)
    last = result.last_evaluated_key
    return found, last[key]["S"] if last else None
