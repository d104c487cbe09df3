"""Routes of CatalogApi for the merchant console's alerts (``paotui.notify.merchant_alerts``).

The notify domain keeps the alerts; the console reads them here because it
talks to CatalogApi for everything of its merchant.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.notify import merchant_alerts
from paotui.notify.models import InboxPageView, MarkInboxRead, ReadMarkView
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

MerchantCaller = Annotated[Principal, Depends(require_role("merchant"))]


@router.get("/merchants/<merchantId>/alerts")
def merchant_alerts_page(
    merchantId: str,  # noqa: N803 (API path name)
    caller: MerchantCaller,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> InboxPageView:
    """The merchant's console alerts, newest first: ``order_alert`` (new or cancelled orders, timeouts,
    escalations, overdue pickups, returns) and ``low_stock``; ``read`` against the merchant's read mark. The
    owner's only: 403 ``NOT_YOUR_MERCHANT``; 422 ``INVALID_CURSOR`` for a cursor this route did not give out."""
    merchant = merchant_alerts.console_merchant(caller, merchantId)
    return InboxPageView.of(merchant_alerts.alerts_page(merchant, cursor=cursor))


@router.post("/merchants/<merchantId>/alerts/read")
def mark_merchant_alerts_read(merchantId: str, body: MarkInboxRead, caller: MerchantCaller) -> ReadMarkView:  # noqa: N803
    """Mark read the merchant's alerts sent at or before ``up_to``; the mark never moves back."""
    merchant = merchant_alerts.console_merchant(caller, merchantId)
    return ReadMarkView(read_up_to=merchant_alerts.mark_alerts_read(merchant, body.up_to))
