"""Routes of CatalogApi for a merchant's delivery settings, and finding where an address is (owner or admin)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import delivery, places
from paotui.catalog.delivery import DeliverySettings
from paotui.catalog.lookup import managed_merchant
from paotui.catalog.places import DeliveryPlaces
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Manager = Annotated[Principal, Depends(require_role("merchant"))]
_TEXT = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"  # something to read, and no control characters


@router.get("/merchants/<merchantId>/delivery")
def get_delivery(merchantId: str, principal: Manager) -> DeliverySettings:  # noqa: N803 (API path name)
    return delivery.settings_of(managed_merchant(principal, merchantId)).public()


@router.put("/merchants/<merchantId>/delivery")
def put_delivery(merchantId: str, body: DeliverySettings, principal: Manager) -> DeliverySettings:  # noqa: N803
    """Replace the settings whole: mode, carrier and areas with their fee rules and minimum orders."""
    return delivery.save(managed_merchant(principal, merchantId), body).public()


@router.get("/merchants/<merchantId>/delivery/places")
def find_places(
    merchantId: str,  # noqa: N803 (API path name)
    principal: Manager,
    address: Annotated[str, Query(max_length=120, pattern=_TEXT, description="as the customer said it")],
    city: Annotated[str | None, Query(max_length=40, description="one city to search, else all China")] = None,
) -> DeliveryPlaces:
    """Where an address a customer gives on the phone may be (AMap's geocoding), nearest the store first, each with
    whether the merchant delivers there: the coordinates of a phone order. 502 ``GEOCODING_FAILED``, 503
    ``GEOCODING_OFF``."""
    return places.places_for(managed_merchant(principal, merchantId), address.strip(), city)
