"""Shop licences as the API takes and shows them (catalog.documents): upload grants, the ids to attach, the links."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from paotui.catalog.documents import DocumentKind
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


class DocumentView(ResponseModel):
    """One licence; ``url`` reads the image for a few minutes."""

    kind: DocumentKind
    document_id: str
    content_type: str
    uploaded_at: str
    url: str
