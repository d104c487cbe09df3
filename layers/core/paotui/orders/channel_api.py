"""Routes of ChannelsApi (docs/adr/0010, 0015): orders a merchant enters, binding Ele.me shops, Ele.me's pushes."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Annotated

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog.lookup import managed_merchant
from paotui.orders import bindings, channels, eleme, eleme_oauth
from paotui.orders.api import IdempotencyKey, placed
from paotui.platform.http import required_idempotency_key
from paotui.orders.channel_models import (
    GrantedShopsView,
    MerchantOrder,
    ShopAuthorizationView,
    ShopBinding,
    ShopBindingsView,
    ShopBindingView,
)
from paotui.orders.models import OrderView
from paotui.platform.auth import Principal, require_role
from paotui.platform.http import json_response

router = APIGatewayRouter()

Manager = Annotated[Principal, Depends(require_role("merchant"))]  # the merchant's owner, or an admin
Admin = Annotated[Principal, Depends(require_role("admin"))]
OAuthText = Annotated[str | None, Query(max_length=512)]
AUTHORIZATION_SECONDS = bindings.AUTHORIZATION_MINUTES * 60


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
    return placed(
        *channels.place_merchant_order(merchantId, caller, required_idempotency_key(idempotency_key), body), caller
    )


@router.post(
    "/merchants/<merchantId>/channels/eleme/authorizations",
    responses={201: {"description": "Where to send the merchant's browser to grant their Ele.me shops"}},
)
def authorize_eleme_shops(merchantId: str, caller: Manager) -> Response[ShopAuthorizationView]:  # noqa: N803
    """Start binding the merchant's Ele.me shops: the owner signs in at Ele.me and grants them (proof they own them).
    The answer sets a cookie for the callback: finish in this browser."""
    merchant = managed_merchant(caller, merchantId)
    started = eleme_oauth.begin(merchant.id, by=caller.user_id)
    view = ShopAuthorizationView(authorize_url=started.authorize_url, expires_at=started.expires_at)
    response = json_response(201, view.model_dump(mode="json"))
    response.cookies.append(eleme_oauth.browser_cookie(started.browser_key, max_age=AUTHORIZATION_SECONDS))
    return response


@router.get(eleme_oauth.CALLBACK_PATH)
def eleme_shops_granted(
    request: Request, state: OAuthText = None, code: OAuthText = None, error: OAuthText = None
) -> Response[GrantedShopsView]:
    """Ele.me sends the merchant's browser back here (no authorizer: the one-time ``state`` names the merchant, the
    cookie set when it started says it is the same browser)."""
    granted = eleme_oauth.complete(state or "", code, error, _cookie(request, eleme_oauth.BROWSER_COOKIE))
    view = GrantedShopsView(
        merchant_id=granted.merchant_id,
        shops=[ShopBindingView.of(binding) for binding in granted.bound],
        held_elsewhere=granted.held_elsewhere,
    )
    response = json_response(200, view.model_dump(mode="json"))
    response.cookies.append(eleme_oauth.browser_cookie("", max_age=0))
    return response


def _cookie(request: Request, name: str) -> str | None:
    """The named cookie the browser sent, if any (Powertools' headers are case-insensitive)."""
    jar = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


@router.get("/merchants/<merchantId>/channels/eleme")
def eleme_shops(merchantId: str, caller: Manager) -> ShopBindingsView:  # noqa: N803
    """The Ele.me shops whose orders come to this merchant."""
    merchant = managed_merchant(caller, merchantId)
    return ShopBindingsView(
        items=[ShopBindingView.of(binding) for binding in bindings.shops_of(eleme.CHANNEL, merchant.id)]
    )


@router.delete("/merchants/<merchantId>/channels/eleme/<shopId>", responses={204: {"description": "Unbound"}})
def unbind_eleme_shop(merchantId: str, shopId: str, caller: Manager) -> Response[None]:  # noqa: N803
    """Stop taking this Ele.me shop's orders (Ele.me is answered 404 ``SHOP_NOT_BOUND`` for its pushes until it is
    bound again); 404 if this merchant has not bound it."""
    merchant = managed_merchant(caller, merchantId)
    bindings.unbind_shop(eleme.CHANNEL, shopId, merchant.id, by=caller.user_id)
    return Response(status_code=204)


@router.put("/merchants/<merchantId>/channels/eleme")
def bind_eleme_shop(merchantId: str, body: ShopBinding, caller: Admin) -> ShopBindingView:  # noqa: N803
    """An admin binds a shop by hand, having checked it is the merchant's (merchants prove it through Ele.me);
    409 if another merchant holds it on proof."""
    merchant = managed_merchant(caller, merchantId)
    binding = bindings.bind_shop(eleme.CHANNEL, body.shop_id, merchant.id, by=caller.user_id, proof=bindings.ADMIN)
    return ShopBindingView.of(binding)


@router.post("/channels/eleme/push")
def eleme_push(request: Request) -> dict[str, str]:
    """Ele.me's push (no authorizer): read raw, since the signature covers every top-level field there is."""
    return eleme.handle_push(request.resolved_event.decoded_body or "")
