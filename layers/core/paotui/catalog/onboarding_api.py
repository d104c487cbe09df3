"""Routes of CatalogApi for who runs shops: a user applies (入驻申请), operators decide, register shops by hand,
list shops, and suspend or reinstate them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field, StringConstraints, model_validator

from paotui.catalog import documents, onboarding
from paotui.catalog.document_models import (
    Decision,
    DocumentUpload,
    DocumentUploadRequest,
    Documents,
    DocumentView,
    RenewalView,
)
from paotui.catalog.licences_api import licence_views, renewal_view
from paotui.catalog.merchant_api import merchant_view
from paotui.catalog.merchant_models import MerchantView, Name, Reason
from paotui.catalog.models import Location
from paotui.catalog.onboarding import ApplicationStatus
from paotui.catalog.records import MerchantApplicationRecord, MerchantRecord
from paotui.platform.auth import Principal, current_principal, require_role
from paotui.platform.http import json_response, made, optional_idempotency_key
from paotui.platform.models import LatLng, Line, Phone, Prose, RequestModel, ResponseModel

router = APIGatewayRouter()

Caller = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(require_role("admin"))]
Address = Annotated[Line, StringConstraints(min_length=1, max_length=120)]


class Shop(RequestModel):
    """A shop as it will show to customers: its name, phone, address and where it is (GCJ-02)."""

    name: Name
    phone: Phone
    address: Address
    location: LatLng


class MerchantApplication(Shop):
    note: Annotated[Prose, StringConstraints(max_length=500)] | None = None  # what it sells, its licence number
    documents: Documents | None = None  # the licences to apply with; a kind left out keeps the application's


class NewMerchant(Shop):
    owner_phone: Phone  # who signs in to run it (E.164); their account is made if new
    prep_minutes: int = Field(default=onboarding.DEFAULT_PREP_MINUTES, ge=1, le=180)


class ShopStanding(RequestModel):
    suspended: bool
    reason: Reason | None = None  # required to suspend: the shop's owner reads it

    @model_validator(mode="after")
    def _suspended_with_a_reason(self) -> ShopStanding:
        if self.suspended and not self.reason:
            raise ValueError("a reason is required to suspend a shop")
        return self


class ShopView(MerchantView):
    """A shop as operators see it: its profile, its owner, and why and since when it is suspended."""

    owner_id: str
    suspended_at: str | None = None
    suspended_by: str | None = None
    suspension_reason: str | None = None
    licences: list[DocumentView] = []  # what it was approved by, or renewed since
    licence_renewal: RenewalView | None = None  # the owner's latest renewal, pending or as decided
    created_at: str


class ShopPage(ResponseModel):
    """A page of ``GET /admin/merchants``; pass ``next_cursor`` back as ``cursor`` (null: the last)."""

    items: list[ShopView]
    next_cursor: str | None


def shop_view(merchant: MerchantRecord) -> ShopView:
    return ShopView(
        **merchant_view(merchant).model_dump(),
        owner_id=merchant.owner_id,
        suspended_at=merchant.suspended_at,
        suspended_by=merchant.suspended_by,
        suspension_reason=merchant.suspension_reason,
        licences=licence_views(merchant),
        licence_renewal=renewal_view(merchant.licence_renewal) if merchant.licence_renewal else None,
        created_at=merchant.created_at,
    )


class ApplicationView(ResponseModel):
    applicant_id: str
    applicant_phone: str
    status: ApplicationStatus
    name: str
    phone: str
    address: str
    location: Location
    note: str | None = None
    documents: list[DocumentView] = []
    reason: str | None = None
    merchant_id: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    created_at: str
    updated_at: str


class ApplicationPage(ResponseModel):
    """A page of ``GET /admin/merchant-applications``; pass ``next_cursor`` back as ``cursor`` (null: the last)."""

    items: list[ApplicationView]
    next_cursor: str | None


def _view(application: MerchantApplicationRecord) -> ApplicationView:
    return ApplicationView.model_validate(
        {**application.to_simple_dict(), "documents": documents.links(application.documents)}
    )


@router.post("/merchants/applications", responses={201: {"description": "A new application (PENDING)"}})
def apply(body: MerchantApplication, caller: Caller) -> Response[ApplicationView]:
    """Apply to open a shop, or change the pending application: 201 when it is new, 200 when it was pending."""
    shop = body.model_dump(exclude={"documents"})
    shop["documents"] = body.documents.model_dump(exclude_none=True) if body.documents else None
    application, new = onboarding.apply(caller.user_id, shop)
    return json_response(201 if new else 200, _view(application).model_dump(mode="json"))


@router.post("/merchants/applications/documents")
def upload_document(body: DocumentUploadRequest, caller: Caller) -> tuple[DocumentUpload, int]:
    """A form to upload one licence image straight to storage; apply with its ``document_id``."""
    return DocumentUpload(**documents.new_upload(caller.user_id, body.content_type)), 201


@router.get("/merchants/applications/mine")
def my_application(caller: Caller) -> ApplicationView:
    """The caller's application and how it was decided; 404 ``APPLICATION_NOT_FOUND``."""
    return _view(onboarding.application_of(caller.user_id))


@router.get("/admin/merchant-applications")
def list_applications(
    _admin: Admin,
    status: Annotated[ApplicationStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ApplicationPage:
    applications, next_cursor = onboarding.page(status, limit, cursor)
    return ApplicationPage(items=[_view(application) for application in applications], next_cursor=next_cursor)


@router.post("/admin/merchant-applications/<applicantId>/decision")
def decide(applicantId: str, body: Decision, admin: Admin) -> ApplicationView:  # noqa: N803 (API path name)
    """Approve (the shop is made, its owner given the merchant role), dated as its licences read, or decline with a
    reason. 409 ``ALREADY_DECIDED`` (decided the other way), ``APPLICATION_CHANGED`` (edited meanwhile: read it
    again), ``DOCUMENTS_MISSING``; 422 ``VALID_UNTIL_REQUIRED``, ``LICENCE_EXPIRED``."""
    decided = onboarding.decide(
        applicantId, approve=body.approve, reason=body.reason, by=admin.user_id, valid_until=body.valid_until()
    )
    return _view(decided)


@router.post("/admin/merchants", responses={201: {"description": "The shop, registered or replayed"}})
def register(
    body: NewMerchant,
    _admin: Admin,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[MerchantView]:
    """Register a shop for its owner's phone, open, with the platform's default delivery area and no menu yet."""
    shop = body.model_dump(exclude={"owner_phone"})
    merchant, created = onboarding.register(body.owner_phone, shop, key=optional_idempotency_key(idempotency_key))
    return made(merchant_view(merchant), created)


@router.get("/admin/merchants")
def list_shops(
    _admin: Admin,
    name: Annotated[Line | None, Query(max_length=60, description="a part of the shop's name")] = None,
    suspended: Annotated[bool | None, Query()] = None,
    renewal_pending: Annotated[bool | None, Query(description="only shops whose licence renewal waits")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ShopPage:
    found, next_cursor = onboarding.shops(name, suspended, renewal_pending, limit, cursor)
    return ShopPage(items=[shop_view(merchant) for merchant in found], next_cursor=next_cursor)


@router.patch("/admin/merchants/<merchantId>")
def set_standing(merchantId: str, body: ShopStanding, admin: Admin) -> ShopView:  # noqa: N803 (API path name)
    """Suspend the shop with a reason (it takes no orders of any channel; orders taken go on), or reinstate it."""
    if body.suspended:
        return shop_view(onboarding.suspend(merchantId, reason=body.reason or "", by=admin.user_id))
    return shop_view(onboarding.reinstate(merchantId, by=admin.user_id))
