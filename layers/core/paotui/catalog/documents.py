"""A shop's licences (证照): the business licence (营业执照) and the food business permit (食品经营许可证).

A platform must see both before a shop sells food through it (网络餐饮服务食品安全监督管理办法, art. 8), so
an application is approved only with both (catalog.onboarding), and the shop keeps them, shown to anyone and renewed
by its owner (catalog.licences). The operator who approves them records how long each is valid (:func:`dated`): a
shop whose food permit lapses sells nothing until a renewal is approved. As with product images, the bytes never pass
through Lambda:

1. :func:`new_upload` signs a POST into the private documents bucket at ``uploads/<uploader>/<document id>``;
   the uploader's browser sends the file there.
2. Applying (or renewing) with the document's id (:func:`attaching`) checks what arrived (an image within
   ``document_max_bytes``) and copies it under ``documents/<uploader>/``, where it is kept; the upload is deleted
   once the record is written, or expires after a day if it never is. The key carries the uploader, so no one can
   attach another user's upload.
3. Viewers get short-lived links (:func:`links`).

A document replaced by another stays in the bucket: what was submitted, and what an operator approved a shop by,
is on record. The bucket is versioned, so not even a delete loses one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Literal, get_args

from paotui.catalog.records import ShopDocumentMap
from paotui.platform import clock, uploads
from paotui.platform.errors import Unprocessable
from paotui.platform.ids import new_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

DocumentKind = Literal["business_licence", "food_permit"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = get_args(DocumentKind)
"""What an application needs, in the order they are listed."""


def new_upload(uploader_id: str, content_type: str) -> dict[str, object]:
    """A presigned POST for one document image of ``content_type``; the form fields go before the file."""
    settings = get_settings()
    document_id = new_id("doc_")
    post = uploads.presigned_post(
        settings.shop_documents_bucket,
        _upload_key(uploader_id, document_id),
        content_type,
        max_bytes=settings.document_max_bytes,
        expires_in=settings.document_upload_ttl_seconds,
    )
    logger.info("document upload granted", extra={"uploader_id": uploader_id, "document_id": document_id})
    return {"document_id": document_id, **post}


@contextmanager
def attaching(
    uploader_id: str, wanted: Mapping[str, str] | None, current: Sequence[ShopDocumentMap] | None
) -> Iterator[list[ShopDocumentMap]]:
    """The documents a record holds when ``uploader_id`` asks for ``wanted`` (kind → document id), for the block to
    write: a kind left out keeps ``current``'s, an id it has already is kept as it is, a new one is checked and
    copied. Every new upload is checked before any is copied, so a refused request (422) copies nothing. If the block
    raises (its write failed), the copies go and the uploads stay for the retry; once it is through, the uploads go.
    """
    kept = {document.kind: document for document in current or ()}
    new = {
        kind: document_id
        for kind, document_id in (wanted or {}).items()
        if kind not in kept or kept[kind].id != document_id
    }
    types = {kind: _checked(uploader_id, kind, document_id) for kind, document_id in new.items()}
    copies: list[str] = []
    now = clock.now_iso()
    try:
        for kind, document_id in new.items():
            key = _copy(uploader_id, document_id, types[kind])
            copies.append(key)
            kept[kind] = ShopDocumentMap(kind=kind, id=document_id, key=key, content_type=types[kind], uploaded_at=now)
        yield [kept[kind] for kind in DOCUMENT_KINDS if kind in kept]
    except BaseException:
        _delete_quietly(copies)
        raise
    _delete_quietly([_upload_key(uploader_id, document_id) for document_id in new.values()])


def dated(
    documents: Sequence[ShopDocumentMap], valid_until: Mapping[str, date | None], today: date
) -> list[ShopDocumentMap]:
    """``documents`` with the days they are valid until, as the operator approving them read them off the images: a
    food permit always has one (422 ``VALID_UNTIL_REQUIRED``), a business licence may be 长期 (None). 422
    ``LICENCE_EXPIRED``: a day before ``today``; a lapsed licence can't be approved."""
    kept = []
    for document in documents:
        until = valid_until.get(document.kind)
        if until is None and document.kind == "food_permit":
            raise Unprocessable(
                "Say the day the food permit is valid until, as it reads.",
                code="VALID_UNTIL_REQUIRED",
                details={"kind": document.kind},
            )
        if until is not None and until < today:
            raise Unprocessable(
                "This licence has lapsed; ask for a valid one.",
                code="LICENCE_EXPIRED",
                details={"kind": document.kind, "valid_until": until.isoformat()},
            )
        kept.append(ShopDocumentMap(**{**document.attribute_values, "valid_until": until and until.isoformat()}))
    return kept


def missing(documents: Sequence[ShopDocumentMap] | None) -> list[str]:
    """The kinds an application still lacks, in :data:`DOCUMENT_KINDS` order."""
    have = {document.kind for document in documents or ()}
    return [kind for kind in DOCUMENT_KINDS if kind not in have]


def links(documents: Sequence[ShopDocumentMap] | None) -> list[dict[str, str | None]]:
    """Each document as its viewers get it: with a link that reads it for ``document_url_ttl_seconds``."""
    settings = get_settings()
    return [
        {
            "kind": document.kind,
            "document_id": document.id,
            "content_type": document.content_type,
            "uploaded_at": document.uploaded_at,
            "valid_until": document.valid_until,
            "url": uploads.presigned_get(
                settings.shop_documents_bucket, document.key, expires_in=settings.document_url_ttl_seconds
            ),
        }
        for document in documents or ()
    ]


def _checked(uploader_id: str, kind: str, document_id: str) -> str:
    """The image type of the upload, or 422 saying why it can't be attached (a bad upload is deleted)."""
    settings = get_settings()
    return uploads.checked(
        settings.shop_documents_bucket,
        _upload_key(uploader_id, document_id),
        max_bytes=settings.document_max_bytes,
        noun="document",
        code="DOCUMENT",
        details={"kind": kind, "document_id": document_id},
    )


def _copy(uploader_id: str, document_id: str, content_type: str) -> str:
    """Copy the checked upload to where documents are kept; its key there. The upload stays. Each copy has a key of
    its own, so a request that fails deletes only its own copy, never the one a request racing it wrote."""
    key = f"documents/{uploader_id}/{document_id}-{new_id()}.{uploads.IMAGE_TYPES[content_type]}"
    source = _upload_key(uploader_id, document_id)
    return uploads.copy(get_settings().shop_documents_bucket, source, key, content_type)


def _upload_key(uploader_id: str, document_id: str) -> str:
    return f"uploads/{uploader_id}/{document_id}"


def _delete_quietly(keys: list[str]) -> None:
    uploads.delete_quietly(get_settings().shop_documents_bucket, keys)
