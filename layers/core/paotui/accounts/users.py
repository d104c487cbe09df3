"""Users and the identities that lead to them.

A new identity and its user are written in one transaction, conditional on
the identity keys being new: two first logins racing for one phone create one
user, and the loser reads the winner's.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from paotui.accounts.records import IdentityRecord, UserRecord, phone_key, unionid_key, wechat_key
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed, failed_conditions, transact_write, update_if
from paotui.platform.errors import Conflict, NotFound, Unauthorized
from paotui.platform.ids import new_id
from paotui.platform.observability import logger

CUSTOMER = "customer"


def get_user(user_id: str) -> UserRecord:
    try:
        return UserRecord.get(user_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such user.", code="USER_NOT_FOUND") from None


def account_merged() -> Unauthorized:
    """The refusal for anything done as an account that was merged into another (accounts.merging)."""
    return Unauthorized("This account was merged into another; sign in again.", code="ACCOUNT_MERGED")


def find_identity(key: str) -> IdentityRecord | None:
    try:
        return IdentityRecord.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def find_user(identity_key: str) -> UserRecord | None:
    identity = find_identity(identity_key)
    return get_user(identity.user_id) if identity else None


def user_for_identity(
    identity_key: str,
    *,
    linked: Iterable[str] = (),
    phone: str | None = None,
    roles: Iterable[str] = (CUSTOMER,),
    name: str | None = None,
) -> UserRecord:
    """The user this identity leads to, created with ``roles`` (and the ``linked`` identities) if it is new."""
    existing = find_user(identity_key)
    if existing:
        return existing
    keys = [identity_key, *linked]
    now = clock.now_iso()
    user = UserRecord(new_id("usr_"), phone=phone, roles=list(dict.fromkeys(roles)), name=name, created_at=now)
    try:
        with transact_write() as transaction:
            for key in keys:
                transaction.save(
                    IdentityRecord(key, user_id=user.id, created_at=now), IdentityRecord.key.does_not_exist()
                )
            transaction.save(user, condition=UserRecord.id.does_not_exist())
    except TransactWriteError as error:
        if not any(failed_conditions(error)):
            raise
        winner = next((found for key in keys if (found := find_user(key))), None)
        if winner is None:
            raise
        return winner
    logger.info("user created", extra={"user_id": user.id, "roles": user.roles})
    return user


def grant_roles(user: UserRecord, roles: Iterable[str]) -> UserRecord:
    """Give ``user`` each of ``roles`` it lacks; returns it as stored now.

    Each role is appended on condition it is still absent, never written as
    a whole list read earlier, so a role another writer gave meanwhile (a
    rider approval, a phone order, a merge) stays.
    """
    for role in roles:
        if role in user.roles:
            continue
        if not update_if(
            user,
            actions=[UserRecord.roles.set(UserRecord.roles.append([role]))],
            condition=~UserRecord.roles.contains(role),
        ):
            user.refresh(consistent_read=True)  # given meanwhile
    return user


def link_identity(key: str, user_id: str) -> bool:
    """Point a new identity at ``user_id``; False when the key already leads somewhere."""
    try:
        IdentityRecord(key, user_id=user_id, created_at=clock.now_iso()).save(IdentityRecord.key.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def wechat_openid(user_id: str) -> str | None:
    """The user's openid in our mini-program, if they ever signed in with WeChat (what WeChat messages go to)."""
    prefix = wechat_key("")
    for identity in IdentityRecord.by_user.query(user_id, filter_condition=IdentityRecord.key.startswith(prefix)):
        return identity.key.removeprefix(prefix)
    return None


def user_for_wechat(openid: str, unionid: str | None) -> UserRecord:
    """The user of a WeChat login; the unionid makes every app of one open platform account one user.

    The openid (this app's id for the person) decides first, then the unionid
    (the same in all the platform's apps); the other is linked to that user
    when new. A unionid already linked to another user is left there: both
    users predate the link, and merging them is not a login's decision.
    """
    keys = [wechat_key(openid), *([unionid_key(unionid)] if unionid else [])]
    identities = {key: find_identity(key) for key in keys}
    owners = [identity.user_id for identity in identities.values() if identity]
    if not owners:
        return user_for_identity(keys[0], linked=keys[1:])
    user = get_user(owners[0])
    for key, identity in identities.items():
        if identity is None:
            link_identity(key, user.id)
        elif identity.user_id != user.id:
            logger.warning(
                "wechat identity held by another user", extra={"user_id": user.id, "other": identity.user_id}
            )
    return user


def link_phone(user: UserRecord, phone: str) -> bool:
    """Give a phone-less user this unclaimed phone; False when someone claimed the phone first."""
    try:
        with transact_write() as transaction:  # in the order pynamodb sends them (see failed_conditions)
            transaction.save(
                IdentityRecord(phone_key(phone), user_id=user.id, created_at=clock.now_iso()),
                condition=IdentityRecord.key.does_not_exist(),
            )
            transaction.update(
                user,
                actions=[UserRecord.phone.set(phone)],
                condition=UserRecord.phone.does_not_exist() & UserRecord.merged_into.does_not_exist(),
            )
    except TransactWriteError as error:
        failed = failed_conditions(error)
        if not any(failed):
            raise
        if failed[1]:  # the user changed under us: merged away, or given a phone by a concurrent call
            if get_user(user.id).merged_into:
                raise account_merged() from None
            raise Conflict("The account changed meanwhile; try again.", code="CONCURRENT_UPDATE") from None
        return False  # the phone's identity was claimed first
    logger.info("phone linked", extra={"user_id": user.id})
    return True
