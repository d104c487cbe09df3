"""Every user's inbox: each push they were sent, kept ``inbox_retention_seconds``, read newest first.

A push can be missed (notifications off, no device registered, a provider
outage); the app reads the inbox to catch up. Read state is one mark per
user: everything sent at or before ``read_up_to`` is read, so marking a whole
page read is one write.

Receipts (``once#<key>`` entries, see ``paotui.notify.records``) make a
message go out once per key: a push with the caller's message id lands in the
inbox once however often it is retried, and :func:`claim_once` (or
:func:`send_once`) guards other one-off sends (a push's way out to the
devices, an offer's SMS fallback, a customer's SMS or WeChat message about an
event); a claim whose send was never confirmed lapses, so a worker killed
mid-send sends it again on redelivery rather than never.

A page may be filtered (a merchant's console reads only its alerts out of the
owner's inbox) and read against a scoped read mark (``read#<scope>``: one per
merchant, so reading one shop's alerts leaves another's unread).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from paotui.notify.channels import PushMessage
from paotui.notify.records import MESSAGE_PREFIX, InboxRecord, message_entry, read_mark_entry, receipt_entry
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed, failed_conditions, transact_write, update_if
from paotui.platform.errors import Unprocessable
from paotui.platform.ids import new_id, stable_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

_CALENDAR_START = datetime.min.replace(tzinfo=UTC)  # a zoned time before it has no UTC form to store


def record(user_id: str, message: PushMessage, *, message_id: str | None = None) -> InboxRecord | None:
    """Put ``message`` in the user's inbox; None when ``message_id`` was recorded for this user before."""
    now = clock.now()
    item_id = stable_id("msg_", user_id, message_id) if message_id else new_id("msg_")
    sent_at = clock.iso(now)
    item = InboxRecord(
        user_id,
        message_entry(sent_at, item_id),
        id=item_id,
        title=message.title,
        body=message.body,
        data=message.data,
        sent_at=sent_at,
        ttl=_expiry(now),
    )
    if message_id is None:
        item.save()
        return item
    receipt = InboxRecord(user_id, receipt_entry(f"push:{message_id}"), ttl=_expiry(now))
    try:
        with transact_write() as transaction:
            transaction.save(receipt, condition=InboxRecord.entry.does_not_exist())
            transaction.save(item)
    except TransactWriteError as error:
        if not any(failed_conditions(error)):
            raise
        logger.info("push already in the inbox", extra={"user_id": user_id, "message_id": message_id})
        return None
    return item


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxRecord]
    next_cursor: str | None
    read_up_to: str | None

    def is_read(self, item: InboxRecord) -> bool:
        return self.read_up_to is not None and item.sent_at <= self.read_up_to


def page(
    user_id: str,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    matching: Callable[[InboxRecord], bool] | None = None,
    read_scope: str | None = None,
) -> InboxPage:
    """One page of the user's messages (those ``matching``, if given), newest first; ``cursor`` is a previous
    page's ``next_cursor``. Read state is the ``read_scope``'s mark (the user's own without one).

    A filtered page reads at most ``inbox_scan_max_items`` messages: it may come back short, with a cursor
    to go on from.
    """
    settings = get_settings()
    limit = limit or settings.inbox_page_size
    budget = settings.inbox_scan_max_items if matching else limit + 1  # one more than the page: another follows?
    start = {"user_id": {"S": user_id}, "entry": {"S": _entry_of(cursor)}} if cursor else None
    found = list(
        InboxRecord.query(
            user_id,
            InboxRecord.entry.startswith(MESSAGE_PREFIX),
            scan_index_forward=False,
            limit=budget,
            page_size=min(budget, 100),
            last_evaluated_key=start,
        )
    )
    items: list[InboxRecord] = []
    last_read: str | None = None  # the entry a next page starts after
    for item in found:
        if matching is None or matching(item):
            if len(items) == limit:
                more = True
                break
            items.append(item)
        last_read = item.entry
    else:
        more = len(found) == budget  # the read stopped at the budget, not at the end of the inbox
    next_cursor = _cursor_of(last_read) if more and last_read else None
    return InboxPage(items, next_cursor, read_mark(user_id, read_scope))


def read_mark(user_id: str, scope: str | None = None) -> str | None:
    try:
        return InboxRecord.get(user_id, read_mark_entry(scope), consistent_read=True).read_up_to
    except InboxRecord.DoesNotExist:
        return None


def mark_read(user_id: str, up_to: datetime, scope: str | None = None) -> str:
    """Everything sent at or before ``up_to`` (at most now, at least the calendar's first moment in UTC, before
    which nothing was sent) is read (in ``scope``, if given); the mark never moves back. Returns it."""
    mark = clock.iso(min(max(up_to, _CALENDAR_START), clock.now()))
    moved = update_if(
        InboxRecord(user_id, read_mark_entry(scope)),
        actions=[InboxRecord.read_up_to.set(mark)],
        condition=InboxRecord.read_up_to.does_not_exist() | (InboxRecord.read_up_to < mark),
    )
    return mark if moved else read_mark(user_id, scope) or mark  # not moved: already marked further


SENDING_LEASE = timedelta(seconds=60)
"""How long a claimed send may take: longer than a worker's timeout (15 s), shorter than the queues' visibility
timeout (90 s), so the redelivery after a Lambda killed mid-send may claim it again."""


def claim_once(user_id: str, key: str) -> bool:
    """Record that what ``key`` names is being sent to the user; False if it was sent, or is being sent now.

    A claim whose send never finished (the Lambda was killed before :func:`send_once` confirmed it) lapses after
    :data:`SENDING_LEASE`: the message goes out at least once rather than not at all.
    """
    now = clock.now()
    receipt = InboxRecord(user_id, receipt_entry(key), ttl=_expiry(now), sending_until=clock.iso(now + SENDING_LEASE))
    try:
        receipt.save(condition=InboxRecord.entry.does_not_exist() | (InboxRecord.sending_until < clock.iso(now)))
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def release_once(user_id: str, key: str) -> None:
    """Undo :func:`claim_once` when the send failed, so a retry may send it."""
    InboxRecord(user_id, receipt_entry(key)).delete()


def send_once(user_id: str, key: str, send: Callable[[], None]) -> bool:
    """Call ``send`` unless it was done for ``key`` already; a ``send`` that raises may be tried again. True if sent."""
    if not claim_once(user_id, key):
        logger.info("already sent", extra={"user_id": user_id, "key": key})
        return False
    try:
        send()
    except BaseException:
        release_once(user_id, key)
        raise
    try:  # sent: failing the event now would send it again once the claim lapses
        InboxRecord(user_id, receipt_entry(key)).update(actions=[InboxRecord.sending_until.remove()])
    except UpdateError:
        logger.exception("sent, but not confirmed", extra={"user_id": user_id, "key": key})
    return True


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=get_settings().inbox_retention_seconds)


def _cursor_of(entry: str) -> str:
    return base64.urlsafe_b64encode(entry.encode()).decode().rstrip("=")


def _entry_of(cursor: str) -> str:
    try:
        entry = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # not base64 (binascii.Error), not ASCII to start with, or not UTF-8 once decoded
        entry = ""
    if not entry.startswith(MESSAGE_PREFIX):
        raise Unprocessable("That cursor is not one this inbox gave out.", code="INVALID_CURSOR")
    return entry
