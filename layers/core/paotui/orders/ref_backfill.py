"""Giving the orders placed before the ``by-ref`` index their reference, so that operators find them by it too.

An operator runs it once after the first deploy with the index (docs/adr/0020):

    python -m paotui.orders.ref_backfill

with AWS credentials and the stack's Orders table in ``ORDERS_TABLE`` (the local
cloud's: ``AWS_ENDPOINT_URL`` too). Every order without a ``ref`` is given one,
on condition that it still has none, and nothing else is written: an order
placed meanwhile (it has one) or a second run changes nothing, an order's
version is left alone, so its moves in flight go through, and the Orders stream
says nothing of it (EventRouter maps status changes, not other attributes).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from pynamodb.exceptions import UpdateError

from paotui.orders.records import OrderRecord
from paotui.platform.dynamo import condition_failed
from paotui.platform.ids import short_ref


def backfill() -> dict[str, int]:
    """Give each order without a reference its own: how many were ``given`` one, and how many had one by the time
    they were written (``already``: placed or given one meanwhile)."""
    tally: Counter[str] = Counter()
    for record in OrderRecord.scan(OrderRecord.ref.does_not_exist(), attributes_to_get=["id"]):
        try:
            record.update(
                actions=[OrderRecord.ref.set(short_ref(record.id))],
                condition=OrderRecord.id.exists() & OrderRecord.ref.does_not_exist(),
            )
            tally["given"] += 1
        except UpdateError as error:
            if not condition_failed(error):
                raise
            tally["already"] += 1
    return {name: tally[name] for name in ("given", "already")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paotui.orders.ref_backfill", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    print(json.dumps(backfill()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
