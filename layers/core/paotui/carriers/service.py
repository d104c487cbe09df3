"""Orders a third-party carrier delivers: handed over once, withdrawn on cancel, moved as the carrier reports.

Who delivers an order: the carrier that has it, or is being given it; else
its merchant's delivery settings (mode "carrier" names one, and so does
``allow_carrier_fallback`` once dispatch escalates an order no rider of ours
took, ``paotui.dispatch.escalation``). Errands and orders of merchants in
mode "self" go to our riders, and so do those of a carrier the deployment
hasn't configured (its secret ``{}``), with a warning.

Handing over (DispatchWorker, on CONFIRMED and on each re-dispatch the watchdog
asks for) is idempotent on the order. The carrier's quote is recorded on the
order with a compare-and-set on the quote it replaces (none at first) before
the carrier order is created from it, so repeated and concurrent runs all
create from the one recorded quote, and the carrier's own idempotency (one
order per origin_id, one per quote) answers the repeats as success. A lapsed
quote is replaced the same way. The hand-over is recorded last; if the order
was cancelled meanwhile, or one of our riders took it, the carrier order is
withdrawn at once. A rider can take the order only while no carrier is being
given it (``orders.service.stage_assignment``), and a quote is recorded only
while the order has no rider, so one of the two wins. A refusal (no
balance, a city the carrier doesn't serve) is recorded on the order and
alerted, and the next re-dispatch tries again from a fresh quote, so topping up
or switching to our riders unblocks the order. An unreachable carrier raises:
SQS retries the message.

Following (CarriersApi): a callback is verified by its carrier, then the
carrier is asked for the order's state over its authenticated API (Dada's
callback signature has no secret in it), and that state is recorded on the
order (its code, rider, position; older news never overwrites newer) and
followed with CARRIER moves of the transition table, one edge at a time, so a
skipped status (Dada's 骑士到店 is optional) still leaves a whole timeline. A
state behind ours (a late or repeated callback) moves nothing; one we can't
follow (cancelled by the carrier during delivery) or the carrier giving up
(Dada 1000, 7) is recorded on the order and alerted: a person decides.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from paotui.carriers.interface import (
    ORDER_EXISTS,
    QUOTE_EXPIRED,
    Carrier,
    CarrierState,
    Receiver,
    Shipment,
    unavailable,
)
from paotui.catalog.delivery import CarrierShop, settings_of
from paotui.catalog.records import MerchantRecord
from paotui.orders import service as orders
from paotui.orders.cancellation import APPROVED
from paotui.orders.records import (
    CarrierExceptionMap,
    CarrierMap,
    CarrierRiderMap,
    OrderRecord,
    PositionMap,
)
from paotui.orders.transitions import PROGRESS, TRANSITIONS, Actor, Status
from paotui.platform import clock
from paotui.platform.errors import BadGateway, Conflict, DomainError, NotFound
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.platform.dynamo import update_if

GAVE_UP = "CARRIER_GAVE_UP"
UNFOLLOWABLE = "CARRIER_STATUS_UNFOLLOWABLE"
_ATTEMPTS = 6  # quote, create, and again from a fresh quote, with room for a concurrent run's writes
CANCELLABLE = frozenset(source for source, target in TRANSITIONS if target is Status.CANCELLED)


def configured_carrier(name: str) -> Carrier | None:
    """The deployment's adapter for carrier ``name``; None while its secret is ``{}``."""
    from paotui.carriers import dada  # only orders a carrier delivers load an adapter

    if name != dada.NAME:
        raise ValueError(f"no adapter for carrier {name!r}")
    return dada.configured()


def carrier_or_404(name: str) -> Carrier:
    carrier = configured_carrier(name)
    if carrier is None:
        raise NotFound(f"The carrier {name} is not configured in this deployment.", code="CARRIER_NOT_CONFIGURED")
    return carrier


def callback_url(name: str) -> str:
    """Where the carrier reports status changes: our public API (CarriersApi)."""
    return f"{get_settings().public_base_url.rstrip('/')}/carriers/{name}/callback"


# --- handing over -----------------------------------------------------------------------------------------------


def hand_over(order: OrderRecord, *, fallback: bool = False, merchant: MerchantRecord | None = None) -> bool:
    """Give a confirmed order to the carrier that delivers it, once; False when our riders deliver it.

    ``fallback``: none of our riders took the order in time (``paotui.dispatch.escalation``), so a merchant of
    mode "self" that allows it (``allow_carrier_fallback``) has its carrier take it too. A refusal is handled as
    ever (recorded, True); :func:`is_with_carrier` then tells the caller the carrier did not take it.
    ``merchant``: the order's, if the caller has read it (dispatch has, for its escalation); read here otherwise.
    """
    routed = _carrier_of(order, fallback, merchant)
    if routed is None:
        return False
    carrier, shop = routed
    lapsed = None
    for _ in range(_ATTEMPTS):
        record = order.carrier
        if order.status != Status.CONFIRMED.value or (record is not None and record.handed_over_at):
            logger.info("no hand-over needed", extra={"order_id": order.id, "status": order.status})
            return True
        if record is None or not record.quote_id or record.exception or record.quote_id == lapsed:
            order = _quoted(order, carrier, shop)
            if order is None:
                return True
            continue
        try:
            carrier.create(order.id, record.quote_id)
        except BadGateway:
            raise
        except DomainError as error:
            if error.code != QUOTE_EXPIRED:
                _refused(order, carrier.name, shop, error)
                return True
            lapsed = record.quote_id
            order = orders.get_order(order.id)
            continue
        _handed_over(order, carrier, record)
        return True
    raise Conflict("The order kept changing while it was handed over.", code="CONCURRENT_UPDATE")


def is_with_carrier(order: OrderRecord) -> bool:
    """The order is with a carrier, or being given to one; one the carrier refused is not (yet)."""
    record = order.carrier
    return record is not None and bool(record.handed_over_at or not record.exception)


def merchant_of(order: OrderRecord) -> MerchantRecord | None:
    """The order's merchant; None for an errand, or a merchant that is gone. Dispatch reads it once a run for its
    escalation and for :func:`hand_over`."""
    if not order.merchant_id:
        return None
    try:
        return MerchantRecord.get(order.merchant_id)
    except DoesNotExist:
        return None


def _carrier_of(
    order: OrderRecord, fallback: bool, merchant: MerchantRecord | None
) -> tuple[Carrier, CarrierShop] | None:
    record = order.carrier
    if is_with_carrier(order):
        carrier = configured_carrier(record.name)
        if carrier is None:
            raise unavailable(record.name, "The carrier this order is with is no longer configured.")
        return carrier, CarrierShop(shop_no=record.shop_no, city_code=record.city_code)
    if not order.merchant_id:
        return None
    merchant = merchant if merchant is not None else merchant_of(order)
    if merchant is None:
        logger.warning("the order's merchant is gone: our riders deliver", extra={"order_id": order.id})
        return None
    settings = settings_of(merchant)
    if settings.mode != "carrier" and not (fallback and settings.allow_carrier_fallback):
        return None
    carrier = configured_carrier(settings.carrier)
    if carrier is None:
        logger.warning(
            "the merchant's carrier is not configured: our riders deliver",
            extra={"order_id": order.id, "carrier": settings.carrier},
        )
        metrics.add_metric(name="CarrierNotConfigured", unit="Count", value=1)
        return None
    return carrier, settings.carrier_shop


def _quoted(order: OrderRecord, carrier: Carrier, shop: CarrierShop) -> OrderRecord | None:
    """The order with a fresh quote recorded (ours, or a concurrent run's); None when the carrier refused."""
    replaced = order.carrier.quote_id if order.carrier else None
    try:
        quote = carrier.quote(_shipment(order, shop, carrier.name))
    except BadGateway:
        raise
    except DomainError as error:
        again = orders.get_order(order.id)
        if error.code == ORDER_EXISTS and again.carrier and again.carrier.quote_id != replaced:
            return again  # another run published it from the quote it recorded
        if error.code == ORDER_EXISTS and replaced and _carrier_has(carrier, order.id):
            # a run published our quote and died before recording it, and the quote has lapsed since, so the
            # carrier may not say "published" to it again: its order is ours all the same (ours is the only id)
            _handed_over(again, carrier, again.carrier)
            return orders.get_order(order.id)
        _refused(again, carrier.name, shop, error)
        return None
    now = clock.now_iso()
    record = CarrierMap(
        name=carrier.name,
        shop_no=shop.shop_no,
        city_code=shop.city_code,
        quote_id=quote.quote_id,
        fee=quote.fee,
        distance_m=quote.distance_m,
        quoted_at=now,
    )
    unchanged = (
        OrderRecord.carrier.quote_id.does_not_exist() if replaced is None else OrderRecord.carrier.quote_id == replaced
    )
    condition = (
        (OrderRecord.status == Status.CONFIRMED.value)
        & OrderRecord.rider_id.does_not_exist()
        & OrderRecord.carrier.handed_over_at.does_not_exist()
        & unchanged
    )
    if update_if(order, [OrderRecord.carrier.set(record)], condition):
        logger.info("carrier quote", extra={"order_id": order.id, "quote_id": quote.quote_id, "fee": quote.fee})
        return order
    return orders.get_order(order.id)


def _carrier_has(carrier: Carrier, order_id: str) -> bool:
    """Whether the carrier has a live order of ours by this id (asked, not taken from a callback)."""
    try:
        state = carrier.track(order_id)
    except BadGateway:
        raise
    except DomainError:
        return False
    return not state.gave_up and state.status is not Status.CANCELLED


def _handed_over(order: OrderRecord, carrier: Carrier, record: CarrierMap) -> None:
    """Record the hand-over, unless the order was cancelled or one of our riders took it while the carrier created
    its order: then that order is cancelled at the carrier. (Not "still CONFIRMED": the carrier's first callback
    may have moved it on already.) A concurrent run's refusal recorded meanwhile (it had read the order before our
    quote) is replaced by our quote: the carrier has the order, to be followed and withdrawn like any other."""
    free = (
        OrderRecord.carrier.handed_over_at.does_not_exist()
        & (OrderRecord.status != Status.CANCELLED.value)
        & OrderRecord.rider_id.does_not_exist()
    )
    handed = OrderRecord.carrier.handed_over_at.set(clock.now_iso())
    quoted = [
        OrderRecord.carrier.quote_id.set(record.quote_id),
        OrderRecord.carrier.fee.set(record.fee),
        OrderRecord.carrier.distance_m.set(record.distance_m),
        OrderRecord.carrier.quoted_at.set(record.quoted_at),
        OrderRecord.carrier.exception.remove(),
    ]
    ours = free & (OrderRecord.carrier.quote_id == record.quote_id)
    refused_meanwhile = free & OrderRecord.carrier.quote_id.does_not_exist()
    if update_if(order, [handed], ours) or update_if(order, [*quoted, handed], refused_meanwhile):
        logger.info(
            "order handed over", extra={"order_id": order.id, "carrier": carrier.name, "quote_id": record.quote_id}
        )
        metrics.add_metric(name="CarrierHandOvers", unit="Count", value=1)
        return
    order = orders.get_order(order.id)
    if order.status == Status.CANCELLED.value:  # cancelled while the carrier took it: take it back
        withdraw(order.id)
    elif order.rider_id:  # a concurrent run recorded a refusal and our rider took the order: the carrier's goes
        logger.warning("our rider took the order the carrier was given", extra={"order_id": order.id})
        _cancel_at(carrier, order, f"taken by our rider {order.rider_id}", by_customer=False)


def _refused(order: OrderRecord, name: str, shop: CarrierShop, error: DomainError) -> None:
    """The carrier won't take the order: say why on it (the next re-dispatch tries again) and alert."""
    problem = _problem(error.code, error.message, error.details)
    record = CarrierMap(name=name, shop_no=shop.shop_no, city_code=shop.city_code, exception=problem)
    update_if(order, [OrderRecord.carrier.set(record)], OrderRecord.carrier.handed_over_at.does_not_exist())
    _alert(order.id, name, problem, error.details)


def _shipment(order: OrderRecord, shop: CarrierShop, name: str) -> Shipment:
    address = order.address
    return Shipment(
        order_id=order.id,
        shop_no=shop.shop_no,
        city_code=shop.city_code,
        goods_value=int(order.amounts.items_total),
        goods_count=sum(int(item.quantity) for item in order.items),
        receiver=Receiver(
            name=address.contact_name,
            phone=address.contact_phone,
            address=address.detail,
            lat=float(address.lat),
            lng=float(address.lng),
        ),
        note=order.note,
        callback_url=callback_url(name),
    )


# --- withdrawing ----------------------------------------------------------------------------------------------


def withdraw(order_id: str) -> None:
    """Cancel the order at its carrier (it was cancelled here); a no-op for an order no carrier was given."""
    order = orders.get_order(order_id)
    record = order.carrier
    if record is None or not record.quote_id or record.cancelled_at:
        return
    carrier = configured_carrier(record.name)
    if carrier is None:
        raise unavailable(record.name, "The carrier this order is with is no longer configured.")
    _cancel_at(carrier, order, order.cancel_reason or "cancelled", by_customer=_by_customer(order))


def _by_customer(order: OrderRecord) -> bool:
    """The customer cancelled the order. A carrier only has confirmed orders, which a customer cancels by a request
    the merchant approves (``orders.cancellation``): the move itself is the merchant's."""
    request = order.cancel_request
    return request is not None and request.status == APPROVED


def _cancel_at(carrier: Carrier, order: OrderRecord, reason: str, *, by_customer: bool) -> None:
    """Cancel the carrier's order of ours and record when; a refusal is flagged on the order for a person."""
    try:
        had_it = carrier.cancel(order.id, reason, by_customer=by_customer)
    except BadGateway:
        raise
    except DomainError as error:  # its rider is on the way to the customer already
        _flag(order, carrier.name, _problem(error.code, error.message, error.details), error.details)
        return
    if not had_it:  # never published: a hand-over still under way withdraws it when it finds the order cancelled
        return
    update_if(order, [OrderRecord.carrier.cancelled_at.set(clock.now_iso())], OrderRecord.carrier.exists())
    logger.info("withdrawn from the carrier", extra={"order_id": order.id, "carrier": carrier.name})


# --- following --------------------------------------------------------------------------------------------------


def on_callback(carrier: Carrier, callback: Any) -> None:
    """Follow the carrier's status callback for one of our orders: verified, then checked with the carrier.

    401 INVALID_SIGNATURE, 404 ORDER_NOT_FOUND / CARRIER_ORDER_NOT_FOUND, 502 CARRIER_UNAVAILABLE; all of them
    change nothing.
    """
    notice = carrier.notice(callback)
    order = orders.get_order(notice.order_id)
    if order.carrier is None or order.carrier.name != carrier.name:
        raise NotFound(f"No order of ours was given to {carrier.name} by that id.", code="CARRIER_ORDER_NOT_FOUND")
    asked_at = clock.now_iso()
    state = carrier.track(order.id)
    if state.code != notice.code:
        logger.info("the carrier's state differs from its callback", extra={"order_id": order.id, "said": notice.code})
    # anyone can sign a callback: its number for the order is taken only when Dada's own answer bears it out, once
    _record(order, state, asked_at, order_no=notice.order_no if state.code == notice.code else None)
    if state.gave_up:
        _flag(order, carrier.name, _problem(GAVE_UP, f"{carrier.name} {state.code} {state.label}"))
    if state.status is not None:
        _follow(order.id, carrier.name, state, notice.cancel_reason if notice.code == state.code else None)


def carrier_path(current: Status, target: Status) -> list[Status]:
    """The shortest run of carrier moves (table edges) from ``current`` to ``target``; [] if there is none."""
    paths: dict[Status, list[Status]] = {current: []}
    queue = deque([current])
    while queue:
        status = queue.popleft()
        if status is target:
            return paths[status]
        for (source, next_status), actors in TRANSITIONS.items():
            if source is status and Actor.CARRIER in actors and next_status not in paths:
                paths[next_status] = [*paths[status], next_status]
                queue.append(next_status)
    return []


def is_behind(current: Status, target: Status) -> bool:
    """Whether the carrier's news is older than ours: a late or repeated callback, or our cancellation not yet
    reached it."""
    if current is Status.CANCELLED:
        return target in CANCELLABLE
    return target in PROGRESS and current in PROGRESS and PROGRESS[target] <= PROGRESS[current]


def _follow(order_id: str, name: str, state: CarrierState, reason: str | None) -> None:
    """Move the order to the carrier's status one carrier move at a time, re-reading after each (concurrent
    callbacks walk the same path; each move is conditional on the status it starts from)."""
    target = state.status
    why = reason or f"{name} {state.code} {state.label}"
    current = Status(orders.get_order(order_id).status)
    for _ in range(len(Status)):
        steps = carrier_path(current, target)
        if not steps:
            break
        moved = orders.system_transition(
            order_id, steps[0], expected={current}, reason=why, by=f"carrier:{name}", actor=Actor.CARRIER
        )
        current = Status(moved.status) if moved else Status(orders.get_order(order_id).status)
    if current is not target and not is_behind(current, target):
        problem = _problem(UNFOLLOWABLE, f"{name} says {state.code} {state.label}; the order is {current.value}")
        _flag(orders.get_order(order_id), name, problem)


def _record(order: OrderRecord, state: CarrierState, asked_at: str, *, order_no: str | None = None) -> None:
    """Write what the carrier said when asked at ``asked_at`` on the order, unless an answer to a later question is
    there already. The question's time, not the write's: a slow answer to an earlier question, written after a
    quicker answer to a later one, is the older news. ``order_no`` (the carrier's number for the order) is kept from
    the first write that has one: it never changes, and a later one could come from a forger."""
    actions = [
        OrderRecord.carrier.status.set(state.code),
        OrderRecord.carrier.status_label.set(state.label),
        OrderRecord.carrier.seen_at.set(asked_at),
    ]
    if order_no:
        actions.append(OrderRecord.carrier.order_no.set(OrderRecord.carrier.order_no | order_no))  # the first stays
    if state.rider:
        rider = CarrierRiderMap(name=state.rider.name, phone=state.rider.phone, id=state.rider.id)
        actions.append(OrderRecord.carrier.rider.set(rider))
    else:  # none now (its rider gave the order back): nobody to show, call or follow on a map
        actions.append(OrderRecord.carrier.rider.remove())
    if state.position:
        lat, lng = state.position
        actions.append(OrderRecord.carrier.position.set(PositionMap(lat=lat, lng=lng, at=asked_at)))
    elif not state.rider:
        actions.append(OrderRecord.carrier.position.remove())
    if state.status is Status.CANCELLED:
        actions.append(OrderRecord.carrier.cancelled_at.set(asked_at))
    newer = OrderRecord.carrier.seen_at.does_not_exist() | (OrderRecord.carrier.seen_at <= asked_at)
    if not update_if(order, actions, OrderRecord.carrier.exists() & newer):
        logger.info("newer carrier news recorded already", extra={"order_id": order.id, "code": state.code})


# --- the rider's position ------------------------------------------------------------------------------------


def rider_position(order: OrderRecord) -> PositionMap | None:
    """Where the carrier's rider is: as recorded, asked of the carrier again once what we know is older than
    the setting allows (carriers call back on status changes only)."""
    record = order.carrier
    if record is None:
        return None
    max_age = timedelta(seconds=get_settings().carrier_position_max_age_seconds)
    if record.seen_at and record.seen_at >= clock.iso(clock.now() - max_age):
        return record.position
    carrier = configured_carrier(record.name)
    if carrier is None or not record.handed_over_at:
        return record.position
    asked_at = clock.now_iso()
    try:
        state = carrier.track(order.id)
    except DomainError as error:
        logger.warning("the carrier's rider position is unavailable", extra={"order_id": order.id, "code": error.code})
        return record.position
    _record(order, state, asked_at)
    return order.carrier.position


# --- writing and alerting -----------------------------------------------------------------------------------------


def _flag(order: OrderRecord, name: str, problem: CarrierExceptionMap, details: dict[str, Any] | None = None) -> None:
    """Record a problem with a handed-over order and alert, once: a repeated callback finds it there already."""
    known = order.carrier.exception
    if known is not None and (known.code, known.message) == (problem.code, problem.message):
        return
    update_if(order, [OrderRecord.carrier.exception.set(problem)], OrderRecord.carrier.exists())
    _alert(order.id, name, problem, details)


def _problem(code: str, message: str, details: dict[str, Any] | None = None) -> CarrierExceptionMap:
    """What goes on the order: our code, and the carrier's own code and words when it gave them."""
    if details and "carrier_code" in details:
        message = f"{message} ({details['carrier_code']} {details.get('carrier_message', '')})"
    return CarrierExceptionMap(code=code, message=message[:500], at=clock.now_iso())


def _alert(order_id: str, name: str, problem: CarrierExceptionMap, details: dict[str, Any] | None = None) -> None:
    """What operations watch: an error log line and the CarrierExceptions metric."""
    context = {"order_id": order_id, "carrier": name, "code": problem.code, "reason": problem.message}
    logger.error("carrier exception", extra={**context, **(details or {})})
    metrics.add_metric(name="CarrierExceptions", unit="Count", value=1)
