"""Base pydantic types used at every boundary: strict request models, typed text, coordinates, phones."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @classmethod
    def of(cls, record: Any) -> Self:
        """The view of a stored record (a pynamodb model); attributes the view doesn't name are left out."""
        return cls.model_validate(record.to_simple_dict())


class PointView(ResponseModel):
    lat: float
    lng: float


class PlaceView(PointView):
    name: str


class LatLng(RequestModel):
    """A GCJ-02 coordinate, as the mini-program and Chinese maps give it."""

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _free_of(characters: re.Pattern[str], what: str) -> AfterValidator:
    """Text as every later hop can carry it: a lone surrogate is no UTF-8 (boto3, DynamoDB, SNS, SQS, carriers
    refuse or crash on it), a control character (a NUL) has no place in an SMS, a push or a WeChat message."""

    def check(text: str) -> str:
        if characters.search(text):
            raise ValueError(f"must not contain {what}")
        return text

    return AfterValidator(check)


Line = Annotated[str, _free_of(_CONTROL, "control characters (line breaks too) or lone surrogates")]
"""Single-line text a person typed: a name, a label, an address."""

Prose = Annotated[str, _free_of(_CONTROL_BUT_BREAKS, "control characters but line breaks and tabs, or lone surrogates")]
"""Multi-line text a person typed: a note, a reason, a description, a comment; line breaks and tabs are kept."""


def in_utc(moment: datetime) -> datetime:
    """The time in UTC, as everything after reads and stores it: a time the calendar can't hold there (year 0 or
    10000) is refused (a ValueError, so a 422 in a model) rather than failing later with a 500."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is outside the calendar in UTC") from None


Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
"""E.164, e.g. ``+8613800000000``."""

Fen = Annotated[int, Field(ge=0)]
"""Money in integer fen (分), CNY."""
