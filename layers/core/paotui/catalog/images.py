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
   never change content). Uploads nobody attaches expire through the bucket's
   lifecycle rule on ``uploads/``; images a product drops are deleted after
   the product is written.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from paotui.catalog import merchants
from paotui.catalog.records import ProductRecord
from paotui.platform import aws
from paotui.platform.errors import Unprocessable
from paotui.platform.ids import new_id
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

MAX_IMAGES_PER_PRODUCT = 9
CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_CACHE_CONTROL = "public, max-age=31536000, immutable"


def image_id_of(key: str) -> str:
    return PurePosixPath(key).stem


def new_upload(merchant_id: str, content_type: str) -> dict[str, Any]:
    """A presigned POST for one image of ``content_type``; the form fields go before the file."""
    settings = get_settings()
    image_id = new_id("img_")
    post = _presigner().generate_presigned_post(
        Bucket=settings.images_bucket,
        Key=_upload_key(merchant_id, image_id),
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, settings.image_max_bytes]],
        ExpiresIn=settings.image_upload_ttl_seconds,
    )
    logger.info("image upload granted", extra={"merchant_id": merchant_id, "image_id": image_id})
    return {
        "image_id": image_id,
        "url": post["url"],
        "fields": post["fields"],
        "expires_in": settings.image_upload_ttl_seconds,
        "max_bytes": settings.image_max_bytes,
    }


def set_images(product: ProductRecord, image_ids: list[str], version: int) -> ProductRecord:
    """The product shows exactly ``image_ids``, in order: new uploads checked and published, dropped ones deleted."""
    if len(set(image_ids)) != len(image_ids):
        raise Unprocessable("List each image once.", code="DUPLICATE_IMAGE")
    if int(product.version) != version:
        raise merchants.version_conflict(product)
    current = {image_id_of(key): key for key in product.images}
    keys = [current.get(image_id) or _publish(product.merchant_id, image_id) for image_id in image_ids]
    try:
        product.update(
            actions=[ProductRecord.images.set(keys), ProductRecord.version.add(1)],
            condition=ProductRecord.version == version,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        product.refresh(consistent_read=True)
        raise merchants.version_conflict(product) from None
    _delete_quietly([key for image_id, key in current.items() if image_id not in image_ids])
    return product


def _publish(merchant_id: str, image_id: str) -> str:
    """Check the upload of ``image_id`` and copy it to where the CDN serves it; its key there."""
    settings, s3 = get_settings(), aws.client("s3")
    source = _upload_key(merchant_id, image_id)
    try:
        head = s3.head_object(Bucket=settings.images_bucket, Key=source)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
            raise
        raise Unprocessable(
            "No upload with that image id; upload the file first.",
            code="IMAGE_NOT_UPLOADED",
            details={"image_id": image_id},
        ) from None
    if head["ContentLength"] > settings.image_max_bytes:
        _delete_quietly([source])
        raise Unprocessable(
            f"An image may have at most {settings.image_max_bytes} bytes.",
            code="IMAGE_TOO_LARGE",
            details={"image_id": image_id, "bytes": head["ContentLength"]},
        )
    start = s3.get_object(Bucket=settings.images_bucket, Key=source, Range="bytes=0-15")["Body"].read()
    content_type = sniff(start)
    if content_type is None:
        _delete_quietly([source])
        raise Unprocessable(
            "The upload is not a JPEG, PNG or WebP image.", code="INVALID_IMAGE", details={"image_id": image_id}
        )
    key = f"images/{merchant_id}/{image_id}.{CONTENT_TYPES[content_type]}"
    s3.copy_object(
        Bucket=settings.images_bucket,
        Key=key,
        CopySource={"Bucket": settings.images_bucket, "Key": source},
        ContentType=content_type,
        CacheControl=_CACHE_CONTROL,
        MetadataDirective="REPLACE",
    )
    _delete_quietly([source])
    return key


def sniff(start: bytes) -> str | None:
    """The image type the file's first bytes announce, or None for anything else."""
    if start.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if start.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        return "image/webp"
    return None


def _upload_key(merchant_id: str, image_id: str) -> str:
    return f"uploads/{merchant_id}/{image_id}"


def _delete_quietly(keys: list[str]) -> None:
    """Delete objects nothing refers to any more; a failure only leaves an orphan, so it is logged, not raised."""
    if not keys:
        return
    try:
        aws.client("s3").delete_objects(
            Bucket=get_settings().images_bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
        )
    except ClientError:
        logger.exception("image cleanup failed", extra={"keys": keys})


@cache
def _presigner() -> Any:
    """The client that signs upload forms: in the local stage it must name the address a browser can reach."""
    settings = get_settings()
    if not settings.s3_public_endpoint:
        return aws.client("s3")
    return boto3.session.Session().client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=settings.s3_public_endpoint,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
