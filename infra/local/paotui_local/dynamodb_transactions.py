"""moto's DynamoDB transactions, undone item by item in place instead of by swapping in whole-table copies.

moto 5.2 backs up every table a ``TransactWriteItems`` names with a deep copy
before it writes, and a cancelled transaction swaps the copies in. The copy
costs time in proportion to the table, not the transaction: in a local cloud
run of the offer-latency bench, transactions averaged 52 ms each, a third of
the time the embedded moto held its one DynamoDB lock. The swap also left
stream readers on the old table's shard, which nothing wrote to again.

:func:`roll_back_in_place` keeps, instead, a copy of each item the transaction
names (or that it was absent) and the length of each of its tables' stream
shards; if the transaction fails, each item is put back in the live table and
the records it appended are dropped from the live shard. moto's own backups
become the live tables themselves, so its swap changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table


@dataclass(frozen=True)
class _ItemBefore:
    """One item a transaction names, as it was before: ``item`` is a copy, or None if it did not exist."""

    table: Table
    hash_value: DynamoType
    range_value: DynamoType | None
    item: Item | None

    def restore(self) -> None:
        items = self.table.items[self.hash_value] if self.range_value is not None else self.table.items
        key = self.range_value if self.range_value is not None else self.hash_value
        if self.item is None:
            items.pop(key, None)
        else:
            items[key] = self.item


class _Undo:
    """What a transaction may change: its items as they were, and its tables' stream lengths."""

    def __init__(self, backend: DynamoDBBackend, transact_items: Iterable[Mapping[str, Any]]):
        self.items: list[_ItemBefore] = []
        self.stream_lengths: dict[str, tuple[Table, int]] = {}
        for entry in transact_items:
            for op in entry.values():
                table = backend.tables.get(op.get("TableName"))
                if table is not None:
                    self._remember(table, op.get("Key") or op.get("Item") or {})

    def _remember(self, table: Table, key: Mapping[str, Any]) -> None:
        try:
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
        except (KeyError, TypeError):
            return  # moto refuses an operation without its key before writing anything of it
        item = copy.deepcopy(table.get_item(hash_value, range_value))
        self.items.append(_ItemBefore(table, hash_value, range_value, item))
        if table.stream_shard is not None:
            self.stream_lengths.setdefault(table.name, (table, len(table.stream_shard.items)))

    def restore(self) -> None:
        for before in reversed(self.items):  # an item named twice (moto refuses that) gets its first state
            before.restore()
        for table, length in self.stream_lengths.values():
            del table.stream_shard.items[length:]


def _copy_all_but_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def roll_back_in_place() -> None:
    """Make moto's transactions undo a cancelled one item by item in the live tables (idempotent, process-wide)."""
    transact = DynamoDBBackend.transact_write_items
    if getattr(transact, "rolls_back_in_place", False):
        return
    dynamodb_models.copy = SimpleNamespace(deepcopy=_copy_all_but_tables)  # moto's whole-table backups

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        undo = _Undo(self, transact_items)
        try:
            return transact(self, transact_items)
        except BaseException:
            undo.restore()
            raise

    transact_write_items.rolls_back_in_place = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
