"""What the operators' backfills share: a range of China days on the command line, and the orders placed on them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta

from paotui.platform.observability import logger


def orders_placed(start: date, end: date) -> Iterator:
    """Every order placed on the China days ``start`` to ``end``, a day at a time (the Orders table's ``by-day``)."""
    from paotui.orders.records import OrderRecord

    day = start
    while day <= end:
        yield from OrderRecord.by_day.query(day.isoformat())
        day += timedelta(days=1)


def run_over_days(
    prog: str, description: str, run: Callable[[date, date], Mapping[str, int]], argv: list[str] | None = None
) -> int:
    """Parse ``start end`` (YYYY-MM-DD), run, and print what ``run`` tallied as one JSON line."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("start", type=date.fromisoformat, help="first China day whose orders to take, YYYY-MM-DD")
    parser.add_argument("end", type=date.fromisoformat, help="last China day, YYYY-MM-DD")
    arguments = parser.parse_args(argv)
    if arguments.end < arguments.start:
        parser.error("the range ends before it starts")
    level = logger.log_level
    logger.setLevel("WARNING")  # a line per order would bury the result
    try:
        print(json.dumps(run(arguments.start, arguments.end)))
    finally:
        logger.setLevel(level)
    return 0
