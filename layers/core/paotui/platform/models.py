"""Base pydantic types used at every boundary: strict request models, coordinates, phones."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


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


Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
"""E.164, e.g. ``+8613800000000``."""

Fen = Annotated[int, Field(ge=0)]
"""Money in integer fen (分), CNY."""
