"""Users and the identities that lead to them.

A new identity and its user are written in one transaction, conditional on
the identity key being new: two first logins racing for one phone create one
user, and the loser reads the winner's.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.accounts.records import IdentityRecord, UserRecord
from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.ids import new_id
from paotui.platform.observability import logger

CUSTOMER = "customer"


def find_user(identity_key: str) -> UserRecord | None:
    try:
        identity = IdentityRecord.get(identity_key, consistent_read=True)
    except DoesNotExist:
        return None
    return UserRecord.get(identity.user_id, consistent_read=True)


def user_for_identity(
    identity_key: str, *, phone: str | None = None, roles: Iterable[str] = (CUSTOMER,), name: str | None = None
) -> UserRecord:
    """The user this identity leads to, created with ``roles`` if the identity is new."""
    existing = find_user(identity_key)
    if existing:
        return existing
    now = clock.now_iso()
    user = UserRecord(new_id("usr_"), phone=phone, roles=list(dict.fromkeys(roles)), name=name, created_at=now)
    identity = IdentityRecord(identity_key, user_id=user.id, created_at=now)
    try:
        with transact_write() as transaction:
            transaction.save(identity, condition=IdentityRecord.key.does_not_exist())
            transaction.save(user, condition=UserRecord.id.does_not_exist())
    except TransactWriteError as error:
        if not _lost_race(error):
            raise
        winner = find_user(identity_key)
        if winner is None:
            raise
        return winner
    logger.info("user created", extra={"user_id": user.id, "roles": user.roles})
    return user


def _lost_race(error: TransactWriteError) -> bool:
    return any(reason and reason.code == "ConditionalCheckFailed" for reason in error.cancellation_reasons)
