"""Files a client uploads straight to S3, and the checks of what arrived: product images, proof-of-delivery photos,
shop applicants' licences.

The bytes never pass through Lambda (6 MB payloads, and we would pay for the
seconds): the client gets a presigned POST whose policy pins the key, the
content type and the size range, and posts the file to S3 itself. A policy only
checks what the client declared, so before anything uses an upload,
:func:`check_image` looks at the object itself: it must exist, be within the
size limit, and start with a JPEG, PNG or WebP signature.

In the local stage the signing client names ``s3_public_endpoint`` (the local
gateway's ``/s3``), the address a browser or phone reaches S3 at.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, Literal

from botocore.config import Config
from botocore.exceptions import ClientError

from paotui.platform import aws
from paotui.platform.errors import Unprocessable
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

ImageType = Literal["image/jpeg", "image/png", "image/webp"]
"""The image types we take (what a client may declare for an upload)."""

IMAGE_TYPES: dict[ImageType, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
"""Each image type with the file extension it is published under."""

_SIGNATURE_BYTES = 16
_MISSING = ("404", "NoSuchKey", "NotFound")


class UploadRejected(Exception):
    """What arrived is not usable: ``missing`` (nothing at the key), ``too_large`` or ``not_an_image``."""

    def __init__(self, problem: Literal["missing", "too_large", "not_an_image"], *, size: int | None = None):
        super().__init__(problem)
        self.problem = problem
        self.size = size


def presigned_post(bucket: str, key: str, content_type: str, *, max_bytes: int, expires_in: int) -> dict[str, Any]:
    """``{"url", "fields", "expires_in", "max_bytes"}``: a form that stores one file of ``content_type`` and
    1..``max_bytes`` bytes at ``key`` within ``expires_in`` seconds, as a grant tells the client.

    The form fields go before the file, which is sent as ``file``.
    """
    post = _presigner().generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    return {"url": post["url"], "fields": post["fields"], "expires_in": expires_in, "max_bytes": max_bytes}


def presigned_get(bucket: str, key: str, *, expires_in: int) -> str:
    """A link that reads one private object for ``expires_in`` seconds."""
    return _presigner().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
    )


def check_image(bucket: str, key: str, *, max_bytes: int) -> str:
    """The image type of the upload at ``key``; :class:`UploadRejected` if it is missing, too large or no image."""
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] not in _MISSING:
            raise
        raise UploadRejected("missing") from None
    if head["ContentLength"] > max_bytes:
        raise UploadRejected("too_large", size=head["ContentLength"])
    start = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_SIGNATURE_BYTES - 1}")["Body"].read()
    content_type = sniff(start)
    if content_type is None:
        raise UploadRejected("not_an_image", size=head["ContentLength"])
    return content_type


def checked(bucket: str, key: str, *, max_bytes: int, noun: str, code: str, details: dict[str, Any]) -> str:
    """:func:`check_image` for a request that attaches the upload: the image type, or a 422 saying why not, its codes
    named after what the upload is (``code`` "IMAGE": ``IMAGE_NOT_UPLOADED``, ``IMAGE_TOO_LARGE``,
    ``INVALID_IMAGE``). A bad upload is deleted; a missing one may still come."""
    try:
        return check_image(bucket, key, max_bytes=max_bytes)
    except UploadRejected as rejected:
        if rejected.problem == "missing":
            raise Unprocessable(
                f"No upload with that {noun} id; upload the file first.", code=f"{code}_NOT_UPLOADED", details=details
            ) from None
        delete_quietly(bucket, [key])
        if rejected.problem == "too_large":
            raise Unprocessable(
                f"A {noun} may have at most {max_bytes} bytes.",
                code=f"{code}_TOO_LARGE",
                details={**details, "bytes": rejected.size},
            ) from None
        raise Unprocessable(
            "The upload is not a JPEG, PNG or WebP image.", code=f"INVALID_{code}", details=details
        ) from None


def copy(bucket: str, source: str, key: str, content_type: str, **headers: str) -> str:
    """Copy a checked upload to ``key`` with its type (and ``headers`` such as ``CacheControl``); the upload stays."""
    aws.client("s3").copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": source},
        ContentType=content_type,
        MetadataDirective="REPLACE",
        **headers,
    )
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


def delete_quietly(bucket: str, keys: Iterable[str]) -> None:
    """Delete objects nothing refers to any more; a failure only leaves an orphan, so it is logged, not raised."""
    keys = list(keys)
    if not keys:
        return
    try:
        aws.client("s3").delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
        )
    except ClientError:
        logger.exception("upload cleanup failed", extra={"bucket": bucket, "keys": keys})


@cache
def _presigner() -> Any:
    """The client that signs forms and links: in the local stage it must name the address a client can reach."""
    settings = get_settings()
    if not settings.s3_public_endpoint:
        return aws.client("s3")
    return aws.new_client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=settings.s3_public_endpoint,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
