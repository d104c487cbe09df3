"""Routes of AuthApi for a customer's address book (docs/adr/0006): ``/me/addresses``.

Only the caller's own book is reachable: an address id of someone else's is
not in it, so it is 404 like any unknown id; a caller without the customer
role is 403.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.accounts import addresses
from paotui.accounts.models import AddressView, EditAddress, NewAddress
from paotui.platform.auth import Principal, require_role
from paotui.platform.models import PointView
from paotui.platform.settings import Settings, get_settings

router = APIGatewayRouter()

Customer = Annotated[Principal, Depends(require_role("customer"))]
Config = Annotated[Settings, Depends(get_settings)]


def _view(entry: addresses.Entry) -> AddressView:
    address = entry.address
    return AddressView(
        id=address.id,
        label=address.label,
        contact_name=address.contact_name,
        contact_phone=address.contact_phone,
        detail=address.detail,
        location=PointView(lat=address.location.lat, lng=address.location.lng),
        is_default=entry.is_default,
    )


@router.get("/me/addresses")
def list_addresses(caller: Customer) -> list[AddressView]:
    """The default first, then the newest first."""
    return [_view(entry) for entry in addresses.read(caller.user_id).entries()]


@router.post("/me/addresses", responses={201: {"description": "The address, saved"}})
def add_address(body: NewAddress, caller: Customer, settings: Config) -> tuple[AddressView, int]:
    return _view(addresses.add(caller.user_id, body, limit=settings.max_addresses_per_user)), 201


@router.patch("/me/addresses/<addressId>")
def edit_address(addressId: str, body: EditAddress, caller: Customer) -> AddressView:  # noqa: N803 (API path name)
    return _view(addresses.edit(caller.user_id, addressId, body))


@router.delete("/me/addresses/<addressId>", responses={204: {"description": "The address is gone"}})
def delete_address(addressId: str, caller: Customer) -> Response[None]:  # noqa: N803 (API path name)
    addresses.remove(caller.user_id, addressId)
    return Response(status_code=204)
