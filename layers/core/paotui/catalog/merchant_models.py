"""Request and response shapes of the merchant console: profile, menu, stock and its ledger.

Edits are partial: only the fields a request names change (``model_fields_set``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from paotui.catalog import hours
from paotui.catalog.models import Id, Location, OptionGroup
from paotui.orders.refund_rules import RefundRule, RuledReason
from paotui.platform.models import Fen, LatLng, Line, Phone, Prose, RequestModel, ResponseModel
from paotui.platform.uploads import ImageType

Name = Annotated[Line, StringConstraints(min_length=1, max_length=60)]
Reason = Annotated[Prose, StringConstraints(min_length=1, max_length=200)]
Stock = Annotated[int, Field(ge=0, le=1_000_000)]
Threshold = Annotated[int, Field(ge=0, le=1_000_000)]
Price = Annotated[Fen, Field(le=100_000_000)]
TimeRange = tuple[str, str]
DayHours = Annotated[list[TimeRange], Field(max_length=6)]
ProofOfDelivery = Literal["code", "photo", "code_or_photo", "none"]
"""What proves the merchant's deliveries (orders.proof): the customer's 收货码, a photo, either, or nothing."""
OnConfirmTimeout = Literal["cancel", "confirm"]
"""What the watchdog does with a paid order the merchant leaves unconfirmed past the confirm timeout
(paotui.workflow): cancel it (refunded in full) or confirm it for the merchant."""
RefundRules = Annotated[dict[RuledReason, RefundRule], Field(max_length=10)]
"""What the merchant's returned orders refund, per delivery failure reason, over the platform's rules
(orders.refund_rules; a reason the platform counts as the merchant's fault is refunded in full anyway)."""


class WeekHours(RequestModel):
    """Opening ranges per weekday in Asia/Shanghai time (see catalog.hours); a day left out is closed."""

    mon: DayHours = []
    tue: DayHours = []
    wed: DayHours = []
    thu: DayHours = []
    fri: DayHours = []
    sat: DayHours = []
    sun: DayHours = []

    @model_validator(mode="after")
    def _consistent(self) -> WeekHours:
        hours.check_week(self.model_dump())
        return self


class UpdateMerchant(RequestModel):
    """``hours: null`` means open around the clock; ``paused`` closes the shop now, whatever the hours."""

    name: Name = None
    address: Annotated[Line, StringConstraints(min_length=1, max_length=200)] = None
    location: LatLng = None
    phone: Phone = None
    hours: WeekHours | None = None
    holidays: Annotated[list[date], Field(max_length=366)] = None
    paused: bool = None
    auto_confirm: bool = None
    prep_minutes: Annotated[int, Field(ge=1, le=180)] = None
    slot_minutes: Annotated[int, Field(ge=10, le=240)] = None  # scheduled delivery slot length
    slot_capacity: Annotated[int, Field(ge=0, le=1000)] = None  # scheduled orders per slot; 0 takes none
    proof_of_delivery: ProofOfDelivery = None
    on_confirm_timeout: OnConfirmTimeout = None
    refund_rules: RefundRules | None = None  # null: the platform's rules only


class CategoryIn(RequestModel):
    """A menu category; without ``id`` it is new."""

    id: Id | None = None
    name: Annotated[Line, StringConstraints(min_length=1, max_length=30)]


class Category(ResponseModel):
    id: str
    name: str


class NewProduct(RequestModel):
    """``stock: null`` sells without limit; below ``low_stock_threshold`` available, the merchant is alerted;
    ``daily_stock`` is what stock on hand goes back to every day at opening time."""

    name: Name
    description: Annotated[Prose, StringConstraints(max_length=500)] = ""
    price: Price
    category_id: Id | None = None
    options: Annotated[list[OptionGroup], Field(max_length=10)] = []
    stock: Stock | None
    on_sale: bool = True
    low_stock_threshold: Threshold | None = None
    daily_stock: Stock | None = None


class EditProduct(RequestModel):
    """Compare-and-set: ``version`` is the one the editor read; a stale one is 409 VERSION_CONFLICT."""

    version: int = Field(ge=1)
    name: Name = None
    description: Annotated[Prose, StringConstraints(max_length=500)] = None
    price: Price = None
    category_id: Id | None = None
    options: Annotated[list[OptionGroup], Field(max_length=10)] = None
    stock: Stock | None = None
    on_sale: bool = None
    low_stock_threshold: Threshold | None = None
    daily_stock: Stock | None = None


class StockCount(RequestModel):
    product_id: Id
    stock: Stock
    reason: Reason | None = None


class Restock(RequestModel):
    qty: int = Field(ge=1, le=1_000_000)
    reason: Reason | None = None


class ImageUploadRequest(RequestModel):
    content_type: ImageType


class ImageUpload(ResponseModel):
    """A presigned POST: send ``fields`` as form fields, then the file as ``file``, to ``url`` within ``expires_in``
    seconds; then attach ``image_id`` to a product."""

    image_id: str
    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class ProductImages(RequestModel):
    """The product's images, in display order: uploaded ids to add, current ids to keep; the rest are removed."""

    images: list[Id] = Field(max_length=9)
    version: int = Field(ge=1)


class MerchantView(ResponseModel):
    """A merchant's profile. ``open``: taking orders now; ``next_opening``: when it will (None when paused)."""

    id: str
    name: str
    address: str
    location: Location
    phone: str
    open: bool
    next_opening: str | None
    paused: bool  # by its owner (暂停营业)
    suspended: bool = False  # by operators: no orders until they reinstate it
    food_permit_lapsed: bool = False  # no orders until a renewed permit is approved (docs/adr/0026)
    hours: dict[str, list[TimeRange]] | None
    holidays: list[str]
    prep_minutes: int
    slot_minutes: int
    slot_capacity: int
    auto_confirm: bool
    proof_of_delivery: ProofOfDelivery
    on_confirm_timeout: OnConfirmTimeout = "cancel"
    refund_rules: dict[str, str] = {}
    categories: list[Category]


class OwnedMerchantView(MerchantView):
    """A merchant as its owner sees it: also why operators suspended it, while they have."""

    suspension_reason: str | None = None


class LedgerEntry(ResponseModel):
    """One line of "why is stock N".

    ``action``: an order's hold moving (``reserve``, ``commit``, ``release``, ``return``; ``state`` is where that
    step took it) or a count the merchant or the daily reset set (``adjust``, ``restock``, ``reset``).
    ``qty``: units the order holds, or the change on hand; ``stock_change`` and ``available_change``: what the line
    did to stock on hand and to what customers may still order.
    """

    ref: str
    step: int = 0  # an order's hold: 0 for the reserve, 1 for the move after it
    kind: str
    action: str
    state: str
    qty: int
    stock_change: int
    available_change: int
    order_id: str | None = None
    adjustment_id: str | None = None
    stock_after: int | None = None
    at: str
    by: str | None = None
    reason: str | None = None
