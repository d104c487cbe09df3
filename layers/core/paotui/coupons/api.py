"""Routes of OrdersApi for a customer's coupons: ``/me/coupons`` (only the caller's own)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.coupons import service
from paotui.coupons.models import CouponView
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Customer = Annotated[Principal, Depends(require_role("customer"))]


@router.get("/me/coupons")
def my_coupons(caller: Customer) -> list[CouponView]:
    """The caller's coupons, newest first, used and expired ones too."""
    return [CouponView.of(coupon) for coupon in service.coupons_of(caller.user_id)]
