"""Routes of CatalogApi for a merchant's delivery settings (owner or admin)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import delivery, service
from paotui.catalog.delivery import DeliverySettings
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Manager = Annotated[Principal, Depends(require_role("merchant"))]


@router.get("/merchants/<merchantId>/delivery")
def get_delivery(merchantId: str, principal: Manager) -> DeliverySettings:  # noqa: N803 (API path name)
    return delivery.settings_of(service.managed_merchant(principal, merchantId)).public()


@router.put("/merchants/<merchantId>/delivery")
def put_delivery(merchantId: str, body: DeliverySettings, principal: Manager) -> DeliverySettings:  # noqa: N803
    """Replace the settings whole: mode, carrier and areas with their fee rules and minimum orders."""
    return delivery.save(service.managed_merchant(principal, merchantId), body).public()
