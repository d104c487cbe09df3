"""Request and response shapes of the orders API (API.md "Orders")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, field_validator, model_validator

from paotui.catalog.models import FeeLine
from paotui.orders.transitions import Status
from paotui.platform.models import Fen, LatLng, Phone, PlaceView, PointView, RequestModel, ResponseModel
from paotui.platform.settings import get_settings

Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=50)]
ErrandType = Literal["send", "buy", "fetch"]  # 帮送, 帮买, 帮取
Channel = Literal["mini_program", "phone", "walk_in", "eleme"]  # how an order came in (docs/adr/0010)


def _at_most(setting: str) -> AfterValidator:
    """An upper bound that is a setting (DESIGN.md §3: every limit is), checked as the request is parsed."""

    def check(value: int) -> int:
        limit = getattr(get_settings(), setting)
        if value > limit:
            raise ValueError(f"must be at most {limit}")
        return value

    return AfterValidator(check)


GoodsAmount = Annotated[int, Field(gt=0), _at_most("errand_max_goods_fen")]
"""Fen a rider pays for a buy errand's goods, repaid by the customer on delivery."""


class OrderItemIn(RequestModel):
    product_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    quantity: int = Field(ge=1, le=99)


class DeliveryAddress(LatLng):
    detail: Text
    contact_name: Name
    contact_phone: Phone


class OrderContents(RequestModel):
    """What is ordered, where to and when: the same whoever enters the order (orders.channels)."""

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


class PlaceOrder(OrderContents):
    merchant_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CancelOrder(RequestModel):
    reason: Text


class CancelAnswer(RequestModel):
    """The merchant's answer to a customer's cancel request; a refusal may say why."""

    approve: bool
    reason: Text | None = None


class TransitionRequest(RequestModel):
    to: Status
    reason: Text | None = None
    goods_amount: GoodsAmount | None = None  # with DELIVERED of a buy errand, and only then (docs/adr/0008)


class LineItem(ResponseModel):
    product_id: str
    name: str
    unit_price: Fen
    quantity: int
    line_total: Fen


class Amounts(ResponseModel):
    """``breakdown``: the delivery fee line by line, as quoted when the order was placed."""

    items_total: Fen
    delivery_fee: Fen
    total: Fen
    breakdown: list[FeeLine] = []
    collect_on_delivery: Fen = 0  # cash the rider collects at the door (a phone order paid on delivery)


class CancelRequestView(ResponseModel):
    """A customer's request to cancel a confirmed order: PENDING until the merchant APPROVED or REJECTED it."""

    reason: str
    at: str
    status: Literal["PENDING", "APPROVED", "REJECTED"]
    answered_at: str | None = None
    answer: str | None = None


class RefundSummary(ResponseModel):
    """Money given back so far: ``status`` PROCESSING while a refund is under way, FAILED if one needs operators."""

    status: Literal["PROCESSING", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED"]
    refunded: Fen


class RiderPosition(PointView):
    """Where the rider last reported being (GCJ-02), shown to the customer while the order is on its way."""

    at: str


class CarrierRider(ResponseModel):
    name: str | None = None
    phone: str | None = None


class CarrierProblem(ResponseModel):
    """Why the carrier can't carry the order on (its refusal or failure), for the merchant or an operator to act."""

    code: str
    message: str
    at: str


class CarrierView(ResponseModel):
    """The third-party carrier delivering the order (docs/adr/0012): its number and status for it, its rider."""

    name: Literal["dada"]
    order_no: str | None = None
    status: int | None = None  # the carrier's own code (Dada: 1 待接单 … 4 已完成), as last seen
    status_label: str | None = None
    handed_over_at: str | None = None
    rider: CarrierRider | None = None
    exception: CarrierProblem | None = None


class TimelineEntry(ResponseModel):
    status: Status
    at: str
    by: str
    reason: str | None = None


class AddressView(PointView):
    detail: str
    contact_name: str
    contact_phone: str


class PickupAddressView(ResponseModel):
    detail: str
    contact_name: str | None = None
    contact_phone: str | None = None


class ErrandView(ResponseModel):
    type: ErrandType
    item: str
    weight_g: int | None = None
    pickup_address: PickupAddressView
    pickup_at: str | None = None
    goods_estimate: Fen | None = None
    goods_amount: Fen | None = None


class OrderView(ResponseModel):
    id: str
    status: Status
    kind: Literal["food", "errand"] = "food"
    channel: Channel = "mini_program"
    external_id: str | None = None  # the platform's own order id, for an order a platform pushed
    merchant_id: str | None = None  # none for an errand
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
    cancel_request: CancelRequestView | None = None
    refund: RefundSummary | None = None
    rider_position: RiderPosition | None = None
    carrier: CarrierView | None = None
    errand: ErrandView | None = None
    version: int
    created_at: str
    updated_at: str

    @model_validator(mode="before")
    @classmethod
    def _refund_from_counters(cls, data: Any) -> Any:
        """The order keeps refund counters (payments.refunds); the view shows what they mean."""
        if not isinstance(data, dict) or "refund" in data:
            return data
        pending, failed = int(data.get("refunds_pending") or 0), int(data.get("refunds_failed") or 0)
        refunded = int(data.get("refunded") or 0)
        if pending:
            status = "PROCESSING"
        elif failed:
            status = "FAILED"
        elif refunded:
            total = int((data.get("amounts") or {}).get("total") or 0)
            status = "REFUNDED" if refunded >= total else "PARTIALLY_REFUNDED"
        else:
            return data
        return {**data, "refund": {"status": status, "refunded": refunded}}


class OrderPage(ResponseModel):
    items: list[OrderView]
    next_cursor: str | None


Role = Literal["customer", "merchant", "rider", "admin"]


# --- errands (docs/adr/0008) ------------------------------------------------------------------

ChinaLat = Annotated[float, Field(ge=3.8, le=53.6)]
ChinaLng = Annotated[float, Field(ge=73.5, le=135.1)]


class ChinaPoint(RequestModel):
    """A GCJ-02 point within China's rough bounds: errands are priced by the platform, not a merchant's area."""

    lat: ChinaLat
    lng: ChinaLng


class ErrandPickup(ChinaPoint):
    detail: Text
    name: Name | None = None  # a shop's or place's name
    contact_name: Name | None = None
    contact_phone: Phone | None = None


class ErrandDropoff(DeliveryAddress):
    lat: ChinaLat
    lng: ChinaLng


class ErrandQuoteRequest(RequestModel):
    type: ErrandType
    pickup: ChinaPoint
    dropoff: ChinaPoint
    weight_g: Annotated[int, Field(ge=0), _at_most("errand_max_weight_g")] | None = None
    pickup_at: AwareDatetime | None = None  # when to pick up, if not as soon as possible


class PlaceErrand(ErrandQuoteRequest):
    """帮送 send: from a sender (contact at the pick-up) to a recipient. 帮买 buy: goods described in ``item``,
    bought near the pick-up for ``goods_estimate``, brought to the customer. 帮取 fetch: from a contact at the
    pick-up to the customer."""

    pickup: ErrandPickup
    dropoff: ErrandDropoff
    item: Text
    goods_estimate: GoodsAmount | None = None
    note: Annotated[str, StringConstraints(max_length=200)] | None = None

    @model_validator(mode="after")
    def _fits_its_type(self) -> PlaceErrand:
        if (self.type == "buy") != (self.goods_estimate is not None):
            raise ValueError("goods_estimate is required for a buy errand, and only for one")
        if self.type != "buy" and not (self.pickup.contact_name and self.pickup.contact_phone):
            raise ValueError(f"a {self.type} errand needs pickup.contact_name and pickup.contact_phone")
        return self


class ErrandQuote(ResponseModel):
    """What the customer pays up front: the delivery fee (a buy errand's goods are settled on delivery)."""

    delivery_fee: Fen
    total: Fen
    distance_m: int
    eta: str
    eta_minutes: int
    breakdown: list[FeeLine]
