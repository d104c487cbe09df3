"""Routes of ChannelsApi (docs/adr/0010): orders a merchant enters, binding an Ele.me shop, Ele.me's pushes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog.service import managed_merchant
from paotui.orders import bindings, channels, eleme
from paotui.orders.api import IdempotencyKey, placed, required_key
from paotui.orders.channel_models import MerchantOrder, ShopBinding, ShopBindingView
from paotui.orders.models import OrderView
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Manager = Annotated[Principal, Depends(require_role("merchant"))]  # the merchant's owner, or an admin


@router.post(
    "/merchants/<merchantId>/orders", responses={201: {"description": "The order, created or replayed, and PAID"}}
)
def place_merchant_order(
    merchantId: str,  # noqa: N803 (API path name)
    body: MerchantOrder,
    caller: Manager,
    idempotency_key: IdempotencyKey = None,
) -> Response[OrderView]:
    """A phone or walk-in order, entered by the merchant's owner (or an admin)."""
    return placed(*channels.place_merchant_order(merchantId, caller, required_key(idempotency_key), body), caller)


@router.put("/merchants/<merchantId>/channels/eleme")
def bind_eleme_shop(merchantId: str, body: ShopBinding, caller: Manager) -> ShopBindingView:  # noqa: N803
    """Orders Ele.me pushes for this shop become this merchant's; 409 if another merchant bound it."""
    merchant = managed_merchant(caller, merchantId)
    binding = bindings.bind_shop(eleme.CHANNEL, body.shop_id, merchant.id, by=caller.user_id)
    return ShopBindingView.of(binding)


@router.post("/channels/eleme/push")
def eleme_push(request: Request) -> dict[str, str]:
    """Ele.me's push (no authorizer): read raw, since the signature covers every top-level field there is."""
    return eleme.handle_push(request.resolved_event.decoded_body or "")
