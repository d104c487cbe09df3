"""Order lists for each role, newest first, one GSI query each."""

from __future__ import annotations

from typing import Any

from paotui.orders.records import OrderRecord
from paotui.platform.auth import Principal
from paotui.platform.errors import Forbidden, Unprocessable


def list_for(
    caller: Principal, role: str, *, merchant_id: str | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    if role == "customer":
        index, key = OrderRecord.by_customer, caller.user_id
    elif role == "rider":
        if not caller.has("rider"):
            raise Forbidden("This needs the rider role.")
        index, key = OrderRecord.by_rider, caller.user_id
    else:
        index, key = OrderRecord.by_merchant, _merchant_scope(caller, merchant_id)
    result = index.query(key, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    records = list(result)
    return records, result.last_evaluated_key


def _merchant_scope(caller: Principal, merchant_id: str | None) -> str:
    from paotui.catalog.service import owned_merchant_ids

    if not caller.has("merchant"):
        raise Forbidden("This needs the merchant role.")
    owned = owned_merchant_ids(caller.user_id)
    if merchant_id:
        if merchant_id not in owned and not caller.is_admin:
            raise Forbidden("That merchant is not yours.", code="NOT_YOUR_MERCHANT")
        return merchant_id
    if len(owned) != 1:
        raise Unprocessable("Say which merchant with ?merchant_id=.", code="MERCHANT_REQUIRED")
    return next(iter(owned))
