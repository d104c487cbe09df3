"""An idle stream poller's wait: it ends when its table gets a record, when it is stopped, or after the timeout."""

from __future__ import annotations

import threading

from paotui_local.stream_appends import StreamAppends


def waiter(appends: StreamAppends, table: str, seen: int, timeout: float, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=appends.wait_past, args=(table, seen, timeout, stop), daemon=True)
    thread.start()
    return thread


def test_a_record_for_the_table_ends_the_wait():
    appends, stop = StreamAppends(), threading.Event()
    thread = waiter(appends, "orders", appends.count("orders"), 60, stop)
    appends.appended("orders")
    thread.join(10)
    assert not thread.is_alive()
    assert appends.count("orders") == 1


def test_a_record_for_another_table_does_not():
    appends, stop = StreamAppends(), threading.Event()
    thread = waiter(appends, "orders", 0, 60, stop)
    appends.appended("offers")
    thread.join(0.2)
    assert thread.is_alive()
    stop.set()
    appends.wake()
    thread.join(10)
    assert not thread.is_alive()


def test_a_record_appended_before_the_wait_began_ends_it_at_once():
    """The poller takes the count before reading its shard: a record written meanwhile must not be slept through."""
    appends = StreamAppends()
    seen = appends.count("orders")
    appends.appended("orders")
    thread = waiter(appends, "orders", seen, 60, threading.Event())
    thread.join(10)
    assert not thread.is_alive()


def test_without_records_the_wait_ends_after_its_timeout():
    thread = waiter(StreamAppends(), "orders", 0, 0.05, threading.Event())
    thread.join(10)
    assert not thread.is_alive()
