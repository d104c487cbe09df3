"""Routes of CatalogApi for a shop's licences once it runs (catalog.documents): shown to anyone, as the rules ask
platforms to show them on the shop's page (公示), and renewed by the shop's owner."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import documents
from paotui.catalog.document_models import Documents, DocumentView
from paotui.catalog.lookup import get_merchant, managed_merchant
from paotui.catalog.records import MerchantRecord
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

MerchantCaller = Annotated[Principal, Depends(require_role("merchant"))]


@router.get("/merchants/<merchantId>/licences")
def shop_licences(merchantId: str) -> list[DocumentView]:  # noqa: N803 (API path name)
    """The shop's business licence and food permit, each with a link that lasts minutes."""
    return licence_views(get_merchant(merchantId))


@router.put("/merchants/<merchantId>/licences")
def renew_licences(merchantId: str, body: Documents, caller: MerchantCaller) -> list[DocumentView]:  # noqa: N803
    """Put in a renewed permit or a reissued licence, uploaded like an applicant's (``POST
    /merchants/applications/documents``); a kind left out stays. 409 ``LICENCES_CHANGED``: changed meanwhile."""
    merchant = managed_merchant(caller, merchantId)
    return licence_views(documents.renew(merchant, caller.user_id, body.model_dump(exclude_none=True)))


def licence_views(merchant: MerchantRecord) -> list[DocumentView]:
    return [DocumentView(**link) for link in documents.links(merchant.licences)]
