"""Order lists for each role, newest first: one GSI query each, narrowed by status and China-time dates.

Customers, riders and merchants read their own index (``by-customer``,
``by-rider``, ``by-merchant``, keyed on ``created_at``), so a date range is a
key condition and costs only what it returns. Operators (admins) read
``by-day``, one China-time day per partition, walking the days of the range
newest first. ``status`` is a filter: a page may come back shorter than
``limit`` with a cursor to continue, as DynamoDB filters after it reads.

Operators also look orders up the way a call to support names them: by the
customer's phone (the account it signs in to, through Identities, then
``by-customer``) or by the reference people read out (``by-ref``, keys only,
then the orders themselves), over every day unless ``from``/``to`` say.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.errors import Forbidden, Unprocessable, invalid_cursor

MAX_ADMIN_DAYS = 92


def list_for(
    caller: Principal,
    role: str,
    *,
    merchant_id: str | None,
    limit: int,
    start: dict[str, Any] | None,
    status: Status | None = None,
    since: date | None = None,
    until: date | None = None,
    phone: str | None = None,
    ref: str | None = None,
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    """A page of the caller's orders in ``role``, and where the next page starts (None: the last); for operators,
    those of the customer with ``phone`` or with the reference ``ref``."""
    if since and until and since > until:
        raise Unprocessable("from must not be after to.", code="INVALID_DATE_RANGE")
    status_filter = OrderRecord.status == status.value if status else None
    if (phone or ref) and role != "admin":
        raise Unprocessable("phone and ref are operators' lookups: ask with role=admin.", code="INVALID_FILTER")
    if role == "admin":
        if not caller.is_admin:
            raise Forbidden("This needs the admin role.")
        if phone and ref:
            raise Unprocessable("Look orders up by phone or by ref, not both.", code="INVALID_FILTER")
        if phone:
            return _of_phone(phone, limit, start, status_filter, since, until)
        if ref:
            return _of_ref(ref, limit, start, status, since, until)
        return _by_days(limit, start, status_filter, since, until)
    if role == "customer":
        index, key = OrderRecord.by_customer, caller.user_id
    elif role == "rider":
        if not caller.has("rider"):
            raise Forbidden("This needs the rider role.")
        index, key = OrderRecord.by_rider, caller.user_id
    else:
        index, key = OrderRecord.by_merchant, _merchant_scope(caller, merchant_id)
    return _on_index(index, key, limit, start, status_filter, since, until)


def _on_index(
    index: Any, key: str, limit: int, start: Any, status_filter: Any, since: date | None, until: date | None
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    """A page of one partition of an index keyed on ``created_at``, newest first."""
    result = index.query(
        key,
        range_key_condition=_created_between(OrderRecord.created_at, since, until),
        filter_condition=status_filter,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=_start_key(start, index, key),
    )
    return list(result), result.last_evaluated_key


def _of_phone(
    phone: str, limit: int, start: Any, status_filter: Any, since: date | None, until: date | None
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    """The orders of the customer who signs in with ``phone``: after a merge, of the account it leads to now. A
    phone nobody signs in with has none (a cursor for it is not one we issued)."""
    from paotui.accounts.records import phone_key
    from paotui.accounts.users import find_identity

    identity = find_identity(phone_key(phone))
    if identity is None:
        if start is not None:
            raise invalid_cursor()
        return [], None
    return _on_index(OrderRecord.by_customer, identity.user_id, limit, start, status_filter, since, until)


def _of_ref(
    ref: str, limit: int, start: Any, status: Status | None, since: date | None, until: date | None
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    """The orders with this reference, newest first: their keys from ``by-ref``, then the orders (the status
    filtered here, as the index holds keys only). There are 16.7 million references, so with a million orders about
    one lookup in 17 also finds an older order of the same reference: newest first, with their days and shops."""
    keys, last_key = _on_index(OrderRecord.by_ref, ref, limit, start, None, since, until)
    found = {order.id: order for order in OrderRecord.batch_get([key.id for key in keys])}
    wanted = [found[key.id] for key in keys if key.id in found]
    return [order for order in wanted if status is None or order.status == status.value], last_key


def _created_between(created_at: Any, since: date | None, until: date | None) -> Any:
    """``created_at`` (UTC ISO) within the China-time days ``since``..``until``, both included: up to the last
    millisecond (``clock.iso``'s precision) before the midnight after ``until``, as ``between`` includes its ends.
    The calendar's first or last day bounds nothing (no order is older or newer), and its bound can't be reckoned."""
    low = clock.iso(datetime.combine(since, time(), clock.CHINA)) if since and since > date.min else None
    end = datetime.combine(until + timedelta(days=1), time(), clock.CHINA) if until and until < date.max else None
    high = clock.iso(end - timedelta(milliseconds=1)) if end else None
    if low and high:
        return created_at.between(low, high)
    if low:
        return created_at >= low
    if high:
        return created_at <= high
    return None


def _by_days(
    limit: int, start: dict[str, Any] | None, status_filter: Any, since: date | None, until: date | None
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    """Operators' view: the ``by-day`` partitions of the range, newest first; the cursor names the day and the
    position in it where the page stopped, and the range's last day (``to``): a list asked without ``to`` ends on
    the day its first page was read, also when the next page is read after midnight."""
    until = until or (_day(start.get("to")) if isinstance(start, dict) else None) or clock.china_day(clock.now())
    since = since or until
    if (until - since).days >= MAX_ADMIN_DAYS:
        raise Unprocessable(f"Ask for at most {MAX_ADMIN_DAYS} days at a time.", code="INVALID_DATE_RANGE")
    resume_day, resume_key = _admin_resume(start, since, until)

    def cursor(day: date, key: dict[str, Any] | None) -> dict[str, Any]:
        return {"day": day.isoformat(), "key": key, "to": until.isoformat()}

    found: list[OrderRecord] = []
    for day in _days_newest_first(since, until, resume_day):
        page = OrderRecord.by_day.query(
            day.isoformat(),
            filter_condition=status_filter,
            scan_index_forward=False,
            limit=limit - len(found),
            last_evaluated_key=resume_key if day.isoformat() == resume_day else None,
        )
        found += list(page)
        if page.last_evaluated_key:
            return found, cursor(day, page.last_evaluated_key)
        if len(found) >= limit:
            earlier = day - timedelta(days=1)
            return found, (cursor(earlier, None) if earlier >= since else None)
    return found, None


def _admin_resume(start: Any, since: date, until: date) -> tuple[str | None, dict[str, Any] | None]:
    """The day and the key in it an operator's cursor resumes from; 400 unless ``_by_days`` issued it for
    this range."""
    if start is None:
        return None, None
    issued = isinstance(start, dict) and set(start) == {"day", "key", "to"} and _day(start["to"]) is not None
    resume = _day(start["day"]) if issued else None
    if resume is None or not since <= resume <= until:
        raise invalid_cursor()
    return start["day"], _start_key(start["key"], OrderRecord.by_day, start["day"])


def _day(text: Any) -> date | None:
    """``text`` as a YYYY-MM-DD day, None when it is not one."""
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _start_key(start: Any, index: Any, key: str) -> dict[str, Any] | None:
    """A page's start as DynamoDB gave it for ``index`` at ``key`` (its table, hash and range key, each a
    string); anything else is a cursor we did not issue, which DynamoDB would refuse with a 5xx."""
    if start is None:
        return None
    hash_key = index._hash_key_attribute().attr_name
    if not (isinstance(start, dict) and set(start) == {"id", "created_at", hash_key}):
        raise invalid_cursor()
    strings = all(
        isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str) for value in start.values()
    )
    if not strings or start[hash_key]["S"] != key:
        raise invalid_cursor()
    return start


def _days_newest_first(since: date, until: date, from_day: str | None) -> Iterator[date]:
    """Never reckons the day before ``since``: there is none before the calendar's first."""
    first = date.fromisoformat(from_day) if from_day else until
    for back in range((first - since).days + 1):
        yield first - timedelta(days=back)


def _merchant_scope(caller: Principal, merchant_id: str | None) -> str:
    from paotui.catalog.service import owned_merchant_ids

    if caller.is_admin and merchant_id:
        return merchant_id
    if not caller.has("merchant"):
        raise Forbidden("This needs the merchant role.")
    owned = owned_merchant_ids(caller.user_id)
    if merchant_id:
        if merchant_id not in owned:
            raise Forbidden("That merchant is not yours.", code="NOT_YOUR_MERCHANT")
        return merchant_id
    if len(owned) != 1:
        raise Unprocessable("Say which merchant with ?merchant_id=.", code="MERCHANT_REQUIRED")
    return next(iter(owned))
