"""Merging two accounts of one person, when a WeChat-only customer binds a phone that already has an account.

Rule: the phone's account survives and the caller's is absorbed. Merchants,
riders and admins are phone accounts whose ids other tables hold (a
merchant's owner, a rider's id), so the phone account's id is the one that
must stay; the absorbed account has no phone, so it is a customer whose id
only its identities, orders, coupons, addresses and sessions hold, and all
of those move or end.

Each step is idempotent, so running them all again finishes a merge that a
crash cut short:

1. mark: the absorbed user gets ``merged_into`` and the survivor lists it in
   ``merging_from``, in one transaction;
2. the absorbed user's identities point to the survivor;
3. its orders become the survivor's (orders service; ``by-customer``);
4. its coupons move, used ones with the orders that hold them;
5. its addresses move;
6. its sessions are revoked, so its tokens stop working; late on purpose,
   so until then the caller's own retry passes the authorizer;
7. the survivor gets the union of the roles and drops the mark.

Whatever lands on a marked account (the caller's retry, a sign-in, a phone
login as the survivor) finishes the merge first: ``settled``.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from paotui.accounts import addresses, sessions
from paotui.accounts.records import IdentityRecord, UserRecord
from paotui.accounts.users import get_user, grant_roles
from paotui.coupons import service as coupons
from paotui.orders.service import reassign_customer
from paotui.platform.dynamo import failed_conditions, transact_write, update_if
from paotui.platform.errors import Conflict
from paotui.platform.observability import logger


def merge(absorbed: UserRecord, survivor: UserRecord) -> UserRecord:
    """Fold the phone-less ``absorbed`` into ``survivor``, the phone's account; returns the survivor."""
    _mark(absorbed, survivor)
    return _finish(absorbed, survivor)


def settled(user: UserRecord) -> UserRecord:
    """The account to act as for ``user``, once any merge it is part of is finished."""
    if user.merged_into:
        return _finish(user, get_user(user.merged_into))
    for absorbed_id in sorted(user.merging_from or ()):
        user = _finish(get_user(absorbed_id), user)
    return user


def _mark(absorbed: UserRecord, survivor: UserRecord) -> None:
    try:
        with transact_write() as transaction:
            transaction.update(
                absorbed,
                actions=[UserRecord.merged_into.set(survivor.id)],
                condition=UserRecord.merged_into.does_not_exist() & UserRecord.phone.does_not_exist(),
            )
            transaction.update(
                survivor,
                actions=[UserRecord.merging_from.add({absorbed.id})],
                condition=UserRecord.merged_into.does_not_exist() & UserRecord.phone.exists(),
            )
    except TransactWriteError as error:
        if not any(failed_conditions(error)):
            raise
        if get_user(absorbed.id).merged_into != survivor.id:  # not merely a concurrent run of this same merge
            raise Conflict(
                "The account changed while binding the phone; try again.", code="CONCURRENT_UPDATE"
            ) from None
    logger.info("merge started", extra={"absorbed": absorbed.id, "survivor": survivor.id})


def _finish(absorbed: UserRecord, survivor: UserRecord) -> UserRecord:
    for identity in IdentityRecord.by_user.query(absorbed.id):
        _repoint(identity, absorbed.id, survivor.id)
    orders = reassign_customer(absorbed.id, survivor.id)
    moved_coupons = coupons.move_all(absorbed.id, survivor.id)
    moved_addresses = addresses.move_all(absorbed, survivor)
    sessions.revoke_all(absorbed.id, reason="merged")
    grant_roles(survivor, absorbed.roles)
    survivor.update(actions=[UserRecord.merging_from.delete({absorbed.id})])
    logger.info(
        "merge finished",
        extra={
            "absorbed": absorbed.id,
            "survivor": survivor.id,
            "orders": orders,
            "coupons": moved_coupons,
            "addresses": moved_addresses,
        },
    )
    return survivor


def _repoint(identity: IdentityRecord, absorbed_id: str, survivor_id: str) -> None:
    update_if(
        identity, actions=[IdentityRecord.user_id.set(survivor_id)], condition=IdentityRecord.user_id == absorbed_id
    )
