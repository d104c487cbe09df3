"""Orders that don't start in our mini-program (docs/adr/0010): a merchant's phone and walk-in orders, and
orders an external platform pushes (the platform's adapter, e.g. ``orders.eleme``, maps them to an
:class:`ExternalOrder`).

Each goes through the same intake as ``POST /orders``: the order and its stock
holds in one transaction, 409 ``OUT_OF_STOCK`` and nothing written when stock
is short. None of them pays through us: the money was taken elsewhere (at the
counter, on the platform) or is taken in cash at the door, so right after
intake the system moves the order PENDING_PAYMENT → PAID, naming the payment
mode; StockWorker then commits the stock and the merchant confirms, as for any
paid order. Intake and that move are two writes: a retry (the same
Idempotency-Key, or the platform's redelivery) replays the intake, finds the
order still PENDING_PAYMENT and finishes the move.

Order ids: a merchant's order from (merchant, Idempotency-Key), a pushed order
from (channel, the platform's order id), so a push delivered five times, or
five at once, is one order.

A platform's cancellation of an order we don't have (we refused its push, or
the push is late) is recorded, and intake takes no order so recorded: the
record's absence is a condition of intake's transaction, and the record is
written only while the order is absent, so of a push and a cancellation that
cross, either the order is not taken or it is there to cancel.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.catalog import pricing
from paotui.orders import bindings, service
from paotui.orders.channel_models import MerchantOrder
from paotui.orders.models import PlaceOrder
from paotui.orders.records import AddressMap, AmountsMap, ChannelCancellationRecord, LineItemMap, OrderRecord
from paotui.orders.transitions import TRANSITIONS, Actor, Status
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.dynamo import failed_conditions, transact_write
from paotui.platform.errors import NotFound, Unprocessable
from paotui.platform.ids import fingerprint, stable_id
from paotui.platform.models import Fen, Line, Prose
from paotui.platform.observability import logger, metrics

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

    from paotui.catalog.records import MerchantRecord

ExternalChannel = Literal["eleme"]
PAYMENT_REASONS = {"cash_on_delivery": "cash on delivery", "paid_in_store": "paid in store"}
CANCELLABLE = frozenset(
    current
    for (current, target), actors in TRANSITIONS.items()
    if target is Status.CANCELLED and Actor.SYSTEM in actors
)
"""Where the system may still cancel an order: what a platform's cancellation reaches."""
EXTERNAL_ID_MAX_LENGTH = 64
"""A platform's order id, at most: longer is no order of a platform's (nor a key DynamoDB takes)."""
CANCELLATION_KEPT = timedelta(days=7)
"""How long a cancellation of an order we don't have is remembered: long past a platform's redeliveries."""


def settle_upfront(order: OrderRecord, *, reason: str) -> OrderRecord:
    """PENDING_PAYMENT → PAID for an order whose money we don't take online (then confirmed, if the merchant
    confirms everything); on a retry it finishes whatever a crash left undone."""
    if order.status == Status.PENDING_PAYMENT.value:
        moved = service.system_transition(
            order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason=reason, by=f"channel:{order.channel}"
        )
        order = moved or service.get_order(order.id)
    return service.confirm_if_automatic(order)


# --- phone and walk-in orders -------------------------------------------------------------------------------


def place_merchant_order(
    merchant_id: str, caller: Principal, idempotency_key: str, request: MerchantOrder
) -> tuple[OrderRecord, bool]:
    """A phone or walk-in order the merchant (or an admin) enters, once per (merchant, Idempotency-Key).

    Priced and reserved exactly as the mini-program's. The customer is the user
    with the delivery contact's phone, created if new, so the order is theirs
    when they sign in with it. Returns the order and whether this call created it.
    """
    from paotui.accounts.service import ensure_user
    from paotui.catalog.lookup import managed_merchant

    merchant = managed_merchant(caller, merchant_id)
    order_id = stable_id("ord_", merchant.id, idempotency_key)
    digest = fingerprint(request)
    order, created = service.replay(order_id, digest), False
    if order is None:
        customer = ensure_user(request.address.contact_phone, ["customer"])
        contents = PlaceOrder.model_validate(
            {**request.model_dump(exclude={"channel", "payment"}), "merchant_id": merchant.id}
        )
        order, created = service.intake(
            order_id,
            customer.id,
            digest,
            contents,
            by=f"merchant:{caller.user_id}",
            channel=request.channel,
            collect_on_delivery=request.payment == "cash_on_delivery",
        )
    return settle_upfront(order, reason=PAYMENT_REASONS[request.payment]), created


# --- orders pushed by a platform --------------------------------------------------------------------------


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExternalLine(_Value):
    product_id: str | None  # the merchant's own code for the item on the platform (our product id); None if unset
    name: Line
    quantity: int = Field(ge=1)
    unit_price: Fen
    line_total: Fen


class ExternalAddress(_Value):
    lat: float = Field(ge=-90, le=90)  # GCJ-02, as Chinese platforms give it
    lng: float = Field(ge=-180, le=180)
    detail: Annotated[Line, StringConstraints(min_length=1, max_length=200)]
    contact_name: Annotated[Line, StringConstraints(min_length=1, max_length=50)]
    contact_phone: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class ExternalOrder(_Value):
    """An order as a platform hands it over, in our terms: what an adapter makes of a push, and all intake needs.

    Amounts are the platform's (what the customer paid there), in fen: ``total``
    may differ from the lines plus ``delivery_fee`` by the platform's discounts
    and packing fees.
    """

    channel: ExternalChannel
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=EXTERNAL_ID_MAX_LENGTH)]
    shop_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    customer_ref: Annotated[str, StringConstraints(min_length=1, max_length=80)]  # the platform's id for the buyer
    lines: list[ExternalLine] = Field(min_length=1)
    address: ExternalAddress
    delivery_fee: Fen
    total: Fen
    paid_online: bool = True  # False: the rider collects ``total`` in cash
    note: Annotated[Prose, StringConstraints(max_length=500)] | None = None
    scheduled_for: AwareDatetime | None = None  # None: as soon as possible


def external_order_id(channel: str, external_id: str) -> str:
    return stable_id("ord_", channel, external_id)


def cancellation_key(channel: str, external_id: str) -> str:
    return f"{channel}#cancelled#{external_id}"


def accept_external(order: ExternalOrder) -> tuple[OrderRecord, bool] | None:
    """Take a platform's order, once per (channel, platform order id); returns it and whether this call created it.

    None, and nothing written, when the platform has cancelled it already: the push is then done with.
    404 ``SHOP_NOT_BOUND`` (no merchant bound the shop), 409 ``MERCHANT_SUSPENDED`` (by operators) or
    ``FOOD_PERMIT_EXPIRED``, 422 ``SCHEDULE_TOO_FAR`` / ``UNKNOWN_PRODUCT`` (an item names none of the merchant's
    products), 409
    ``OUT_OF_STOCK``: nothing written.
    """
    from paotui.catalog.service import get_merchant, get_products

    order_id = external_order_id(order.channel, order.external_id)
    digest = fingerprint(order)
    record, created = service.replay(order_id, digest), False
    if record is None:
        if order.scheduled_for is not None:  # a platform's time may be past (a late push), not beyond our booking
            pricing.within_horizon(order.scheduled_for, clock.now())
        if _cancelled_on_platform(order):
            return None
        merchant = get_merchant(bindings.merchant_for(order.channel, order.shop_id))
        pricing.allowed_to_sell(merchant)
        quantities = Counter[str]()
        for line in order.lines:
            quantities[line.product_id or ""] += line.quantity
        known = get_products(merchant.id, [product_id for product_id in quantities if product_id])
        unknown = [line.name for line in order.lines if line.product_id not in known]
        if unknown:
            raise Unprocessable(
                "Some items are not this merchant's products: set their codes to our product ids on the platform.",
                code="UNKNOWN_PRODUCT",
                details={"items": unknown},
            )
        key = cancellation_key(order.channel, order.external_id)

        def not_cancelled(transaction: TransactWrite) -> None:
            transaction.condition_check(
                ChannelCancellationRecord, key, condition=ChannelCancellationRecord.key.does_not_exist()
            )

        pending = _pending(order, order_id, digest, merchant)
        try:
            record, created = service.open_order(pending, merchant, quantities, stage_checks=not_cancelled)
        except TransactWriteError:
            if _cancelled_on_platform(order):  # cancelled between our read and our write
                return None
            raise
    reason = f"paid on {order.channel}" if order.paid_online else f"cash on delivery ({order.channel})"
    return settle_upfront(record, reason=reason), created


def _cancelled_on_platform(order: ExternalOrder) -> bool:
    """Whether the platform cancelled the order before we took it (logged and counted: its push is dropped)."""
    try:
        ChannelCancellationRecord.get(cancellation_key(order.channel, order.external_id), consistent_read=True)
    except DoesNotExist:
        return False
    logger.info(
        "platform's order not taken: cancelled there already",
        extra={"channel": order.channel, "external_id": order.external_id},
    )
    metrics.add_metric(name="ChannelOrdersCancelledBeforeIntake", unit="Count", value=1)
    return True


def _pending(order: ExternalOrder, order_id: str, digest: str, merchant: MerchantRecord) -> OrderRecord:
    return service.pending_order(
        order_id,
        f"{order.channel}:{order.customer_ref}",
        digest,
        by=f"channel:{order.channel}",
        merchant_id=merchant.id,
        channel=order.channel,
        external_id=order.external_id,
        items=[
            LineItemMap(
                product_id=line.product_id,
                name=line.name,
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
            )
            for line in order.lines
        ],
        amounts=AmountsMap(
            items_total=sum(line.line_total for line in order.lines),
            delivery_fee=order.delivery_fee,
            total=order.total,
            collect_on_delivery=None if order.paid_online else order.total,
        ),
        address=AddressMap(**order.address.model_dump()),
        pickup=service.merchant_pickup(merchant),
        scheduled_for=clock.iso(order.scheduled_for) if order.scheduled_for else None,
        note=order.note,
    )


def cancel_external(channel: ExternalChannel, external_id: str, reason: str) -> OrderRecord | None:
    """The platform cancelled its order: the system cancels ours (stock and rider are freed as for any cancel).

    None when there is nothing to cancel: it is past pickup or over, or we don't have it (we refused its push,
    or the push is late), which is recorded so that its push is not taken later.
    """
    order_id = external_order_id(channel, external_id)
    try:
        return _cancel(order_id, channel, reason)
    except NotFound:
        if _record_cancellation(channel, external_id, order_id, reason):
            return None
    return _cancel(order_id, channel, reason)  # its push was taken between our read and our record


def _cancel(order_id: str, channel: str, reason: str) -> OrderRecord | None:
    return service.system_transition(
        order_id, Status.CANCELLED, expected=CANCELLABLE, reason=reason, by=f"channel:{channel}"
    )


def _record_cancellation(channel: str, external_id: str, order_id: str, reason: str) -> bool:
    """Record the cancellation of an order we don't have, on condition that we still don't; False if we do.

    A redelivered cancellation records it again (and keeps it for longer).
    """
    now = clock.now()
    record = ChannelCancellationRecord(
        cancellation_key(channel, external_id),
        order_id=order_id,
        reason=reason,
        cancelled_at=clock.iso(now),
        ttl=now + CANCELLATION_KEPT,
    )
    try:
        with transact_write() as transaction:
            transaction.condition_check(OrderRecord, order_id, condition=OrderRecord.id.does_not_exist())
            transaction.save(record)
    except TransactWriteError as error:
        if not any(failed_conditions(error)):
            raise
        return False
    logger.info("platform cancelled an order we don't have", extra={"channel": channel, "external_id": external_id})
    return True
