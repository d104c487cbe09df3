"""Routes of CatalogApi for a shop's licences once it runs (catalog.documents, catalog.licences): shown to anyone, as
the rules ask platforms to show them on the shop's page (公示), renewed by the shop's owner, the renewal reviewed by
operators."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import documents, licences
from paotui.catalog.document_models import Decision, Documents, DocumentView, RenewalView
from paotui.catalog.lookup import get_merchant, managed_merchant
from paotui.catalog.records import LicenceRenewalMap, MerchantRecord
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

MerchantCaller = Annotated[Principal, Depends(require_role("merchant"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.get("/merchants/<merchantId>/licences")
def shop_licences(merchantId: str) -> list[DocumentView]:  # noqa: N803 (API path name)
    """The shop's business licence and food permit on file, each with a link that lasts minutes."""
    return licence_views(get_merchant(merchantId))


@router.put("/merchants/<merchantId>/licences")
def renew_licences(merchantId: str, body: Documents, caller: MerchantCaller) -> RenewalView:  # noqa: N803
    """Send a renewed permit or a reissued licence for review, uploaded like an applicant's (``POST
    /merchants/applications/documents``); a kind left out keeps the pending renewal's. What is on file changes once
    an operator approves. 409 ``LICENCES_CHANGED``: changed meanwhile; 422 ``NOTHING_TO_RENEW``."""
    merchant = managed_merchant(caller, merchantId)
    return renewal_view(licences.submit(merchant, caller.user_id, body.model_dump(exclude_none=True)))


@router.get("/merchants/<merchantId>/licences/renewal")
def licence_renewal(merchantId: str, caller: MerchantCaller) -> RenewalView:  # noqa: N803 (API path name)
    """The shop's latest renewal, pending or as decided (with the reason it was declined); 404 ``RENEWAL_NOT_FOUND``."""
    return renewal_view(licences.renewal_of(managed_merchant(caller, merchantId)))


@router.post("/admin/merchants/<merchantId>/licences/renewal/decision")
def decide_renewal(merchantId: str, body: Decision, admin: Admin) -> RenewalView:  # noqa: N803 (API path name)
    """Approve the shop's pending renewal, dated as its images read (its documents go on file), or decline it with a
    reason. 409 ``ALREADY_DECIDED``, ``RENEWAL_CHANGED`` (changed by the owner meanwhile: read it again); 422
    ``VALID_UNTIL_REQUIRED``, ``LICENCE_EXPIRED``."""
    renewal = licences.decide(
        merchantId, approve=body.approve, reason=body.reason, valid_until=body.valid_until(), by=admin.user_id
    )
    return renewal_view(renewal)


def licence_views(merchant: MerchantRecord) -> list[DocumentView]:
    return [DocumentView(**link) for link in documents.links(merchant.licences)]


def renewal_view(renewal: LicenceRenewalMap) -> RenewalView:
    return RenewalView.model_validate({**renewal.as_dict(), "documents": documents.links(renewal.documents)})
