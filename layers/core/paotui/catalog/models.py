"""Request and response shapes of the catalog API (API.md "Catalog and quotes").

``eta`` is the estimated delivery time as UTC ISO-8601; ``eta_minutes`` is the
same estimate counted from now, for lists that show "30 分钟".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from paotui.platform.models import Fen, LatLng, RequestModel, ResponseModel

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class QuoteItem(RequestModel):
    product_id: Id
    quantity: int = Field(ge=1, le=99)


class QuoteRequest(RequestModel):
    merchant_id: Id
    items: list[QuoteItem] = Field(min_length=1, max_length=50)
    address: LatLng
    scheduled_for: AwareDatetime | None = None


class QuoteLine(ResponseModel):
    product_id: str
    name: str
    unit_price: Fen
    quantity: int
    line_total: Fen


class Quote(ResponseModel):
    items_total: Fen
    delivery_fee: Fen
    total: Fen
    distance_m: int
    eta: str
    eta_minutes: int
    lines: list[QuoteLine]


class Location(ResponseModel):
    lat: float
    lng: float


class MerchantCard(ResponseModel):
    """A merchant as the customer's list shows it, relative to the customer's point."""

    id: str
    name: str
    address: str
    location: Location
    open: bool
    distance_m: int
    delivery_fee: Fen
    min_order: Fen
    eta: str
    eta_minutes: int


class ProductView(ResponseModel):
    """``stock`` is what a customer may still order (on hand minus held); ``available`` says whether they can."""

    id: str
    name: str
    price: Fen
    stock: int
    available: bool
