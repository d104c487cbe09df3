"""Stream records appended by the embedded moto, counted per table, so an idle stream poller can sleep until one is.

The stream pollers and moto share the local cloud's process. Polling each
idle shard every 50 ms made about 36 GetRecords requests a second, a quarter
of the time moto held its DynamoDB lock in an offer-latency run, and each hop
through a stream still waited 25 ms on average for the next poll. A poller now
reads its shard, and when it found nothing waits for the shard's table to get
a record (or for a second to pass, or to be stopped).
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.models.table import StreamShard


class StreamAppends:
    """How many records each table's stream has been given, and a way to wait for the next."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._counts: dict[str, int] = {}

    def count(self, table: str) -> int:
        with self._changed:
            return self._counts.get(table, 0)

    def appended(self, table: str) -> None:
        with self._changed:
            self._counts[table] = self._counts.get(table, 0) + 1
            self._changed.notify_all()

    def wait_past(self, table: str, seen: int, timeout: float, stop: threading.Event) -> None:
        """Return once ``table`` has had a record appended since its count was ``seen``, ``stop`` is set (after
        :meth:`wake`), or ``timeout`` seconds passed."""
        with self._changed:
            self._changed.wait_for(lambda: self._counts.get(table, 0) != seen or stop.is_set(), timeout)

    def wake(self) -> None:
        """Let every waiter look at its ``stop`` again."""
        with self._changed:
            self._changed.notify_all()


APPENDS = StreamAppends()
"""This process's: moto's shards are process-wide."""


def count_appends() -> None:
    """Make moto's stream shards count each record they are given in :data:`APPENDS` (idempotent)."""
    add = StreamShard.add
    if getattr(add, "counts_appends", False):
        return

    def counted_add(self: StreamShard, old: Any, new: Any) -> None:
        add(self, old, new)
        APPENDS.appended(self.table.name)

    counted_add.counts_appends = True  # type: ignore[attr-defined]
    StreamShard.add = counted_add  # type: ignore[method-assign]
