"""Routes of the analytics reports: the whole platform's for admins (OpsApi), a merchant's own for its owner and
admins (CatalogApi, where the console finds everything of its merchant). Dates are China-time days."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.analytics import report
from paotui.analytics.report import AnalyticsReport, Granularity
from paotui.catalog.lookup import managed_merchant
from paotui.platform import clock
from paotui.platform.auth import Principal, require_role

admin_router = APIGatewayRouter()
merchant_router = APIGatewayRouter()

Admin = Annotated[Principal, Depends(require_role("admin"))]
MerchantCaller = Annotated[Principal, Depends(require_role("merchant"))]
Start = Annotated[date | None, Query(alias="from", description="first China-time day, YYYY-MM-DD; today if left out")]
End = Annotated[date | None, Query(alias="to", description="last China-time day; ``from`` if left out")]
By = Annotated[Granularity, Query(description="a row per day, or per hour (at most 2 days)")]


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    start = start or clock.china_day(clock.now())
    return start, end or start


@admin_router.get("/admin/analytics")
def platform_analytics(_admin: Admin, start: Start = None, end: End = None, by: By = "day") -> AnalyticsReport:
    """The platform's orders, money, dispatch and delivery times, cancellations: totals and a row per period.
    422 ``INVALID_RANGE``, ``RANGE_TOO_LONG``."""
    return report.report(None, *_range(start, end), by)


@merchant_router.get("/merchants/<merchantId>/analytics")
def merchant_analytics(
    merchantId: str,  # noqa: N803 (API path name)
    caller: MerchantCaller,
    start: Start = None,
    end: End = None,
    by: By = "day",
) -> AnalyticsReport:
    """The merchant's own report, as the platform's. 403 ``NOT_YOUR_MERCHANT``, 404 ``MERCHANT_NOT_FOUND``."""
    merchant = managed_merchant(caller, merchantId)
    return report.report(merchant.id, *_range(start, end), by)
