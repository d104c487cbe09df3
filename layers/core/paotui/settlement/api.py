"""Routes of settlement: a merchant's statement for its owner and admins (CatalogApi, where the console finds
everything of its merchant); operators' accounts, payouts and commission rates (OpsApi). Days are China time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog.lookup import managed_merchant
from paotui.platform import clock
from paotui.platform.auth import Principal, require_role
from paotui.platform.http import made, required_idempotency_key
from paotui.settlement import accounts
from paotui.settlement.models import (
    AccountPage,
    CommissionRequest,
    CommissionView,
    LinePage,
    PayoutRequest,
    PayoutReversal,
    PayoutView,
    SettlementView,
)

merchant_router = APIGatewayRouter()
admin_router = APIGatewayRouter()

Admin = Annotated[Principal, Depends(require_role("admin"))]
MerchantCaller = Annotated[Principal, Depends(require_role("merchant"))]
Start = Annotated[
    date | None, Query(alias="from", description="first China-time day; 6 days before ``to`` if left out")
]
End = Annotated[date | None, Query(alias="to", description="last China-time day; today if left out")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=300)]


@merchant_router.get("/merchants/<merchantId>/settlement")
def merchant_settlement(
    merchantId: str,  # noqa: N803 (API path name)
    caller: MerchantCaller,
    start: Start = None,
    end: End = None,
) -> SettlementView:
    """The merchant's balance, what is payable, its days' totals and latest payouts. 403 ``NOT_YOUR_MERCHANT``, 404
    ``MERCHANT_NOT_FOUND``, 422 ``INVALID_RANGE``, ``RANGE_TOO_LONG``."""
    merchant = managed_merchant(caller, merchantId)
    end = end or clock.china_day(clock.now())
    return accounts.statement(merchant, start or end - timedelta(days=6), end)


@merchant_router.get("/merchants/<merchantId>/settlement/lines")
def merchant_settlement_lines(
    merchantId: str,  # noqa: N803 (API path name)
    caller: MerchantCaller,
    day: Annotated[date, Query(description="the China-time day")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LinePage:
    """One day's lines, order by order. 400 ``INVALID_CURSOR``."""
    merchant = managed_merchant(caller, merchantId)
    return accounts.day_lines(merchant.id, day, limit, cursor)


@admin_router.get("/admin/settlement")
def merchant_accounts(_admin: Admin, limit: Limit = 50, cursor: Cursor = None) -> AccountPage:
    """Every merchant's account: balance and what is payable now."""
    return accounts.accounts(limit, cursor)


@admin_router.post(
    "/admin/merchants/<merchantId>/payouts", responses={201: {"description": "The payout, recorded or replayed"}}
)
def pay_out(
    merchantId: str,  # noqa: N803 (API path name)
    body: PayoutRequest,
    admin: Admin,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[PayoutView]:
    """Record a transfer made to the merchant (at most what is payable). 400 ``IDEMPOTENCY_KEY_REQUIRED``, 404
    ``MERCHANT_NOT_FOUND``, 409 ``PAYOUT_EXCEEDS_PAYABLE``, 422 ``IDEMPOTENCY_KEY_REUSED``."""
    key = required_idempotency_key(idempotency_key)
    payout, created = accounts.pay_out(merchantId, body, key=key, by=admin.user_id)
    return made(accounts.payout_view(payout), created)


@admin_router.post("/admin/merchants/<merchantId>/payouts/<payoutId>/reversal")
def reverse_payout(
    merchantId: str,  # noqa: N803 (API path name)
    payoutId: str,  # noqa: N803
    body: PayoutReversal,
    admin: Admin,
) -> PayoutView:
    """Reverse a payout recorded by mistake: it stays listed, marked reversed with the reason, and its amount is
    owed again. Once only (again: the payout as reversed). 404 ``PAYOUT_NOT_FOUND``."""
    return accounts.payout_view(accounts.reverse_payout(merchantId, payoutId, reason=body.reason, by=admin.user_id))


@admin_router.put("/admin/merchants/<merchantId>/commission")
def set_commission(merchantId: str, body: CommissionRequest, _admin: Admin) -> CommissionView:  # noqa: N803
    """The merchant's commission rate (basis points of its dishes), for orders settled from now on. 404
    ``MERCHANT_NOT_FOUND``."""
    return accounts.set_commission(merchantId, body.commission_bp)
