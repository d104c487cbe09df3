"""Request and response shapes of the orders API (API.md "Orders")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator

from paotui.orders.transitions import Status
from paotui.platform.models import Fen, LatLng, Phone, PlaceView, PointView, RequestModel, ResponseModel

Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class OrderItemIn(RequestModel):
    product_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    quantity: int = Field(ge=1, le=99)


class DeliveryAddress(LatLng):
    detail: Text
    contact_name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    contact_phone: Phone


class PlaceOrder(RequestModel):
    merchant_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    items: list[OrderItemIn] = Field(min_length=1, max_length=50)
    address: DeliveryAddress
    scheduled_for: AwareDatetime | None = None  # a time without a zone is ambiguous, as in quotes
    note: Annotated[str, StringConstraints(max_length=200)] | None = None

    @field_validator("items")
    @classmethod
    def _one_line_per_product(cls, items: list[OrderItemIn]) -> list[OrderItemIn]:
        ids = [item.product_id for item in items]
        if len(set(ids)) != len(ids):
            raise ValueError("list each product once, with its total quantity")
        return items


class CancelOrder(RequestModel):
    reason: Text


class TransitionRequest(RequestModel):
    to: Status
    reason: Text | None = None


class LineItem(ResponseModel):
    product_id: str
    name: str
    unit_price: Fen
    quantity: int
    line_total: Fen


class Amounts(ResponseModel):
    items_total: Fen
    delivery_fee: Fen
    total: Fen


class TimelineEntry(ResponseModel):
    status: Status
    at: str
    by: str
    reason: str | None = None


class AddressView(PointView):
    detail: str
    contact_name: str
    contact_phone: str


class OrderView(ResponseModel):
    id: str
    status: Status
    merchant_id: str
    customer_id: str
    rider_id: str | None = None
    items: list[LineItem]
    amounts: Amounts
    address: AddressView
    pickup: PlaceView
    timeline: list[TimelineEntry]
    scheduled_for: str | None = None
    note: str | None = None
    cancel_reason: str | None = None
    version: int
    created_at: str
    updated_at: str


class OrderPage(ResponseModel):
    items: list[OrderView]
    next_cursor: str | None


Role = Literal["customer", "merchant", "rider"]
