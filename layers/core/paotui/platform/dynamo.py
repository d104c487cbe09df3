"""pynamodb plumbing: table names and endpoint come from settings, read once at import.

Every record class declares ``Meta = table_meta("orders_table")``; the local
cloud and the tests set the environment before importing domain modules.
Transactions that span tables (an order and its stock, an offer, its order and
its rider) go through :func:`transact_write`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex
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
    """A page of a filtered scan of a table keyed by a string hash key alone, for operators' lists of everything
    (riders, shops, applications; their queues are :func:`index_page`): up to ``limit`` items read (those of them
    ``condition`` keeps) from the key ``after``, and the key to go on from (None: the last page). A page may keep
    none while more follow."""
    key = model._hash_key_attribute().attr_name
    result = model.scan(
        filter_condition=condition, limit=limit, last_evaluated_key={key: {"S": after}} if after else None
    )
    found = list(result)
    last = result.last_evaluated_key
    return found, last[key]["S"] if last else None


def index_page(
    index: GlobalSecondaryIndex[_M], partition: str, limit: int, cursor: str | None
) -> tuple[list[_M], str | None]:
    """A page of one partition of ``index`` (string keys), in its range key's order, and the cursor to go on from
    (None: the last page): operators' work queues (applications waiting, renewals to review), which a filtered scan
    would find scattered over pages of everything else. An index that projects keys only is read through: its page's
    items are read whole, in the index's order (one deleted meanwhile is left out)."""
    model = index._model
    schema = index._get_schema()["key_schema"]
    partition_key = next(key["AttributeName"] for key in schema if key["KeyType"] == "HASH")
    names = {key["AttributeName"] for key in schema} | {model._hash_key_attribute().attr_name}
    start = _start_key(cursor, names, {partition_key: partition})
    result = index.query(partition, limit=limit, last_evaluated_key=start)
    found = list(result)
    if index.Meta.projection.projection_type == "KEYS_ONLY" and found:

        def key(item: _M) -> str:
            return getattr(item, model._hash_keyname)

        whole = {key(item): item for item in model.batch_get([key(item) for item in found])}
        found = [whole[key(item)] for item in found if key(item) in whole]
    last = result.last_evaluated_key
    return found, _cursor_of(last) if last else None


def _cursor_of(key: dict[str, dict[str, str]]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), sort_keys=True).encode()).decode()


def _start_key(cursor: str | None, names: set[str], fixed: dict[str, str]) -> dict[str, dict[str, str]] | None:
    """The key a cursor names, holding exactly ``names``, each a non-empty string, and the ``fixed`` ones as given:
    400 ``INVALID_CURSOR`` otherwise (DynamoDB answers a start key that doesn't fit the query with a 5xx)."""
    from paotui.platform.errors import invalid_cursor

    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):  # not base64, not UTF-8 JSON (UnicodeDecodeError is a ValueError)
        raise invalid_cursor() from None
    fits = (
        isinstance(key, dict)
        and set(key) == names
        and all(isinstance(value, dict) and list(value) == ["S"] and value["S"] for value in key.values())
        and all(isinstance(value["S"], str) for value in key.values())
        and all(key[name]["S"] == value for name, value in fixed.items())
    )
    if not fits:
        raise invalid_cursor()
    return key
