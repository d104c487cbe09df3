"""Sessions: the refresh token family behind each sign-in, its rotation and its revocation.

Access tokens name their session (``sid``); the authorizer refuses them once
the session is revoked (logout, a reused refresh token, the account merged
away). Starting a session and rotating its token are transactions that also
check the user was not merged away, so no session outlives a merge's
revocation by being created during it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.accounts import refresh
from paotui.accounts.records import HEAD, SessionRecord, UserRecord, refresh_entry
from paotui.accounts.users import account_merged
from paotui.platform import clock
from paotui.platform.dynamo import failed_conditions, transact_write, update_if
from paotui.platform.ids import new_id
from paotui.platform.observability import logger


@dataclass(frozen=True)
class Issued:
    """A session's current refresh token, as handed to the client."""

    session_id: str
    user_id: str
    refresh_token: str


def start(user_id: str, *, now: int, ttl_seconds: int) -> Issued:
    """A new session for ``user_id`` with its first refresh token."""
    session_id = new_id("ses_")
    token = refresh.new_token(session_id)
    expires_at = now + ttl_seconds
    head = SessionRecord(
        session_id, HEAD, user_id=user_id, created_at=_iso(now), expires_at=expires_at, ttl=_moment(expires_at)
    )
    try:
        with transact_write() as transaction:
            transaction.condition_check(UserRecord, user_id, condition=_signed_in_user())
            transaction.save(head, condition=SessionRecord.id.does_not_exist())
            transaction.save(_entry(session_id, token, expires_at))
    except TransactWriteError as error:
        if any(failed_conditions(error)):
            raise account_merged() from None
        raise
    return Issued(session_id, user_id, token)


def rotate(token: str, *, now: int, ttl_seconds: int) -> Issued:
    """Exchange a refresh token for the next one of its family; a second use revokes the family."""
    session_id = refresh.session_of(token)
    head, entry = _find(session_id, HEAD), _find(session_id, refresh_entry(refresh.digest(token)))
    if head is None or entry is None:
        raise refresh.invalid()
    refusal = refresh.refusal(
        revoked=bool(head.revoked_at), rotated=bool(entry.rotated_at), expires_at=int(entry.expires_at), now=now
    )
    if refusal:
        if refresh.revokes_family(refusal):
            revoke(session_id, reason="refresh_token_reused")
        raise refusal
    following = refresh.new_token(session_id)
    expires_at = now + ttl_seconds
    try:
        with transact_write() as transaction:  # in the order pynamodb sends them (see failed_conditions)
            transaction.condition_check(UserRecord, head.user_id, condition=_signed_in_user())
            transaction.save(_entry(session_id, following, expires_at))
            transaction.update(
                entry,
                actions=[SessionRecord.rotated_at.set(_iso(now))],
                condition=SessionRecord.rotated_at.does_not_exist(),
            )
            transaction.update(
                head,
                actions=[SessionRecord.expires_at.set(expires_at), SessionRecord.ttl.set(_moment(expires_at))],
                condition=SessionRecord.revoked_at.does_not_exist(),
            )
    except TransactWriteError as error:
        failed = failed_conditions(error)
        if not any(failed):
            raise
        _, _, used_meanwhile, revoked_meanwhile = failed
        if used_meanwhile:  # the same token exchanged twice at once: one of the two callers is not the user
            revoke(session_id, reason="refresh_token_reused")
            raise refresh.reused() from None
        raise (refresh.revoked_session() if revoked_meanwhile else account_merged()) from None
    return Issued(session_id, head.user_id, following)


def revoke(session_id: str, *, reason: str) -> None:
    """End a session: its refresh tokens and its access tokens stop working (the first reason is kept)."""
    head = SessionRecord(session_id, HEAD)
    if not update_if(
        head,
        actions=[SessionRecord.revoked_at.set(clock.now_iso()), SessionRecord.revoked_reason.set(reason)],
        condition=SessionRecord.id.exists() & SessionRecord.revoked_at.does_not_exist(),
    ):
        return
    logger.info("session revoked", extra={"session_id": session_id, "reason": reason})


def revoke_all(user_id: str, *, reason: str) -> None:
    for head in SessionRecord.by_user.query(user_id):
        if not head.revoked_at:
            revoke(head.id, reason=reason)


def is_live(session_id: str, user_id: str) -> bool:
    """Whether an access token of this session and user may still be used: one consistent read."""
    head = _find(session_id, HEAD, attributes=["user_id", "revoked_at"])
    return head is not None and head.user_id == user_id and not head.revoked_at


def _find(session_id: str, entry: str, attributes: list[str] | None = None) -> SessionRecord | None:
    try:
        return SessionRecord.get(session_id, entry, consistent_read=True, attributes_to_get=attributes)
    except DoesNotExist:
        return None


def _entry(session_id: str, token: str, expires_at: int) -> SessionRecord:
    return SessionRecord(
        session_id, refresh_entry(refresh.digest(token)), expires_at=expires_at, ttl=_moment(expires_at)
    )


def _signed_in_user():
    return UserRecord.id.exists() & UserRecord.merged_into.does_not_exist()


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _iso(epoch: int) -> str:
    return clock.iso(_moment(epoch))
