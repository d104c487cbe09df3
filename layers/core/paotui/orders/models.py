"""Request and response shapes of the orders API (API.md "Orders")."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StrictBool,
    StringConstraints,
    computed_field,
    field_validator,
    model_validator,
)

from paotui.catalog.models import FeeLine
from paotui.orders.feedback_models import ComplaintView, RatingView
from paotui.orders.refund_rules import FailureReason
from paotui.orders.transitions import Status
from paotui.platform.models import Fen, LatLng, Line, Phone, PlaceView, PointView, Prose, RequestModel, ResponseModel
from paotui.platform.settings import get_settings
from paotui.platform.uploads import ImageType
from paotui.riders.navigation import OrderNavigation

Text = Annotated[Prose, StringConstraints(min_length=1, max_length=200)]  # a reason, a note
Place = Annotated[Line, StringConstraints(min_length=1, max_length=200)]  # an address
Name = Annotated[Line, StringConstraints(min_length=1, max_length=50)]
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
    detail: Place
    contact_name: Name
    contact_phone: Phone


class OrderContents(RequestModel):
    """What is ordered, where to and when: the same whoever enters the order (orders.channels)."""

    items: list[OrderItemIn] = Field(min_length=1, max_length=50)
    address: DeliveryAddress
    scheduled_for: AwareDatetime | None = None  # a time without a zone is ambiguous, as in quotes
    note: Annotated[Prose, StringConstraints(max_length=200)] | None = None

    @field_validator("items")
    @classmethod
    def _one_line_per_product(cls, items: list[OrderItemIn]) -> list[OrderItemIn]:
        ids = [item.product_id for item in items]
        if len(set(ids)) != len(ids):
            raise ValueError("list each product once, with its total quantity")
        return items


class PlaceOrder(OrderContents):
    """``coupon_id``: one of the customer's AVAILABLE coupons (``GET /me/coupons``), used up by this order."""

    merchant_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    coupon_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class CancelOrder(RequestModel):
    reason: Text


class DeliveryRetry(RequestModel):
    """The customer can be reached now: ``note`` tells the rider how (e.g. "at the north gate")."""

    note: Text | None = None


class CancelAnswer(RequestModel):
    """The merchant's answer to a customer's cancel request; a refusal may say why."""

    approve: bool
    reason: Text | None = None


DeliveryCode = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
CheckedItems = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=50)]
"""The product ids a rider checked at pickup: every product of the order."""


class DeliveryProof(RequestModel):
    """The customer's 4-digit 收货码, or the key of a photo uploaded through ``POST /orders/{id}/proof-photos``."""

    code: DeliveryCode | None = None
    photo_key: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> DeliveryProof:
        if (self.code is None) == (self.photo_key is None):
            raise ValueError("give either code or photo_key")
        return self


class TransitionRequest(RequestModel):
    """A move, with what the rider reports along with it (orders.proof).

    ``position``: where the rider is (GCJ-02); without it, the rider's last reported location if fresh. Checked
    arriving at the store (PICKING_UP) and at DELIVERED. ``items_checked``: with DELIVERING, true, or for an
    order with items the product ids checked (all of them). ``proof``: with DELIVERED. ``failure_reason``: with
    DELIVERY_FAILED (``reason`` then is a free note). ``reason`` also overrides a geofence refusal.
    """

    to: Status
    reason: Text | None = None
    goods_amount: GoodsAmount | None = None  # with DELIVERED of a buy errand, and only then (docs/adr/0008)
    position: LatLng | None = None
    items_checked: StrictBool | CheckedItems | None = None
    proof: DeliveryProof | None = None
    failure_reason: FailureReason | None = None

    @model_validator(mode="after")
    def _reports_fit_the_move(self) -> TransitionRequest:
        misplaced = [
            name
            for name, status in (
                ("items_checked", Status.DELIVERING),
                ("proof", Status.DELIVERED),
                ("failure_reason", Status.DELIVERY_FAILED),
            )
            if getattr(self, name) is not None and self.to is not status
        ]
        if misplaced:
            raise ValueError(f"{', '.join(misplaced)} do(es) not go with a move to {self.to.value}")
        return self


class LineItem(ResponseModel):
    product_id: str
    name: str
    unit_price: Fen
    quantity: int
    line_total: Fen


class Amounts(ResponseModel):
    """``breakdown``: the delivery fee line by line, as quoted when the order was placed. ``discount``: a coupon's,
    already taken off ``total``."""

    items_total: Fen
    delivery_fee: Fen
    discount: Fen = 0
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


class KitchenPrintView(ResponseModel):
    """The order's kitchen ticket on the shop's cloud printer: ``printing`` until the printer's cloud took it (tried
    again meanwhile), ``sent`` once it did (a printer offline or out of paper prints it when it can), ``failed``
    with the cloud's reason."""

    state: Literal["printing", "sent", "failed"]
    attempts: int
    reason: str | None = None
    reprints: int | None = None  # how often printed again at the shop's asking
    at: str


class GeofenceOverride(ResponseModel):
    """A move the rider made away from where it belongs (``step`` arrival: the pick-up; dropoff: the address)."""

    step: Literal["arrival", "dropoff"]
    distance_m: int | None  # None: no position was known
    reason: str
    at: str


class ProofView(ResponseModel):
    """How the delivery was proven. ``photo_url``: a short-lived link, for the customer, the merchant and admins."""

    kind: Literal["code", "photo"]
    photo_key: str | None = None
    photo_url: str | None = None
    at: str


class DeliveryFailure(ResponseModel):
    """Why the rider could not hand the order over (DELIVERY_FAILED); the exception workflow starts from it."""

    reason: FailureReason
    note: str | None = None
    at: str
    by: str
    position: PointView | None = None


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
    dispatch_at: str | None = None  # a scheduled order: when riders start being offered it
    promised_at: str | None = None  # when delivery was promised at placement (on-time KPIs measure against it)
    late_at: str | None = None  # when it was found late against promised_at (orders.compensation)
    coupon_id: str | None = None
    note: str | None = None
    cancel_reason: str | None = None
    cancel_request: CancelRequestView | None = None
    refund: RefundSummary | None = None
    rider_position: RiderPosition | None = None
    navigation: OrderNavigation | None = None  # for its rider while it is on their way: the next place, map links
    carrier: CarrierView | None = None
    kitchen_print: KitchenPrintView | None = None
    errand: ErrandView | None = None
    rating: RatingView | None = None
    complaint: ComplaintView | None = None
    delivery_code: str | None = None  # the 收货码: filled in only for the order's customer and admins (orders.api)
    proof: ProofView | None = None
    delivery_failure: DeliveryFailure | None = None
    geofence_overrides: list[GeofenceOverride] = []
    version: int
    created_at: str
    updated_at: str

    @computed_field
    @property
    def late(self) -> bool:
        """Not delivered by the time promised."""
        return self.late_at is not None

    @classmethod
    def of(cls, record: Any) -> Self:
        """The view of a stored order, without its 收货码: only the API, knowing who asks, may add that."""
        data = record.to_simple_dict(force=True)  # force: string sets (the alert ids), which the view leaves out
        data.pop("delivery_code", None)
        return cls.model_validate(data)

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


class ProofPhotoRequest(RequestModel):
    content_type: ImageType


class ProofPhotoUpload(ResponseModel):
    """A presigned POST for one proof photo: send ``fields`` as form fields, then the file as ``file``, to ``url``
    within ``expires_in`` seconds; then deliver with ``proof: {"photo_key": photo_key}``."""

    photo_key: str
    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class OrderPage(ResponseModel):
    items: list[OrderView]
    next_cursor: str | None


Role = Literal["customer", "merchant", "rider", "admin"]
# the reference people read out (platform.ids.short_ref), as they write it: AB12CD, ab12cd or #AB12CD
OrderRef = Annotated[str, StringConstraints(pattern=r"^#?[0-9A-Fa-f]{6}$")]


# --- errands (docs/adr/0008) ------------------------------------------------------------------

ChinaLat = Annotated[float, Field(ge=3.8, le=53.6)]
ChinaLng = Annotated[float, Field(ge=73.5, le=135.1)]


class ChinaPoint(RequestModel):
    """A GCJ-02 point within China's rough bounds: errands are priced by the platform, not a merchant's area."""

    lat: ChinaLat
    lng: ChinaLng


class ErrandPickup(ChinaPoint):
    detail: Place
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
    note: Annotated[Prose, StringConstraints(max_length=200)] | None = None

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
