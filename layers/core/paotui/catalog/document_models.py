"""Shop licences as the API takes and shows them (catalog.documents, catalog.licences): upload grants, the ids to
attach, an operator's decision with the days they are valid until, the links, a renewal."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import StringConstraints, model_validator

from paotui.catalog.documents import DocumentKind
from paotui.catalog.licences import RenewalStatus
from paotui.catalog.merchant_models import Reason
from paotui.platform.models import RequestModel, ResponseModel
from paotui.platform.uploads import ImageType

DocumentId = Annotated[str, StringConstraints(pattern=r"^doc_[0-9A-Z]{26}$")]


class Documents(RequestModel):
    """Licences by the ids their upload grants gave; a kind left out is left as it is."""

    business_licence: DocumentId | None = None  # 营业执照
    food_permit: DocumentId | None = None  # 食品经营许可证


class DocumentUploadRequest(RequestModel):
    content_type: ImageType


class DocumentUpload(ResponseModel):
    """A presigned POST: send ``fields`` as form fields, then the file as ``file``, to ``url`` within ``expires_in``
    seconds; then attach ``document_id`` (``documents: {<kind>: document_id}``)."""

    document_id: str
    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class Decision(RequestModel):
    """An operator's decision on licences (a shop's application, a shop's renewal): approve, with the days they are
    valid until as the images read (the food permit's is required), or decline with a reason."""

    approve: bool
    reason: Reason | None = None  # required to decline: the applicant (or the shop's owner) reads it
    food_permit_valid_until: date | None = None  # 食品经营许可证 有效期至
    business_licence_valid_until: date | None = None  # 营业执照 营业期限至; none: 长期

    @model_validator(mode="after")
    def _declined_with_a_reason(self) -> Decision:
        if not self.approve and not self.reason:
            raise ValueError("a reason is required to decline")
        return self

    def valid_until(self) -> dict[str, date | None]:
        """The days by document kind (catalog.documents.dated)."""
        return {"food_permit": self.food_permit_valid_until, "business_licence": self.business_licence_valid_until}


class DocumentView(ResponseModel):
    """One licence; ``url`` reads the image for a few minutes. ``valid_until``: the last day it is valid, as an
    operator read it; null for a business licence of 长期, or when none was recorded."""

    kind: DocumentKind
    document_id: str
    content_type: str
    uploaded_at: str
    valid_until: date | None = None
    url: str


class RenewalView(ResponseModel):
    """A shop owner's renewal of its licences: PENDING until an operator approves it (its documents are then on file)
    or declines it (``reason``)."""

    status: RenewalStatus
    documents: list[DocumentView]
    submitted_at: str
    submitted_by: str
    reason: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
