"""Request and response shapes of ratings and complaints (orders.feedback)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from paotui.platform.models import Prose, RequestModel, ResponseModel

Remark = Annotated[Prose, StringConstraints(min_length=1, max_length=500)]


class RateOrder(RequestModel):
    stars: int = Field(ge=1, le=5)
    comment: Remark | None = None


class FileComplaint(RequestModel):
    reason: Remark


class DecideComplaint(RequestModel):
    upheld: StrictBool
    note: Remark | None = None


class RatingView(ResponseModel):
    stars: int
    comment: str | None = None
    at: str


class ComplaintView(ResponseModel):
    """PENDING until an admin decides: UPHELD (the rider is penalised under the incentive rules) or DISMISSED."""

    reason: str
    at: str
    rider_id: str | None = None  # the rider it is about: who held the order, or last did, when it was filed
    status: Literal["PENDING", "UPHELD", "DISMISSED"]
    decided_at: str | None = None
    decided_by: str | None = None
    note: str | None = None
