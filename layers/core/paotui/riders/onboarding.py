"""Who may ride: applications, riders created and approved by admins, suspensions.

A rider's lifecycle ``status``: PENDING (applied) → APPROVED ⇄ SUSPENDED; an
admin may also decline an application (PENDING → SUSPENDED). Leaving PENDING
records the application's decision on the rider, who is texted it once. Only an APPROVED
rider goes on duty (``riders.service.set_state``), and suspending takes the
rider offline in the same conditional write, so a suspended rider can't be
online for a moment, nor accept an offer (acceptance needs ``online``).

Approving grants the user the ``rider`` role through the accounts domain
(``accounts.service.ensure_user``, keyed on the phone the rider registered
with); the rider's next token carries it (``POST /auth/refresh``). Creating a
rider as an admin grants it at once, and for a phone with a pending
application approves that application the same way. Suspending leaves the
role: ``status`` is what bars a rider from work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from paotui.platform.dynamo import index_page, scan_page
from paotui.platform.errors import Conflict
from paotui.platform.observability import logger
from paotui.riders.records import RiderRecord, RiderStatus
from paotui.riders.service import approved, compare_and_set, create_rider, find_rider, off_duty, zone_map

RIDER_ROLE = "rider"
NEXT_STATUSES = {
    RiderStatus.PENDING: {RiderStatus.APPROVED, RiderStatus.SUSPENDED},
    RiderStatus.APPROVED: {RiderStatus.SUSPENDED},
    RiderStatus.SUSPENDED: {RiderStatus.APPROVED},
}


def apply(user_id: str, name: str, vehicle: str, zone: Mapping[str, Any] | None) -> tuple[RiderRecord, bool]:
    """The caller's application (PENDING), and whether this call made it; the same application again is a replay.

    409 ALREADY_A_RIDER (approved or suspended), PHONE_REQUIRED (riders are
    called by customers: bind a phone first, ``POST /auth/phone``).
    """
    from paotui.accounts.users import get_user

    existing = find_rider(user_id)
    if existing is not None:
        if existing.status == RiderStatus.PENDING:
            return existing, False
        raise Conflict("You are a rider already.", code="ALREADY_A_RIDER", details={"status": existing.status})
    user = get_user(user_id)
    if not user.phone:
        raise Conflict("Bind a phone to your account before applying.", code="PHONE_REQUIRED")
    rider = create_rider(user_id, name, user.phone, vehicle=vehicle, status=RiderStatus.PENDING, zone=zone)
    logger.info("rider application", extra={"rider_id": user_id})
    return rider, True


def create(
    phone: str, name: str, vehicle: str, capacity: int | None, zone: Mapping[str, Any] | None
) -> tuple[RiderRecord, bool]:
    """An APPROVED rider for this phone, and whether this call made it one: a new rider (its user created if new,
    granted the rider role), or the phone's pending application approved as an admin's approval does (:func:`update`,
    which grants the role), keeping what the applicant gave.

    Idempotent on the phone: any other rider who exists already (approved,
    suspended, an application declined) is returned as is (change one with
    :func:`update`).
    """
    from paotui.accounts.records import phone_key
    from paotui.accounts.service import ensure_user
    from paotui.accounts.users import find_user

    owner = find_user(phone_key(phone))
    existing = find_rider(owner.id) if owner is not None else None
    if existing is not None and existing.status == RiderStatus.PENDING:
        return update(existing.id, {"status": RiderStatus.APPROVED.value}), True
    if existing is not None:
        return existing, False
    user = ensure_user(phone, [RIDER_ROLE])
    rider = create_rider(user.id, name, phone, None, capacity, vehicle, zone=zone)
    logger.info("rider created by an admin", extra={"rider_id": user.id})
    return rider, True


def update(rider_id: str, changes: Mapping[str, Any]) -> RiderRecord:
    """Apply an admin's ``changes`` (any of status, vehicle, capacity, zone; a None zone removes it).

    404 RIDER_NOT_FOUND; 409 INVALID_RIDER_STATUS for a move the lifecycle
    doesn't have, ROLE_NOT_GRANTED when the rider's phone now leads to another
    account.
    """
    target = RiderStatus(changes["status"]) if changes.get("status") else None
    if target is RiderStatus.APPROVED:
        _grant_rider_role(find_rider(rider_id))  # first: a crash after it leaves a role without the approval

    def change(rider: RiderRecord) -> tuple[list[Action], Condition]:
        actions: list[Action] = []
        if target is not None and target != rider.status:
            if target not in NEXT_STATUSES[RiderStatus(rider.status)]:
                raise Conflict(
                    f"A {rider.status} rider can't become {target.value}.",
                    code="INVALID_RIDER_STATUS",
                    details={"status": rider.status, "to": target.value},
                )
            actions.append(RiderRecord.status.set(target.value))
            if rider.status == RiderStatus.PENDING or _declined_applicant_approved(rider, target):
                actions.append(RiderRecord.application_decision.set(target.value))
            if target is RiderStatus.SUSPENDED:
                actions += off_duty()
        if changes.get("vehicle"):
            actions.append(RiderRecord.vehicle.set(changes["vehicle"]))
        if changes.get("capacity"):
            actions.append(RiderRecord.capacity.set(int(changes["capacity"])))
        if "zone" in changes:
            zone = changes["zone"]
            actions.append(RiderRecord.zone.set(zone_map(zone)) if zone else RiderRecord.zone.remove())
        return actions, _status_unchanged(rider)

    rider = compare_and_set(rider_id, change)
    logger.info("rider changed by an admin", extra={"rider_id": rider_id, "changed": sorted(changes)})
    if target is not None and rider.status == target.value == rider.application_decision:
        _tell_applicant(rider)
    return rider


def _declined_applicant_approved(rider: RiderRecord, target: RiderStatus) -> bool:
    """An applicant declined (suspended from PENDING, never a rider) and approved after all: the application's
    decision changes, and they are texted it, where a rider's reinstatement after a suspension texts nothing."""
    return (
        rider.status == RiderStatus.SUSPENDED
        and rider.application_decision == RiderStatus.SUSPENDED
        and target is RiderStatus.APPROVED
    )


def _tell_applicant(rider: RiderRecord) -> None:
    """The applicant texted how their application went, once per decision: the decision, or the same decision sent
    again (a retry after a crash between the decision and its text); a rider's later suspension or reinstatement is
    not the application's decision and texts nothing (notify.texts)."""
    from paotui.notify.templates import rider_application_message
    from paotui.notify.texts import text_once

    approved = rider.application_decision == RiderStatus.APPROVED
    text = rider_application_message(approved=approved, locale=rider.locale)
    data = {"kind": "rider_application", "status": rider.application_decision}
    text_once(rider.id, f"rider-application:{rider.id}:{rider.application_decision}", rider.phone, text.body, data=data)


def page(status: RiderStatus | None, limit: int, cursor: str | None) -> tuple[list[RiderRecord], str | None]:
    """Riders for operators, ``status`` only if given: a page and the cursor to continue from (None: the last page).

    Applications pending and riders suspended are few among many: they come from ``by-status``, oldest first. All
    riders, or the approved ones (most of them, and those older than the lifecycle have no status), are a scan.
    """
    if status in (RiderStatus.PENDING, RiderStatus.SUSPENDED):
        return index_page(RiderRecord.by_status, status.value, limit, cursor)
    return scan_page(RiderRecord, approved() if status is RiderStatus.APPROVED else None, limit, cursor)


def _grant_rider_role(rider: RiderRecord | None) -> None:
    """The rider role for the user behind an application being approved (an approved rider has it already)."""
    from paotui.accounts.records import phone_key
    from paotui.accounts.service import ensure_user
    from paotui.accounts.users import find_user

    if rider is None or rider.status == RiderStatus.APPROVED:
        return  # 404 or nothing to grant: compare_and_set answers
    owner = find_user(phone_key(rider.phone))
    if owner is None or owner.id != rider.id:
        raise Conflict(
            "The rider's phone leads to another account now; create the rider again for it.",
            code="ROLE_NOT_GRANTED",
            details={"phone": rider.phone},
        )
    ensure_user(rider.phone, [RIDER_ROLE])


def _status_unchanged(rider: RiderRecord) -> Condition:
    return approved() if rider.status == RiderStatus.APPROVED else RiderRecord.status == rider.status
