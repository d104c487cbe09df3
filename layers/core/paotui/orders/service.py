"""Order intake and every status change, each one a conditional write.

Intake writes the order and reserves its stock (and, when scheduled, a place
in its delivery slot) in one DynamoDB transaction, so an order exists exactly
when its stock is held. Status changes compare-and-set
on ``status`` and ``version`` and are checked against the transition table;
whatever reacts to them (stock, dispatch, notifications, the watchdog) reads
the Orders stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from paotui.orders import proof
from paotui.orders.records import (
    AddressMap,
    AmountsMap,
    FeeLineMap,
    LineItemMap,
    OrderRecord,
    TimelineEntryMap,
)
from paotui.orders.transitions import TERMINAL, UNASSIGNING, Actor, Status, is_allowed, may_move
from paotui.platform import clock
from paotui.platform.dynamo import PlaceMap, condition_failed, transact_write, update_if
from paotui.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from paotui.platform.ids import fingerprint, short_ref, stable_id
from paotui.platform.observability import logger

if TYPE_CHECKING:  # annotations only: the workers that move orders don't load the API's models and resolver
    from paotui.catalog.models import FeeLine
    from paotui.catalog.records import MerchantRecord
    from paotui.orders.models import PlaceOrder, TransitionRequest
    from paotui.platform.auth import Principal

_RETRIES_ON_RACE = 3


def get_order(order_id: str) -> OrderRecord:
    try:
        return OrderRecord.get(order_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such order.", code="ORDER_NOT_FOUND") from None


def _timeline_entry(status: Status, at: datetime, by: str, reason: str | None) -> TimelineEntryMap:
    return TimelineEntryMap(status=status.value, at=clock.iso(at), by=by, reason=reason)


def order_id_for(customer_id: str, idempotency_key: str) -> str:
    """Derived from the key, so a retry after a lost response lands on the same item (docs/adr/0003)."""
    return stable_id("ord_", customer_id, idempotency_key)


def pending_order(order_id: str, customer_id: str, digest: str, *, by: str | None = None, **fields) -> OrderRecord:
    """A new order awaiting payment: what every intake sets, plus its own ``fields``.

    ``by``: who entered it, when not the customer (a merchant taking a phone order, a platform pushing one).
    """
    now = clock.now()
    return OrderRecord(
        id=order_id,
        status=Status.PENDING_PAYMENT.value,
        version=1,
        customer_id=customer_id,
        created_at=clock.iso(now),
        created_day=clock.china_date(now),
        ref=short_ref(order_id),
        updated_at=clock.iso(now),
        timeline=[_timeline_entry(Status.PENDING_PAYMENT, now, by or customer_id, None)],
        request_fingerprint=digest,
        delivery_code=proof.new_delivery_code(),
        **fields,
    )


def fee_breakdown(lines: Iterable[FeeLine]) -> list[FeeLineMap]:
    """A quote's delivery-fee lines as the order keeps them."""
    return [FeeLineMap(code=line.code, label=line.label, amount=line.amount) for line in lines]


def place_order(customer_id: str, idempotency_key: str, request: PlaceOrder) -> tuple[OrderRecord, bool]:
    """Create the order and reserve its stock, once per (customer, idempotency key).

    Returns the order and whether this call created it.
    """
    order_id = order_id_for(customer_id, idempotency_key)
    digest = fingerprint(request)
    existing = replay(order_id, digest)
    if existing:
        return existing, False
    return intake(order_id, customer_id, digest, request)


def intake(
    order_id: str,
    customer_id: str,
    digest: str,
    request: PlaceOrder,
    *,
    collect_on_delivery: bool = False,
    **fields,
) -> tuple[OrderRecord, bool]:
    """Price ``request`` as a quote does and open the order: every order priced by our menu comes through here.

    ``collect_on_delivery``: the rider takes the total in cash at the door. ``fields`` go to :func:`pending_order`.
    """
    from paotui.catalog.pricing import price_order
    from paotui.catalog.service import get_merchant, get_products

    merchant = get_merchant(request.merchant_id)
    products = get_products(merchant.id, [item.product_id for item in request.items])
    quote = price_order(merchant, products, request.items, request.address, scheduled_for=request.scheduled_for)
    discount = 0
    if request.coupon_id:
        from paotui.coupons.service import discount_for

        discount = discount_for(customer_id, request.coupon_id, items_total=quote.items_total, total=quote.total)
    total = quote.total - discount

    record = pending_order(
        order_id,
        customer_id,
        digest,
        merchant_id=merchant.id,
        items=[
            LineItemMap(
                product_id=item.product_id,
                name=products[item.product_id].name,
                unit_price=int(products[item.product_id].price),
                quantity=item.quantity,
                line_total=int(products[item.product_id].price) * item.quantity,
            )
            for item in request.items
        ],
        amounts=AmountsMap(
            items_total=quote.items_total,
            delivery_fee=quote.delivery_fee,
            discount=discount or None,
            total=total,
            breakdown=fee_breakdown(quote.breakdown),
            collect_on_delivery=total if collect_on_delivery else None,
        ),
        address=AddressMap(**request.address.model_dump()),
        pickup=merchant_pickup(merchant),
        scheduled_for=clock.iso(request.scheduled_for) if request.scheduled_for else None,
        promised_at=quote.eta,
        note=request.note,
        coupon_id=request.coupon_id,
        **fields,
    )
    quantities = {item.product_id: item.quantity for item in request.items}
    return open_order(record, merchant, quantities, slot_at=request.scheduled_for)


def merchant_pickup(merchant: MerchantRecord) -> PlaceMap:
    """Where a rider collects a merchant's order: the shop, by name."""
    return PlaceMap(lat=merchant.location.lat, lng=merchant.location.lng, name=merchant.name)


def open_order(
    record: OrderRecord,
    merchant: MerchantRecord,
    quantities: Mapping[str, int],
    *,
    slot_at: datetime | None = None,
    stage_checks: Callable[[TransactWrite], None] | None = None,
) -> tuple[OrderRecord, bool]:
    """Write a new order with its stock held (and, given ``slot_at``, its place in that delivery slot; with a
    ``coupon_id``, the coupon used), all or nothing; ``stage_checks`` adds the caller's own conditions (a
    platform's order is not cancelled there), which hold in the same transaction.

    Returns the order and whether this call wrote it: a concurrent duplicate that won the order's condition is
    answered instead. 409 ``OUT_OF_STOCK`` / ``SLOT_FULL`` / ``COUPON_USED``, and nothing written, when the holds
    fail; the TransactWriteError itself when the caller's checks do.
    """
    from paotui.catalog import slot_bookings, stock
    from paotui.coupons import service as coupons

    if record.promised_at is None:
        record.promised_at = _promised_time(record, merchant)
    try:
        with transact_write() as transaction:
            for product_id, quantity in quantities.items():
                stock.stage_reservation(transaction, merchant.id, product_id, record.id, quantity)
            if slot_at is not None:
                record.slot_start = slot_bookings.stage_booking(transaction, merchant, slot_at, record.id)
            if record.coupon_id:
                coupons.stage_redemption(transaction, record.customer_id, record.coupon_id, record.id)
            if stage_checks is not None:
                stage_checks(transaction)
            transaction.save(record, condition=OrderRecord.id.does_not_exist())
    except TransactWriteError as error:
        replayed = replay(record.id, record.request_fingerprint)  # a concurrent duplicate won the order's condition
        if replayed:
            return replayed, False
        short = stock.shortfalls(error)
        if short:
            raise Conflict(
                "Not enough stock for some items.",
                code="OUT_OF_STOCK",
                details={"product_ids": sorted(short), "available": short},
            ) from None
        if slot_bookings.slot_full(error):
            raise slot_bookings.full_refusal() from None
        if record.coupon_id and coupons.redemption_failed(error, record.customer_id, record.coupon_id):
            raise Conflict("This coupon has just been used, or has expired.", code="COUPON_USED") from None
        raise
    logger.info("order placed", extra={"order_id": record.id, "total": record.amounts.total, "channel": record.channel})
    return record, True


def _promised_time(record: OrderRecord, merchant: MerchantRecord) -> str:
    """For an order no quote of ours priced (a platform's): its scheduled time, or a quote's ETA from now."""
    from paotui.catalog.pricing import distance_m, eta_minutes

    if record.scheduled_for:
        return record.scheduled_for
    minutes = eta_minutes(merchant, distance_m(merchant, record.address.lat, record.address.lng))
    return clock.iso(clock.now() + timedelta(minutes=minutes))


def replay(order_id: str, digest: str) -> OrderRecord | None:
    """The order this key already placed, or None; 422 when it was placed with another body."""
    try:
        existing = OrderRecord.get(order_id, consistent_read=True)
    except DoesNotExist:
        return None
    if existing.request_fingerprint != digest:
        raise Unprocessable("This Idempotency-Key was used for a different order.", code="IDEMPOTENCY_KEY_REUSED")
    return existing


def actors_for(order: OrderRecord, principal: Principal) -> set[Actor]:
    """Every capacity in which the caller relates to this order."""
    from paotui.catalog.service import owned_merchant_ids

    actors: set[Actor] = set()
    if principal.is_admin:
        actors.add(Actor.ADMIN)
    if order.customer_id == principal.user_id:
        actors.add(Actor.CUSTOMER)
    if principal.has("rider") and order.rider_id == principal.user_id:
        actors.add(Actor.RIDER)
    if principal.has("merchant") and order.merchant_id and order.merchant_id in owned_merchant_ids(principal.user_id):
        actors.add(Actor.MERCHANT)
    return actors


def get_visible_order(order_id: str, principal: Principal) -> OrderRecord:
    order = get_order(order_id)
    if not actors_for(order, principal):
        raise NotFound("No such order.", code="ORDER_NOT_FOUND")
    return order


def transition(
    order_id: str,
    target: Status,
    principal: Principal,
    reason: str | None = None,
    goods_amount: int | None = None,
    extra: Iterable[Action] = (),
    report: TransitionRequest | None = None,
) -> OrderRecord:
    """Move an order on behalf of a caller, who must be allowed that move on that order.

    ``goods_amount`` is what a buy errand's goods cost, reported with its DELIVERED (docs/adr/0008);
    ``extra`` are changes written in the same conditional update (e.g. answering a cancel request);
    ``report`` is what a rider reports with a move, checked and recorded by ``orders.proof``.
    """
    for _ in range(_RETRIES_ON_RACE):
        order = get_order(order_id)
        actors = actors_for(order, principal)
        if not actors:
            raise Forbidden("This order is not yours to change.", code="NOT_YOUR_ORDER")
        current = Status(order.status)
        if not is_allowed(current, target):
            raise Conflict(
                f"An order that is {current.value} can't become {target.value}.",
                code="INVALID_TRANSITION",
                details={"status": current.value, "to": target.value},
            )
        actor = next((a for a in sorted(actors) if may_move(current, target, a)), None)
        if actor is None:
            raise Forbidden(f"You may not move this order to {target.value}.", code="TRANSITION_FORBIDDEN")
        settlement = _goods_settlement(order, target, goods_amount)
        checked = proof.check_move(order, target, actor, reason, report)
        try:
            by = f"{actor.value}:{principal.user_id}"
            extra_actions = [*settlement, *checked.actions, *extra]
            moved = _apply(order, target, by=by, reason=checked.reason, extra=extra_actions, guard=checked.guard)
        except _LostRace:
            continue
        checked.made(moved)
        return moved
    raise Conflict("The order changed while we were updating it; try again.", code="CONCURRENT_UPDATE")


def system_transition(
    order_id: str,
    target: Status,
    *,
    expected: Iterable[Status],
    reason: str,
    by: str = "system",
    actor: Actor = Actor.SYSTEM,
    rider_id: str | None = None,
) -> OrderRecord | None:
    """A move the platform makes (payment, watchdog), or a carrier's on its verified word (``actor`` CARRIER).

    No-op unless the order is in ``expected`` and, when ``rider_id`` is given, still that rider's: a move decided
    about one rider (gone offline) must not take the order from the rider who took it over meanwhile.
    """
    expected = set(expected)
    for _ in range(_RETRIES_ON_RACE):
        order = get_order(order_id)
        current = Status(order.status)
        if current not in expected or (rider_id is not None and order.rider_id != rider_id):
            logger.info(
                "system transition skipped",
                extra={"order_id": order_id, "status": current.value, "target": target.value, "rider_id": rider_id},
            )
            return None
        if not may_move(current, target, actor):
            raise Conflict(f"{current.value} → {target.value} is not a {actor.value} move.", code="INVALID_TRANSITION")
        try:
            return _apply(order, target, by=by, reason=reason)
        except _LostRace:
            continue
    raise Conflict("The order kept changing; try again.", code="CONCURRENT_UPDATE")


def confirm_if_automatic(order: OrderRecord) -> OrderRecord:
    """A paid order nobody confirms by hand is confirmed now: an errand (it has no merchant), or an order of a
    merchant that confirms everything (``auto_confirm``). A no-op unless the order is PAID, so callers may run
    it on every retry."""
    from paotui.catalog.service import get_merchant

    if order.status != Status.PAID.value:
        return order
    if order.merchant_id is None:
        by = "system"
    elif get_merchant(order.merchant_id).auto_confirm:
        by = f"merchant:{order.merchant_id}"
    else:
        return order
    confirmed = system_transition(order.id, Status.CONFIRMED, expected={Status.PAID}, reason="auto-confirmed", by=by)
    return confirmed or get_order(order.id)


def _goods_settlement(order: OrderRecord, target: Status, goods_amount: int | None) -> list[Action]:
    """A buy errand is delivered together with what its goods cost, which the customer repays the rider."""
    settles = target is Status.DELIVERED and order.errand is not None and order.errand.type == "buy"
    if settles and goods_amount is None:
        raise Unprocessable("Say what the goods cost: goods_amount, in fen.", code="GOODS_AMOUNT_REQUIRED")
    if not settles and goods_amount is not None:
        raise Unprocessable("goods_amount goes only with delivering a buy errand.", code="GOODS_AMOUNT_UNEXPECTED")
    return [OrderRecord.errand.goods_amount.set(goods_amount)] if settles else []


class _LostRace(Exception):
    """Another writer changed the order between our read and our conditional write."""


def _apply(
    order: OrderRecord,
    target: Status,
    *,
    by: str,
    reason: str | None,
    extra: Iterable[Action] = (),
    guard: Condition | None = None,
) -> OrderRecord:
    """Compare-and-set one move (with ``extra`` changes that go with it, and only while ``guard`` holds too); a
    rider's capacity is freed in the same transaction when the order ends or is taken from them (``UNASSIGNING``).
    A move to CONFIRMED stores a scheduled order's ``dispatch_at`` (``paotui.workflow.schedule``). A move to
    DELIVERY_FAILED or RETURNING is then told to the parties, as an alert (``orders.exceptions.announce``)."""
    now = clock.now()
    actions = [
        OrderRecord.status.set(target.value),
        OrderRecord.version.add(1),
        OrderRecord.updated_at.set(clock.iso(now)),
        OrderRecord.timeline.set(OrderRecord.timeline.append([_timeline_entry(target, now, by, reason)])),
        *extra,
    ]
    if target is Status.CANCELLED and reason:
        actions.append(OrderRecord.cancel_reason.set(reason))
    if target is Status.CONFIRMED and order.dispatch_at is None:
        from paotui.workflow.schedule import dispatch_time  # a scheduled order waits for its riders' start

        due = dispatch_time(order)
        if due is not None:
            actions.append(OrderRecord.dispatch_at.set(clock.iso(due)))
    unassigning = (Status(order.status), target) in UNASSIGNING
    if unassigning:
        actions.append(OrderRecord.rider_id.remove())  # another rider takes it: stage_assignment wants none
    condition = (OrderRecord.status == order.status) & (OrderRecord.version == order.version)
    if guard is not None:
        condition &= guard
    try:
        if order.rider_id and (target in TERMINAL or unassigning):
            from paotui.riders.service import stage_release_capacity

            with transact_write() as transaction:
                transaction.update(order, actions=actions, condition=condition)
                stage_release_capacity(transaction, order.rider_id)
            order = get_order(order.id)
        else:
            order.update(actions=actions, condition=condition)
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        if reasons and getattr(reasons[0], "code", None) == "ConditionalCheckFailed":
            raise _LostRace from error
        raise
    except UpdateError as error:
        if condition_failed(error):
            raise _LostRace from error
        raise
    logger.info("order moved", extra={"order_id": order.id, "status": target.value, "by": by})
    if target in (Status.DELIVERY_FAILED, Status.RETURNING):
        from paotui.orders import exceptions  # a delivery gone wrong: the parties are told (orders.exceptions)

        exceptions.announce(order, target)
    return order


def stage_assignment(transaction: TransactWrite, order: OrderRecord, rider_id: str, *, at: datetime) -> None:
    """Add CONFIRMED → ASSIGNED to the caller's transaction: one rider per order, ever, and none while a carrier
    is being given the order or has it (``paotui.carriers.service.is_with_carrier``; one it refused is ours)."""
    transaction.update(
        order,
        actions=[
            OrderRecord.status.set(Status.ASSIGNED.value),
            OrderRecord.rider_id.set(rider_id),
            OrderRecord.version.add(1),
            OrderRecord.updated_at.set(clock.iso(at)),
            OrderRecord.timeline.set(
                OrderRecord.timeline.append([_timeline_entry(Status.ASSIGNED, at, f"rider:{rider_id}", None)])
            ),
        ],
        condition=(OrderRecord.status == Status.CONFIRMED.value)
        & (OrderRecord.version == order.version)
        & OrderRecord.rider_id.does_not_exist()
        & (
            OrderRecord.carrier.does_not_exist()
            | (OrderRecord.carrier.exception.exists() & OrderRecord.carrier.handed_over_at.does_not_exist())
        ),
    )


def reassign_customer(from_customer: str, to_customer: str) -> int:
    """Give every order of one customer to another (an accounts merge); returns how many moved.

    Each move is conditional on the order still being ``from_customer``'s, so
    re-running after a crash, or alongside another run, moves each order once.
    The status and version are untouched: it is the same order, and a
    concurrent status change is not a conflict.
    """
    moved = 0
    for order in OrderRecord.by_customer.query(from_customer):
        if not update_if(
            order,
            actions=[OrderRecord.customer_id.set(to_customer)],
            condition=OrderRecord.customer_id == from_customer,
        ):
            continue
        moved += 1
    if moved:
        logger.info("orders reassigned", extra={"from": from_customer, "to": to_customer, "orders": moved})
    return moved
