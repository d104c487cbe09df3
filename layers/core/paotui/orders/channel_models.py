"""Request and response shapes of ChannelsApi: orders a merchant enters, and binding a platform's shop."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from paotui.orders.models import OrderContents
from paotui.platform.models import RequestModel, ResponseModel

MerchantChannel = Literal["phone", "walk_in"]
PaymentMode = Literal["cash_on_delivery", "paid_in_store"]


class MerchantOrder(OrderContents):
    """A phone or walk-in order the merchant enters for a customer; the delivery contact's phone names them."""

    channel: MerchantChannel
    payment: PaymentMode


class ShopBinding(RequestModel):
    shop_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]  # the platform's numeric shop id


class ShopBindingView(ResponseModel):
    channel: str
    shop_id: str
    merchant_id: str
    bound_at: str
    proof: str | None = None  # "granted" (the platform's shop authorization), "admin"; none: bound before proof
    shop_name: str | None = None


class ShopBindingsView(ResponseModel):
    items: list[ShopBindingView]


class ShopAuthorizationView(ResponseModel):
    """Send the merchant's browser to ``authorize_url``; the platform sends it back to our callback by
    ``expires_at``."""

    authorize_url: str
    expires_at: str


class GrantedShopsView(ResponseModel):
    merchant_id: str
    shops: list[ShopBindingView]  # bound to the merchant now
    held_elsewhere: list[str]  # granted, but another merchant holds them on proof of their own
