"""Request and response shapes of the catalog API (API.md "Catalog and quotes").

``eta`` is the estimated delivery time as UTC ISO-8601; ``eta_minutes`` is the
same estimate counted from now, for lists that show "30 分钟".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from paotui.platform.models import Fen, LatLng, Line, RequestModel, ResponseModel
from paotui.platform.settings import get_settings

if TYPE_CHECKING:
    from paotui.catalog.records import ProductRecord

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


class FeeLine(ResponseModel):
    """One part of a delivery fee (``base``, ``distance``, a surcharge's code, ``weight``, ``free_delivery``)."""

    code: str
    label: str
    amount: int  # fen; a waiver is negative, and the lines sum to the delivery fee


class Quote(ResponseModel):
    items_total: Fen
    delivery_fee: Fen
    total: Fen
    distance_m: int
    eta: str
    eta_minutes: int
    lines: list[QuoteLine]
    breakdown: list[FeeLine]


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


class MerchantPage(ResponseModel):
    """A page of ``GET /merchants``; pass ``next_cursor`` back as ``cursor`` for the next (null: the last page)."""

    items: list[MerchantCard]
    next_cursor: str | None


class SlotView(ResponseModel):
    """A scheduled delivery window (UTC); ``available`` false when it is full. Order with ``scheduled_for`` in it."""

    start: str
    end: str
    available: bool


class Option(RequestModel):
    name: Annotated[Line, StringConstraints(min_length=1, max_length=30)]
    price_delta: Fen = Field(default=0, le=1_000_000)


class OptionGroup(RequestModel):
    """A choice on a product (size, spice, add-ons): the customer picks ``min`` to ``max`` of ``options``."""

    name: Annotated[Line, StringConstraints(min_length=1, max_length=30)]
    min: int = Field(default=0, ge=0)
    max: int = Field(default=1, ge=1)
    options: list[Option] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _choices_fit(self) -> OptionGroup:
        if not self.min <= self.max <= len(self.options):
            raise ValueError("min <= max <= number of options")
        return self


def image_url(key: str) -> str:
    """Where clients load a product image stored under ``key`` (see ``paotui.catalog.images``)."""
    return f"{get_settings().images_base_url.rstrip('/')}/{key}"


class ProductView(ResponseModel):
    """``stock`` is what a customer may still order (on hand minus held), None when unlimited;
    ``available`` says whether they can. ``version`` is what an edit must quote back; ``images`` are URLs."""

    id: str
    name: str
    price: Fen
    stock: int | None
    available: bool
    description: str = ""
    category_id: str | None = None
    options: list[OptionGroup] = []
    unlimited: bool = False
    on_sale: bool = True
    version: int = 1
    images: list[str] = []

    @classmethod
    def of(cls, product: ProductRecord) -> Self:
        count = None if product.unlimited else max(0, int(product.available))
        return cls(
            id=product.id,
            name=product.name,
            price=int(product.price),
            stock=count,
            available=bool(product.on_sale) and (count is None or count > 0),
            description=product.description,
            category_id=product.category_id,
            options=[
                OptionGroup(
                    name=group.name,
                    min=int(group.min),
                    max=int(group.max),
                    options=[Option(name=o.name, price_delta=int(o.price_delta)) for o in group.options],
                )
                for group in product.options
            ],
            unlimited=bool(product.unlimited),
            on_sale=bool(product.on_sale),
            version=int(product.version),
            images=[image_url(key) for key in product.images],
        )


class MerchantProductView(ProductView):
    """A product as its merchant sees it: also stock on hand, units unpaid orders hold, and the stock settings."""

    on_hand: int | None  # None when unlimited
    reserved: int
    low_stock_threshold: int | None = None
    daily_stock: int | None = None

    @classmethod
    def of(cls, product: ProductRecord) -> Self:
        public = ProductView.of(product).model_dump()
        return cls(
            **public,
            on_hand=None if product.unlimited else int(product.stock),
            reserved=int(product.reserved),
            low_stock_threshold=None if product.low_stock_threshold is None else int(product.low_stock_threshold),
            daily_stock=None if product.daily_stock is None else int(product.daily_stock),
        )
