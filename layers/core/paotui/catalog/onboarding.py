"""Who may run a shop: a user's application (入驻申请), decided by operators, shops operators register by hand, and
shops operators suspend (and reinstate).

An application is one item per user, keyed by the applicant, PENDING until an
operator approves or declines it. The applicant may change a pending one, and
apply again after a decline (which replaces it); an approved applicant has a
shop and asks operators for another. Every change is on condition of the
``updated_at`` read, so an edit racing a decision, or two decisions, can't
both land (409 ``APPLICATION_CHANGED``; deciding the same way again answers
the decision made).

Approving makes the shop, grants the user the ``merchant`` role (their next
token carries it), then marks the application APPROVED with the shop's id.
The shop's id derives from the application (its applicant and when it was
made, which an edit keeps), so a decision retried after a crash between those
steps, or after an edit raced it, makes no second shop. A shop starts with
the platform's default delivery area (:data:`DEFAULT_DELIVERY`), open, with no
menu: its owner takes it from there in the console.

A suspended shop takes no order of any channel (``pricing.allowed_to_sell``),
is left out of customers' searches and shows closed, whatever its owner's
switch says; orders already taken go on. Its owner reads the reason in the
console.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from paotui.catalog import documents
from paotui.catalog.licences import AWAITING_LICENCES
from paotui.catalog.records import MerchantApplicationRecord, MerchantRecord, ShopDocumentMap
from paotui.catalog.service import create_merchant, get_merchant
from paotui.platform import clock
from paotui.platform.dynamo import LatLngMap, condition_failed, index_page, scan_page
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics

MERCHANT_ROLE = "merchant"
DEFAULT_DELIVERY = {"radius_m": 3000, "base_fee": 500, "base_distance_m": 3000}
DEFAULT_PREP_MINUTES = 15


class ApplicationStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


def apply(user_id: str, shop: Mapping[str, Any]) -> tuple[MerchantApplicationRecord, bool]:
    """The caller's application with ``shop`` (name, phone, address, location, note), and whether it is a new one
    (not a pending one changed). 409 ``PHONE_REQUIRED`` (operators call applicants back: bind a phone first),
    ``ALREADY_A_MERCHANT`` (approved: the shop exists), ``APPLICATION_CHANGED`` (decided meanwhile)."""
    from paotui.accounts.users import get_user

    user = get_user(user_id)
    if not user.phone:
        raise Conflict("Bind a phone to your account before applying.", code="PHONE_REQUIRED")
    before = find_application(user_id)
    if before is not None and before.status == ApplicationStatus.APPROVED:
        raise Conflict(
            "Your shop is open already; ask operators for another.",
            code="ALREADY_A_MERCHANT",
            details={"merchant_id": before.merchant_id},
        )
    now = clock.now_iso()
    pending = before is not None and before.status == ApplicationStatus.PENDING
    with documents.attaching(user_id, shop.get("documents"), before.documents if before else None) as attached:
        application = MerchantApplicationRecord(
            user_id,
            applicant_phone=user.phone,
            status=ApplicationStatus.PENDING.value,
            name=shop["name"],
            phone=shop["phone"],
            address=shop["address"],
            location=LatLngMap(lat=shop["location"]["lat"], lng=shop["location"]["lng"]),
            note=shop.get("note") or None,
            documents=attached or None,
            created_at=before.created_at if pending else now,
            updated_at=now,
        )
        try:
            application.save(condition=_unchanged_since(before))
        except PutError as error:
            if not condition_failed(error):
                raise
            raise _changed() from None
    logger.info("merchant application", extra={"applicant_id": user_id, "new": not pending})
    if not pending:
        metrics.add_metric(name="MerchantApplications", unit="Count", value=1)
    return application, not pending


def find_application(applicant_id: str) -> MerchantApplicationRecord | None:
    try:
        return MerchantApplicationRecord.get(applicant_id, consistent_read=True)
    except DoesNotExist:
        return None


def application_of(applicant_id: str) -> MerchantApplicationRecord:
    application = find_application(applicant_id)
    if application is None:
        raise NotFound("No such application.", code="APPLICATION_NOT_FOUND")
    return application


def decide(
    applicant_id: str,
    *,
    approve: bool,
    reason: str | None,
    by: str,
    valid_until: Mapping[str, date | None] | None = None,
) -> MerchantApplicationRecord:
    """Approve the pending application (making the shop, its licences valid until ``valid_until`` by kind, as the
    operator read them: catalog.documents.dated) or decline it with a reason. The same decision again answers the
    application as decided; the other one is 409 ``ALREADY_DECIDED``."""
    if not approve and not reason:
        raise Unprocessable("Say why the application is declined.", code="REASON_REQUIRED")
    application = application_of(applicant_id)
    wanted = ApplicationStatus.APPROVED if approve else ApplicationStatus.DECLINED
    if application.status != ApplicationStatus.PENDING:
        return _told(_as_decided(application, wanted))
    if approve and (lacking := documents.missing(application.documents)):
        raise Conflict(
            "The application lacks the licences a shop needs; ask the applicant to upload them.",
            code="DOCUMENTS_MISSING",
            details={"missing": lacking},
        )
    today = clock.china_day(clock.now())
    licences = documents.dated(application.documents, valid_until or {}, today) if approve else []
    merchant_id = _open_shop(application, licences) if approve else None
    now = clock.now_iso()
    decided = [
        MerchantApplicationRecord.status.set(wanted.value),
        MerchantApplicationRecord.decided_by.set(by),
        MerchantApplicationRecord.decided_at.set(now),
        MerchantApplicationRecord.updated_at.set(now),
        MerchantApplicationRecord.reason.set(reason) if reason else MerchantApplicationRecord.reason.remove(),
    ]
    if merchant_id:
        decided.append(MerchantApplicationRecord.merchant_id.set(merchant_id))
        decided.append(MerchantApplicationRecord.documents.set(licences))
    try:
        application.update(actions=decided, condition=_unchanged_since(application))
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return _told(_as_decided(application_of(applicant_id), wanted))
    logger.info("merchant application decided", extra={"applicant_id": applicant_id, "status": wanted.value})
    return _told(application)


def _told(application: MerchantApplicationRecord) -> MerchantApplicationRecord:
    """The applicant texted the decision, once per decision (its time is in the key: a later application's
    decision is another): a retried decision texts only if no text went out (notify.texts)."""
    from paotui.notify.templates import shop_application_message
    from paotui.notify.texts import text_once

    approved = application.status == ApplicationStatus.APPROVED
    text = shop_application_message(shop_name=application.name, approved=approved, reason=application.reason)
    key = f"shop-application:{application.decided_at}"
    data = {"kind": "shop_application", "status": application.status}
    text_once(application.applicant_id, key, application.applicant_phone, text.body, data=data)
    return application


def register(owner_phone: str, shop: Mapping[str, Any], *, key: str | None) -> tuple[MerchantRecord, bool]:
    """A shop registered by an operator for the owner with this phone (their user made if new, granted the
    ``merchant`` role), and whether this call made it. Under an ``Idempotency-Key`` the shop's id derives from the
    key: a retry answers the shop the first try made; the key with another shop is 422
    ``IDEMPOTENCY_KEY_REUSED``."""
    from paotui.accounts.service import ensure_user

    owner = ensure_user(owner_phone, [MERCHANT_ROLE])
    merchant_id = stable_id("mer_", "registered", key) if key else None
    try:
        merchant = _create(owner.id, shop, merchant_id)
    except PutError as error:  # a retry: its first try made it
        if merchant_id is None or not condition_failed(error):
            raise
        return _same_shop(get_merchant(merchant_id), owner.id, shop), False
    metrics.add_metric(name="MerchantsRegistered", unit="Count", value=1)
    return merchant, True


def page(
    status: ApplicationStatus | None, limit: int, cursor: str | None
) -> tuple[list[MerchantApplicationRecord], str | None]:
    """Applications for operators, ``status`` only if given (from ``by-status``, oldest first: the pending ones are
    a queue, few among those decided), else all of them (a scan): a page and the cursor to go on from (None: the last
    page)."""
    if status:
        return index_page(MerchantApplicationRecord.by_status, status.value, limit, cursor)
    return scan_page(MerchantApplicationRecord, None, limit, cursor)


def suspend(merchant_id: str, *, reason: str, by: str) -> MerchantRecord:
    """Suspend the shop (again: the reason and time are updated)."""
    merchant = get_merchant(merchant_id)
    merchant.update(
        actions=[
            MerchantRecord.suspended_at.set(clock.now_iso()),
            MerchantRecord.suspended_by.set(by),
            MerchantRecord.suspension_reason.set(reason),
        ],
        condition=MerchantRecord.id.exists(),
    )
    logger.info("shop suspended", extra={"merchant_id": merchant_id, "by": by})
    metrics.add_metric(name="ShopsSuspended", unit="Count", value=1)
    return merchant


def reinstate(merchant_id: str, *, by: str) -> MerchantRecord:
    """Lift the shop's suspension (one not suspended: nothing changes); its owner's own switch is as they left it."""
    merchant = get_merchant(merchant_id)
    if merchant.suspended_at is not None:
        merchant.update(
            actions=[
                MerchantRecord.suspended_at.remove(),
                MerchantRecord.suspended_by.remove(),
                MerchantRecord.suspension_reason.remove(),
            ],
            condition=MerchantRecord.id.exists(),
        )
        logger.info("shop reinstated", extra={"merchant_id": merchant_id, "by": by})
    return merchant


def shops(
    name: str | None, suspended: bool | None, renewal_pending: bool | None, limit: int, after: str | None
) -> tuple[list[MerchantRecord], str | None]:
    """Shops for operators, those whose name contains ``name``, whose suspension is ``suspended`` and whose licence
    renewal waits (``renewal_pending``), if given: a page and the cursor to go on from (None: the last page). The
    shops awaiting review come from ``awaiting-review``, oldest first, the other filters applied to its page; other
    lists are a filtered scan, whose page may keep none while more follow."""
    if renewal_pending:
        waiting, cursor = index_page(MerchantRecord.awaiting, AWAITING_LICENCES, limit, after)
        kept = [
            merchant
            for merchant in waiting
            if (not name or name in merchant.name)
            and (suspended is None or (merchant.suspended_at is not None) == suspended)
        ]
        return kept, cursor
    conditions = []
    if renewal_pending is False:
        conditions.append(MerchantRecord.awaiting_review.does_not_exist())
    if name:
        conditions.append(MerchantRecord.name.contains(name))
    if suspended is not None:
        exists = MerchantRecord.suspended_at.exists()
        conditions.append(exists if suspended else ~exists)
    condition = None
    for one in conditions:
        condition = one if condition is None else condition & one
    return scan_page(MerchantRecord, condition, limit, after)


def _open_shop(application: MerchantApplicationRecord, licences: list[ShopDocumentMap]) -> str:
    """The approved application's shop with its ``licences`` (made once: its id derives from the application) and
    the owner's role."""
    from paotui.accounts.users import get_user, grant_roles

    merchant_id = stable_id("mer_", "application", application.applicant_id, application.created_at)
    shop = {
        "name": application.name,
        "phone": application.phone,
        "address": application.address,
        "location": {"lat": application.location.lat, "lng": application.location.lng},
    }
    try:
        _create(application.applicant_id, shop, merchant_id, licences=licences)
    except PutError as error:  # a decision retried: its first try made it, maybe before the applicant's last edit
        if not condition_failed(error):
            raise
        MerchantRecord(merchant_id).update(actions=[MerchantRecord.licences.set(licences)])
    grant_roles(get_user(application.applicant_id), [MERCHANT_ROLE])
    return merchant_id


def _create(
    owner_id: str, shop: Mapping[str, Any], merchant_id: str | None, licences: Sequence[ShopDocumentMap] | None = None
) -> MerchantRecord:
    return create_merchant(
        owner_id=owner_id,
        name=shop["name"],
        phone=shop["phone"],
        location=shop["location"],
        address=shop["address"],
        delivery=DEFAULT_DELIVERY,
        prep_minutes=int(shop.get("prep_minutes") or DEFAULT_PREP_MINUTES),
        merchant_id=merchant_id,
        licences=licences,
    )


def _same_shop(merchant: MerchantRecord, owner_id: str, shop: Mapping[str, Any]) -> MerchantRecord:
    """The shop an earlier try under the key made, if the key came with the same owner and shop."""
    if (merchant.owner_id, merchant.name, merchant.phone, merchant.address) != (
        owner_id,
        shop["name"],
        shop["phone"],
        shop["address"],
    ):
        raise Unprocessable("This Idempotency-Key was used for another shop.", code="IDEMPOTENCY_KEY_REUSED")
    return merchant


def _as_decided(application: MerchantApplicationRecord, wanted: ApplicationStatus) -> MerchantApplicationRecord:
    if application.status == wanted:
        return application
    if application.status == ApplicationStatus.PENDING:
        raise _changed()
    raise Conflict(
        "The application was decided otherwise.", code="ALREADY_DECIDED", details={"status": application.status}
    )


def _unchanged_since(read: MerchantApplicationRecord | None) -> Any:
    if read is None:
        return MerchantApplicationRecord.applicant_id.does_not_exist()
    return MerchantApplicationRecord.updated_at == read.updated_at


def _changed() -> Conflict:
    return Conflict("The application changed meanwhile; read it again.", code="APPLICATION_CHANGED")
