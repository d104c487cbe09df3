"""Settling the orders SettlementWorker never saw: those delivered or returned before settlement was deployed.

An operator runs it once after deploying settlement on a platform that already
has orders (docs/adr/0024), for the days before:

    python -m paotui.settlement.backfill 2026-10-01 2026-11-28

with AWS credentials and the stack's table names in ``ORDERS_TABLE``,
``PAYMENTS_TABLE``, ``MERCHANTS_TABLE``, ``MERCHANT_LEDGER_TABLE`` and
``MERCHANT_ACCOUNTS_TABLE`` (the local cloud's: ``AWS_ENDPOINT_URL`` too).
Every order placed on those China days (the Orders table's ``by-day`` index)
is settled as the worker settles it, with its merchant's refunds; what is
written already is not written again, so a second run, or a run beside the
worker, adds nothing twice.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date

from paotui.platform.backfill import orders_placed, run_over_days
from paotui.settlement import ledger


def backfill(start: date, end: date) -> dict[str, int]:
    """How many orders were read, and how many of them this run settled (a sale, or refunds added to one)."""
    tally: Counter[str] = Counter()
    for record in orders_placed(start, end):
        tally["orders"] += 1
        if record.merchant_id and record.status in ledger.SETTLING:
            tally["settled" if ledger.settle(record.id, f"backfill:{record.id}") else "already"] += 1
    return {name: tally[name] for name in ("orders", "settled", "already")}


def main(argv: list[str] | None = None) -> int:
    return run_over_days("python -m paotui.settlement.backfill", __doc__.splitlines()[0], backfill, argv)


if __name__ == "__main__":
    sys.exit(main())
