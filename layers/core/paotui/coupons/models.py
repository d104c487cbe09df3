"""Response shapes of the coupons API."""

from __future__ import annotations

from typing import Literal, Self

from paotui.coupons.records import CouponRecord, CouponStatus
from paotui.coupons.service import is_expired
from paotui.platform.models import Fen, ResponseModel


class CouponView(ResponseModel):
    """A coupon: ``amount`` off an order whose goods come to at least ``min_spend`` (fen), until ``expires_at``.

    ``status``: AVAILABLE to use (send its ``id`` as ``coupon_id`` with ``POST /orders``), USED by ``order_id``, or
    EXPIRED unused."""

    id: str
    amount: Fen
    min_spend: Fen
    expires_at: str
    status: Literal["AVAILABLE", "USED", "EXPIRED"]
    source: str
    source_order_id: str | None = None
    order_id: str | None = None
    used_at: str | None = None
    created_at: str

    @classmethod
    def of(cls, record: CouponRecord) -> Self:
        view = super().of(record)
        if view.status == CouponStatus.AVAILABLE and is_expired(record):
            view.status = "EXPIRED"
        return view
