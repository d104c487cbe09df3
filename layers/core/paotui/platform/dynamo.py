"""pynamodb plumbing: table names and endpoint come from settings, read once at import.

Every record class declares ``Meta = table_meta("orders_table")``; the local
cloud and the tests set the environment before importing domain modules.
"""

from __future__ import annotations

import os

from paotui.platform.settings import get_settings


def table_meta(settings_field: str, *, stream_view_type: str | None = None) -> type:
    settings = get_settings()
    attributes = {
        "table_name": getattr(settings, settings_field),
        "region": settings.aws_region,
        "host": os.environ.get("AWS_ENDPOINT_URL") or None,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 5,
    }
    if stream_view_type:
        attributes["stream_view_type"] = stream_view_type
    return type("Meta", (), attributes)


# --- added by the riders/dispatch engineer (small additive helper; lead, keep or fold in) ---
# pynamodb's TransactWrite needs an explicit Connection (``TransactWrite()`` raises TypeError).
# One Connection per container, pointed where the record classes point.

from functools import lru_cache  # noqa: E402

from pynamodb.connection import Connection  # noqa: E402
from pynamodb.transactions import TransactWrite  # noqa: E402


@lru_cache(maxsize=1)
def connection() -> Connection:
    settings = get_settings()
    return Connection(
        region=settings.aws_region, host=os.environ.get("AWS_ENDPOINT_URL") or None, max_retry_attempts=5
    )


def transact_write(**kwargs) -> TransactWrite:
    """``with transact_write() as transaction: ...`` — commits on exit, all or nothing."""
    return TransactWrite(connection=connection(), **kwargs)
