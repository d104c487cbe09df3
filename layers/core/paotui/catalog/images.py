"""Product images: the browser uploads straight to S3; we check what arrived before a product shows it.

1. ``POST /merchants/{id}/images {content_type}`` gives a presigned POST for
   ``uploads/<merchant>/<image id>``, with the content type and the size range
   as policy conditions. The bytes never pass through Lambda (6 MB payloads,
   and we would pay for the seconds).
2. The console POSTs the file to S3.
3. ``PUT /merchants/{id}/products/{pid}/images {images, version}`` sets the
   product's images in order. A policy only checks what the browser declared,
   so each new upload is checked again: it must exist under this merchant's
   prefix, be at most ``image_max_bytes``, and start with a JPEG, PNG or WebP
   signature. Then it is copied to ``images/<merchant>/<image id>.<ext>``, the
   only prefix the CDN may read, with a long immutable cache lifetime (keys
   never change content). All new uploads are checked before any is copied,
   and the uploads are deleted only after the product is written (a refused
   write deletes the copies instead), so a 422 or 409 leaves them attachable.
   Uploads nobody attaches expire through the bucket's lifecycle rule on
   ``uploads/``; images a product drops are deleted after the product is written.

The signing, the checks and the copy are ``paotui.platform.uploads``, shared with proof photos and shop licences.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any


from paotui.catalog import merchants
from paotui.catalog.records import ProductRecord
from paotui.platform import uploads
from paotui.platform.errors import Unprocessable
from paotui.platform.ids import new_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings
from paotui.platform.dynamo import update_if

MAX_IMAGES_PER_PRODUCT = 9
_CACHE_CONTROL = "public, max-age=31536000, immutable"


def image_id_of(key: str) -> str:
    return PurePosixPath(key).stem


def new_upload(merchant_id: str, content_type: str) -> dict[str, Any]:
    """A presigned POST for one image of ``content_type``; the form fields go before the file."""
    settings = get_settings()
    image_id = new_id("img_")
    post = uploads.presigned_post(
        settings.images_bucket,
        _upload_key(merchant_id, image_id),
        content_type,
        max_bytes=settings.image_max_bytes,
        expires_in=settings.image_upload_ttl_seconds,
    )
    logger.info("image upload granted", extra={"merchant_id": merchant_id, "image_id": image_id})
    return {"image_id": image_id, **post}


def set_images(product: ProductRecord, image_ids: list[str], version: int) -> ProductRecord:
    """The product shows exactly ``image_ids``, in order: new uploads checked and published, dropped ones deleted.

    Every new upload is checked before any is copied, and an upload is deleted only once the product shows its
    copy: a refused request (422, 409) leaves the good uploads attachable on retry and no orphan under images/.
    """
    if len(set(image_ids)) != len(image_ids):
        raise Unprocessable("List each image once.", code="DUPLICATE_IMAGE")
    if int(product.version) != version:
        raise merchants.version_conflict(product)
    current = {image_id_of(key): key for key in product.images}
    content_types = {
        image_id: _checked(product.merchant_id, image_id) for image_id in image_ids if image_id not in current
    }
    published: dict[str, str] = {}
    try:
        for image_id, content_type in content_types.items():
            published[image_id] = _publish(product.merchant_id, image_id, content_type)
        _write(product, [current.get(image_id) or published[image_id] for image_id in image_ids], version)
    except Exception:
        _delete_quietly(list(published.values()))
        raise
    uploaded = [_upload_key(product.merchant_id, image_id) for image_id in published]
    _delete_quietly(uploaded + [key for image_id, key in current.items() if image_id not in image_ids])
    return product


def _write(product: ProductRecord, keys: list[str], version: int) -> None:
    """Set the product's image keys if ``version`` is still its version; 409 otherwise."""
    if not update_if(
        product,
        actions=[ProductRecord.images.set(keys), ProductRecord.version.add(1)],
        condition=ProductRecord.version == version,
    ):
        product.refresh(consistent_read=True)
        raise merchants.version_conflict(product)


def _checked(merchant_id: str, image_id: str) -> str:
    """The content type of the upload of ``image_id``, or 422 saying why it can't be shown (a bad upload is deleted)."""
    settings = get_settings()
    return uploads.checked(
        settings.images_bucket,
        _upload_key(merchant_id, image_id),
        max_bytes=settings.image_max_bytes,
        noun="image",
        code="IMAGE",
        details={"image_id": image_id},
    )


def _publish(merchant_id: str, image_id: str, content_type: str) -> str:
    """Copy the checked upload of ``image_id`` to where the CDN serves it; its key there. The upload stays."""
    key = f"images/{merchant_id}/{image_id}.{uploads.IMAGE_TYPES[content_type]}"
    source = _upload_key(merchant_id, image_id)
    return uploads.copy(get_settings().images_bucket, source, key, content_type, CacheControl=_CACHE_CONTROL)


def _upload_key(merchant_id: str, image_id: str) -> str:
    return f"uploads/{merchant_id}/{image_id}"


def _delete_quietly(keys: list[str]) -> None:
    uploads.delete_quietly(get_settings().images_bucket, keys)
