"""A running shop's licences renewed (证照更新): its owner sends the new images, an operator reviews them.

A shop's licences on file are what customers are shown and what says it may sell food, so they change only by an
operator's approval, as they first went on file. The owner's renewal (:func:`submit`) waits on the shop,
PENDING, with its own copies of the images (catalog.documents); the owner may add to it or replace it until it is
decided. Approving it (:func:`decide`) puts its documents on file, dated as the operator read them, in the same write
that marks it APPROVED; declining keeps what is on file and tells the owner why. Each decision is conditional on the
renewal as read, so an owner's change racing it, or two operators, can't both land.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from paotui.catalog.documents import DOCUMENT_KINDS, attaching, dated
from paotui.catalog.lookup import get_merchant
from paotui.catalog.records import LicenceRenewalMap, MerchantRecord
from paotui.platform import clock
from paotui.platform.dynamo import update_if
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from paotui.platform.observability import logger, metrics


AWAITING_LICENCES = "licences"
"""A shop's ``awaiting_review`` while its renewal is PENDING: it is in operators' ``awaiting-review`` queue."""


class RenewalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


def submit(merchant: MerchantRecord, uploader_id: str, wanted: Mapping[str, str]) -> LicenceRenewalMap:
    """The shop's renewal with ``wanted`` (kind → uploaded document id) put in, PENDING: a kind left out keeps the
    pending renewal's. 422 ``NOTHING_TO_RENEW`` (no document and none pending); 409 ``LICENCES_CHANGED`` (the
    renewal changed, or was decided, meanwhile)."""
    before = merchant.licence_renewal
    pending = before if before is not None and before.status == RenewalStatus.PENDING else None
    if not wanted:
        if pending is None:
            raise Unprocessable("Send the licences to renew.", code="NOTHING_TO_RENEW")
        return pending
    as_read = (
        MerchantRecord.licence_renewal.does_not_exist()
        if before is None
        else (MerchantRecord.licence_renewal.submitted_at == before.submitted_at)
        & (MerchantRecord.licence_renewal.status == before.status)
    )
    with attaching(uploader_id, wanted, pending.documents if pending else None) as attached:
        renewal = LicenceRenewalMap(
            status=RenewalStatus.PENDING.value,
            documents=attached,
            submitted_at=clock.now_iso(),
            submitted_by=uploader_id,
        )
        queued = [
            MerchantRecord.licence_renewal.set(renewal),
            MerchantRecord.awaiting_review.set(AWAITING_LICENCES),
            # its place in the queue is kept while the owner adds to it
            MerchantRecord.awaiting_since.set((pending and merchant.awaiting_since) or renewal.submitted_at),
        ]
        if not update_if(merchant, queued, condition=as_read):
            raise Conflict("The shop's licences changed meanwhile; read them again.", code="LICENCES_CHANGED")
    logger.info("licence renewal submitted", extra={"merchant_id": merchant.id, "kinds": sorted(wanted)})
    metrics.add_metric(name="LicenceRenewalsSubmitted", unit="Count", value=1)
    return renewal


def renewal_of(merchant: MerchantRecord) -> LicenceRenewalMap:
    """The shop's latest renewal, pending or as decided; 404 ``RENEWAL_NOT_FOUND`` when it never sent one."""
    if merchant.licence_renewal is None:
        raise NotFound("This shop has sent no renewal of its licences.", code="RENEWAL_NOT_FOUND")
    return merchant.licence_renewal


def decide(
    merchant_id: str, *, approve: bool, reason: str | None, valid_until: Mapping[str, date | None], by: str
) -> LicenceRenewalMap:
    """Approve the shop's pending renewal (its documents go on file, valid until ``valid_until`` by kind) or decline
    it with a reason. The same decision again answers the renewal as decided; the other one is 409
    ``ALREADY_DECIDED``; 409 ``RENEWAL_CHANGED`` when the owner changed it since it was read."""
    if not approve and not reason:
        raise Unprocessable("Say why the renewal is declined.", code="REASON_REQUIRED")
    merchant = get_merchant(merchant_id)
    renewal = renewal_of(merchant)
    wanted = RenewalStatus.APPROVED if approve else RenewalStatus.DECLINED
    if renewal.status != RenewalStatus.PENDING:
        return _as_decided(renewal, wanted)
    documents = dated(renewal.documents, valid_until, clock.china_day(clock.now())) if approve else renewal.documents
    decided = LicenceRenewalMap(
        status=wanted.value,
        documents=documents,
        submitted_at=renewal.submitted_at,
        submitted_by=renewal.submitted_by,
        reason=None if approve else reason,
        decided_at=clock.now_iso(),
        decided_by=by,
    )
    actions = [
        MerchantRecord.licence_renewal.set(decided),
        MerchantRecord.awaiting_review.remove(),
        MerchantRecord.awaiting_since.remove(),
    ]
    if approve:
        on_file = {licence.kind: licence for licence in merchant.licences or ()}
        on_file.update((document.kind, document) for document in documents)
        actions.append(MerchantRecord.licences.set([on_file[kind] for kind in DOCUMENT_KINDS if kind in on_file]))
    as_read = (MerchantRecord.licence_renewal.submitted_at == renewal.submitted_at) & (
        MerchantRecord.licence_renewal.status == RenewalStatus.PENDING.value
    )
    if not update_if(merchant, actions, condition=as_read):
        now = renewal_of(get_merchant(merchant_id))
        if now.status == RenewalStatus.PENDING:
            raise Conflict("The owner changed the renewal meanwhile; read it again.", code="RENEWAL_CHANGED")
        return _as_decided(now, wanted)
    logger.info("licence renewal decided", extra={"merchant_id": merchant_id, "status": wanted.value, "by": by})
    metrics.add_metric(name=f"LicenceRenewals{wanted.value.title()}", unit="Count", value=1)
    return decided


def _as_decided(renewal: LicenceRenewalMap, wanted: RenewalStatus) -> LicenceRenewalMap:
    if renewal.status == wanted:
        return renewal
    raise Conflict("The renewal was decided otherwise.", code="ALREADY_DECIDED", details={"status": renewal.status})
