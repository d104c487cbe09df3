"""Offers: make them for confirmed orders, in rounds, and let the rider accept or reject each.

``dispatch`` runs the round of the order's zone (``paotui.dispatch.rounds``,
deciding with ``paotui.dispatch.engine``). It is driven by the order's
confirmation and by the watchdog's ``dispatch.requested`` (the offer lapsed
or was rejected); a run leaves a fresh open offer standing (one a round made
since the watchdog started waiting) and otherwise withdraws the order's open
offers, and a rider who refused or let an offer lapse is not asked again
within the cooldown.
The orders of one trip are offered to one rider with a shared ``bundle_id``.
While no rider takes an order, each run escalates it a step further
(``paotui.dispatch.escalation``): a wider search, a bonus on the rider's fee,
the merchant's carrier, operations.

Offer ids derive from (order, attempt), where attempt = prior offers + 1, and
the put is conditional: two concurrent runs for the same attempt write one
offer. A redelivered message is recognised by its event id (``trigger``) even
if the consumer's idempotency record was lost, so it never makes a second offer
nor escalates the order again.

Acceptance is one transaction: the offer (OPEN → ACCEPTED, still unexpired,
this rider's), the order (CONFIRMED → ASSIGNED via the orders service) and the
rider (one more open order, within capacity, online). Whoever loses a race
re-reads and gets the reason as a 409.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from paotui.carriers import service as carriers
from paotui.catalog.records import MerchantRecord
from paotui.dispatch import escalation
from paotui.dispatch.records import DropoffMap, OfferRecord, OfferStatus
from paotui.orders import service as orders
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.dynamo import PlaceMap, condition_failed, transact_write, update_if
from paotui.platform.errors import Conflict, Forbidden, NotFound
from paotui.platform.geo import haversine_m
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.riders import service as riders

if TYPE_CHECKING:
    from paotui.dispatch.rounds import PlannedOffer

ASSIGNMENT_STEP = "assignment"
OFFER_REJECTED = "OfferRejected"
OFFER_EXPIRED = "offer_expired"  # the watchdog's re-dispatch reason when its wait for an answer ran out
RIDER_ONLINE = "rider_online"  # the reason of offers a round made because a rider came on duty nearby
RIDER_FREED = "rider_freed"  # ... because an order of a rider nearby ended, giving them room
ASKED = "asked"  # ... for what a run whose rounds were spent handed on (dispatch.asked)
FOR_A_CARRIER = "handed to a carrier"  # the decision_reason of offers withdrawn for a fallback: not refusals
RIDER_FULL = "the rider is full"  # ... and of offers a rider at capacity could not accept any more: not refusals
OFFER_RETENTION_SECONDS = 24 * 3600  # DynamoDB TTL removes an offer this long after it expires
_RETRIES_ON_RACE = 3


class AssignmentWorkflow(Protocol):
    """The watchdog's task-token side (``paotui.workflow.service`` satisfies it)."""

    def resolve_step(self, order_id: str, step: str) -> None: ...

    def fail_step(self, order_id: str, step: str, error: str, cause: str) -> None: ...


def offer_id_for(order_id: str, attempt: int) -> str:
    return stable_id("ofr_", order_id, str(attempt))


def offers_of_order(order_id: str) -> list[OfferRecord]:
    """Every offer ever made for the order, oldest first (``by-order`` index)."""
    return list(OfferRecord.by_order.query(order_id))


def open_offers_of_rider(rider_id: str) -> list[OfferRecord]:
    """The rider's live offers: OPEN and not yet expired, soonest to expire first."""
    return list(
        OfferRecord.by_rider.query(
            rider_id,
            OfferRecord.expires_at > clock.now_iso(),
            filter_condition=OfferRecord.status == OfferStatus.OPEN.value,
        )
    )


def get_offer(offer_id: str) -> OfferRecord:
    try:
        return OfferRecord.get(offer_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such offer.", code="OFFER_NOT_FOUND") from None


# --- dispatch -------------------------------------------------------------------------------


def dispatch(order_id: str, *, reason: str, trigger: str | None = None) -> OfferRecord | None:
    """Plan a round for the zone of a confirmed, unassigned order and make the round's offers.

    ``trigger`` is the id of the event that asked for this run; a second run
    with the same trigger returns the offer the first one made, once it has
    planned the zone again (the first run may have died before writing its
    round's other offers, which would leave those orders to their watchdogs'
    next try, an offer wait later). Returns this
    order's new offer, or None when the order needs no rider, a third-party
    carrier delivers it (``paotui.carriers``: handed over instead, once), or
    the round left it open (no rider now, or worth waiting for: the watchdog
    asks again after the offer TTL). Other orders of the zone may get offers
    in the same round (``paotui.dispatch.rounds``). Each run escalates an
    order no rider took (``paotui.dispatch.escalation``): a wider search
    (``rings``), a bonus on its offer's fee, the carrier as a fallback.
    """
    order = _dispatchable(order_id)
    if order is None:
        return None
    prior = offers_of_order(order_id)
    if trigger:  # before escalating: counting the offer this event made would take the order a level further
        replay = next((offer for offer in prior if offer.trigger == trigger), None)
        if replay:
            logger.info("dispatch already ran for this event", extra={"order_id": order_id, "offer_id": replay.id})
            _plan_zone(order, reason=reason, trigger=None)
            return replay
    merchant = carriers.merchant_of(order)  # read once: escalation and carrier routing both go by its settings
    escalated = escalation.escalate(order, len(prior), merchant)
    if _not_ours_to_offer(order, prior, fallback=escalated.carrier, merchant=merchant):
        return None
    now = clock.now()
    standing = next((offer for offer in prior if _standing(offer, now)), None)
    if standing:
        logger.info("a fresh offer stands", extra={"order_id": order_id, "offer_id": standing.id})
        return standing
    for offer in prior:
        close_offer(offer, now, lapsed=reason == OFFER_EXPIRED)
    made = _plan_zone(order, reason=reason, trigger=trigger, rings=escalated.rings)
    if made is None:  # the run planning the zone was asked to plan this order too
        metrics.add_metric(name="DispatchLeftToRunningRound", unit="Count", value=1)
        return None
    mine = next((offer for offer in made if offer.order_id == order_id), None)
    if mine is None:
        logger.info("no offer for this order this round", extra={"order_id": order_id, "reason": reason})
        metrics.add_metric(name="DispatchNoRider", unit="Count", value=1)
    return mine


def dispatch_near_rider(lat: float, lng: float, *, reason: str = RIDER_ONLINE) -> list[OfferRecord]:
    """A rider came on duty at (lat, lng) (``rider.online``), or has room again there: plan the zones around them
    that have orders waiting (``rounds.plan_near``), so those orders are offered now rather than at their watchdogs'
    next try. Each order's own runs still escalate it; this round only plans. Returns the offers made."""
    from paotui.dispatch import rounds

    made = rounds.plan_near(lat, lng, lambda planned: _offer(planned, reason=reason, trigger=None))
    logger.info("rider available: nearby orders planned", extra={"offers": len(made), "reason": reason})
    return made


def dispatch_near_freed_rider(rider_id: str) -> list[OfferRecord]:
    """An order of the rider's ended (delivered, returned, cancelled), so they have room again: plan the zones around
    where they are now, as for a rider coming on duty. While every rider near a store was full, no round could plan
    its orders; they would wait for their watchdogs' next try. Nothing if the rider is off duty, full again or
    unknown."""
    rider = riders.find_rider(rider_id, consistent=True)  # the stream's event may come before a plain read sees it
    if rider is None or not rider.online or rider.location is None or rider.active_orders >= rider.capacity:
        return []
    return dispatch_near_rider(float(rider.location.lat), float(rider.location.lng), reason=RIDER_FREED)


def dispatch_asked(zone: str, asks: list[str]) -> list[OfferRecord]:
    """A run whose rounds were spent handed on what was still asked of it (``dispatch.asked``): plan the zone for
    those asks now, in a run of its own, rather than leave them to the orders' watchdogs. Returns the offers made."""
    from paotui.dispatch import rounds

    made = rounds.plan_asks(zone, rounds.parse_asks(asks), lambda planned: _offer(planned, reason=ASKED, trigger=None))
    logger.info("asks handed on: zone planned", extra={"zone": zone, "offers": len(made or [])})
    return made or []


def _plan_zone(
    order: OrderRecord, *, reason: str, trigger: str | None, rings: int | None = None
) -> list[OfferRecord] | None:
    """Put the order in its zone's pool, plan the zone's round and make its offers (only the order's own carries
    ``trigger``); the offers made, or None when another run was planning the zone and was asked to plan this order
    too."""
    from paotui.dispatch import rounds  # the engine's numpy and scipy: DispatchWorker's layer, not RidersApi's

    zone = rounds.join_pool(order)

    def make(planned: PlannedOffer) -> OfferRecord | None:
        return _offer(planned, reason=reason, trigger=trigger if planned.order.id == order.id else None)

    return rounds.plan(zone, order.id, make, rings=rings)


def _offer(planned: PlannedOffer, *, reason: str, trigger: str | None) -> OfferRecord | None:
    """The round's offer of one order, written once: its id derives from (order, attempt), the attempt from the
    offers the round read (``planned.earlier``; a run that offered the order since wrote this id).

    The order's earlier offers still OPEN are closed first: a round takes only an order without a live offer, so
    they lapsed unanswered, which must count (EXPIRED) even if no run of the order's own closes them, and a run
    killed after writing the new offer (its redelivery returns early) would leave them open.
    The order is read again once the offer is written: one cancelled or taken while the round planned may have had
    its offers withdrawn already (``withdraw_offers``), so this one is withdrawn here.
    """
    order = planned.order
    made = len(planned.earlier)
    for lapsed in planned.earlier:
        close_offer(lapsed, clock.now())
    offer = _new_offer(
        order,
        planned,
        attempt=made + 1,
        bonus=escalation.bonus_for(order, made),
        reason=reason,
        trigger=trigger,
    )
    riders.mark_offered(offer.rider_id, offer.expires_at)
    try:
        offer.save(condition=OfferRecord.id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        logger.info("a concurrent dispatch made this offer", extra={"offer_id": offer.id})
        return None
    if needs_no_rider(orders.get_order(order.id)):
        close_offer(offer, clock.now())
        logger.info("the order went while its round planned", extra={"order_id": order.id, "offer_id": offer.id})
        return None
    logger.info(
        "offer created",
        extra={
            "order_id": order.id,
            "offer_id": offer.id,
            "rider_id": offer.rider_id,
            "attempt": offer.attempt,
            "distance_m": offer.distance_m,
            "bundle_id": offer.bundle_id,
            "bundle_size": offer.bundle_size,
            "bonus": offer.bonus,
            "reason": reason,
        },
    )
    metrics.add_metric(name="OffersCreated", unit="Count", value=1)
    return offer


def withdraw_offers(order_id: str, at: datetime | None = None) -> int:
    """Close the order's open offers (the order was cancelled or assigned elsewhere ``at``, by default now); returns
    how many. An offer still live ``at`` is WITHDRAWN even if its time ran out before this ran (a retried or late
    event): the rider did not let it lapse."""
    at = at or clock.now()
    return sum(close_offer(offer, at) for offer in offers_of_order(order_id))


def _standing(offer: OfferRecord, now: datetime) -> bool:
    """An open offer with more than a quarter of its time left was made since the watchdog started waiting (by
    another order's round, e.g. as part of a bundle): withdrawing it would snatch it from a rider about to answer.
    An offer near its end is closed and planned again, so a lapse costs no extra wait."""
    margin = timedelta(seconds=get_settings().offer_ttl_seconds / 4)
    return offer.status == OfferStatus.OPEN and offer.expires_at > clock.iso(now + margin)


def close_offer(offer: OfferRecord, now: datetime, *, lapsed: bool = False, reason: str | None = None) -> bool:
    """OPEN → EXPIRED or WITHDRAWN, if still open; True if this call closed it.

    EXPIRED when past its time, or ``lapsed``: the order is re-dispatched because the watchdog's wait for an
    answer ran out, which ends a moment before the offer's own expiry (it started before the offer was made), so
    the offer went unanswered for the rider's whole time. WITHDRAWN when taken from the rider before that (the
    order cancelled, handed to a carrier, assigned through another offer): not the rider's call. ``reason`` is
    kept as the offer's ``decision_reason``.
    """
    if offer.status != OfferStatus.OPEN:
        return False
    now_iso = clock.iso(now)
    status = OfferStatus.EXPIRED if lapsed or offer.expires_at <= now_iso else OfferStatus.WITHDRAWN
    actions = [OfferRecord.status.set(status.value), OfferRecord.decided_at.set(now_iso)]
    if reason:
        actions.append(OfferRecord.decision_reason.set(reason))
    return update_if(offer, actions, condition=OfferRecord.status == OfferStatus.OPEN.value)


def _not_ours_to_offer(
    order: OrderRecord, offers: list[OfferRecord], *, fallback: bool, merchant: MerchantRecord | None
) -> bool:
    """Whether a carrier delivers the order (the merchant's choice, or escalation's ``fallback``), or it stopped
    needing a rider meanwhile.

    Before a fallback hand-over the order's open offers are closed (a rider who accepted just before keeps the
    order); a carrier that refuses the fallback leaves the order to our riders, who keep trying.
    """
    if not fallback:
        return carriers.hand_over(order, merchant=merchant)
    if not carriers.is_with_carrier(order):
        now = clock.now()
        for offer in offers:
            close_offer(offer, now, reason=FOR_A_CARRIER)
        order = _dispatchable(order.id)
        if order is None:
            return True
    if not carriers.hand_over(order, fallback=True, merchant=merchant):
        return False
    order = orders.get_order(order.id)
    if needs_no_rider(order):
        return True
    logger.info("the carrier refused the order: our riders keep trying", extra={"order_id": order.id})
    return False


def needs_no_rider(order: OrderRecord) -> bool:
    """Whether the order no longer needs one of our riders: not CONFIRMED, taken, or with a carrier."""
    return order.status != Status.CONFIRMED.value or bool(order.rider_id) or carriers.is_with_carrier(order)


def _dispatchable(order_id: str) -> OrderRecord | None:
    try:
        order = orders.get_order(order_id)
    except NotFound:
        logger.warning("dispatch for an unknown order", extra={"order_id": order_id})
        return None
    if order.status != Status.CONFIRMED.value or order.rider_id:
        logger.info(
            "order needs no dispatch", extra={"order_id": order_id, "status": order.status, "rider_id": order.rider_id}
        )
        withdraw_offers(order_id)  # one a run wrote as the order went, then failed before reading it again
        return None
    if order.dispatch_at and order.dispatch_at > clock.now_iso():  # a scheduled order: the watchdog asks when due
        logger.info("scheduled order not due for dispatch", extra={"order_id": order_id, "at": order.dispatch_at})
        return None
    return order


def _new_offer(
    order: OrderRecord,
    planned: PlannedOffer,
    *,
    attempt: int,
    bonus: int,
    reason: str,
    trigger: str | None,
) -> OfferRecord:
    now = planned.decided_at  # the wait runs from the round's picture, whichever of the run's rounds decided it
    expires_at = now + timedelta(seconds=get_settings().offer_ttl_seconds)
    return OfferRecord(
        id=offer_id_for(order.id, attempt),
        order_id=order.id,
        rider_id=planned.rider_id,
        status=OfferStatus.OPEN.value,
        attempt=attempt,
        reason=reason,
        trigger=trigger,
        created_at=clock.iso(now),
        expires_at=clock.iso(expires_at),
        ttl=clock.epoch_seconds(expires_at) + OFFER_RETENTION_SECONDS,
        pickup=PlaceMap(lat=order.pickup.lat, lng=order.pickup.lng, name=order.pickup.name),
        dropoff=DropoffMap(lat=order.address.lat, lng=order.address.lng, detail=order.address.detail),
        fee=int(order.amounts.delivery_fee) + bonus,
        bonus=bonus,
        collect=order.amounts.cash_at_door,
        distance_m=round(haversine_m(*planned.rider_at, float(order.pickup.lat), float(order.pickup.lng))),
        bundle_id=planned.bundle_id,
        bundle_size=planned.bundle_size,
    )


# --- the rider's answer -----------------------------------------------------------------------


def _unavailable(offer: OfferRecord, now_iso: str) -> Conflict:
    status = offer.status
    if status == OfferStatus.OPEN and offer.expires_at <= now_iso:
        status = OfferStatus.EXPIRED.value
    return Conflict(
        "This offer is no longer available.",
        code="OFFER_UNAVAILABLE",
        details={"offer_id": offer.id, "status": status},
    )


def _own_offer(offer_id: str, rider_id: str) -> OfferRecord:
    offer = get_offer(offer_id)
    if offer.rider_id != rider_id:
        raise Forbidden("This offer was made to another rider.", code="NOT_YOUR_OFFER")
    return offer


def accept_offer(offer_id: str, rider_id: str, *, workflow: AssignmentWorkflow) -> OrderRecord:
    """Take the offered order: returns it ASSIGNED to ``rider_id``.

    Accepting an offer this rider already accepted returns the order again (a
    retried tap) while the order is still theirs; once it was taken from them
    (e.g. given back after they went offline) the offer is no longer available,
    and whoever holds the order now is none of their business. Errors: 404 OFFER_NOT_FOUND / RIDER_NOT_FOUND, 403
    NOT_YOUR_OFFER, 409 OFFER_UNAVAILABLE (expired, withdrawn, rejected, or the
    order has a rider), RIDER_AT_CAPACITY, RIDER_OFFLINE.
    """
    for _ in range(_RETRIES_ON_RACE):
        offer = _own_offer(offer_id, rider_id)
        if offer.status == OfferStatus.ACCEPTED:
            order = orders.get_order(offer.order_id)
            if order.rider_id == rider_id:
                return order
            raise _unavailable(offer, clock.now_iso())
        now = clock.now()
        now_iso = clock.iso(now)
        if not offer.is_live(now_iso):
            raise _unavailable(offer, now_iso)
        order = orders.get_order(offer.order_id)
        if needs_no_rider(order):
            close_offer(offer, now)  # nobody can take this order through this offer any more
            raise _unavailable(offer, now_iso)
        rider = riders.get_rider(rider_id, consistent=True)
        if not rider.online:
            raise Conflict("Go online to accept orders.", code="RIDER_OFFLINE")
        if rider.active_orders >= rider.capacity:
            raise Conflict(
                "You already carry as many orders as you can.",
                code="RIDER_AT_CAPACITY",
                details={"active_orders": int(rider.active_orders), "capacity": int(rider.capacity)},
            )
        try:
            with transact_write() as transaction:
                transaction.update(
                    offer,
                    actions=[
                        OfferRecord.status.set(OfferStatus.ACCEPTED.value),
                        OfferRecord.decided_at.set(now_iso),
                    ],
                    condition=(OfferRecord.status == OfferStatus.OPEN.value)
                    & (OfferRecord.expires_at > now_iso)
                    & (OfferRecord.rider_id == rider_id),
                )
                orders.stage_assignment(transaction, order, rider_id, at=now)
                riders.stage_take_order(transaction, rider_id)
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            reasons = [getattr(reason, "code", None) for reason in error.cancellation_reasons]
            logger.info(
                "offer acceptance lost a race; checking again", extra={"offer_id": offer_id, "reasons": reasons}
            )
            continue
        break
    else:
        raise Conflict("The order kept changing while you accepted it; try again.", code="CONCURRENT_UPDATE")

    logger.info("offer accepted", extra={"offer_id": offer_id, "order_id": order.id, "rider_id": rider_id})
    metrics.add_metric(name="OffersAccepted", unit="Count", value=1)
    try:
        workflow.resolve_step(order.id, ASSIGNMENT_STEP)
    except Exception:  # the assignment is committed; the watchdog also resolves from the order's status
        logger.exception("could not resolve the assignment step", extra={"order_id": order.id})
    if rider.active_orders + 1 >= rider.capacity:  # this acceptance took the rider's last slot
        _withdraw_offers_of_full_rider(rider_id, workflow=workflow)
    return orders.get_order(order.id)


def _withdraw_offers_of_full_rider(rider_id: str, *, workflow: AssignmentWorkflow) -> None:
    """A full rider's other open offers can't be accepted (RIDER_AT_CAPACITY): rounds of two adjacent zones may each
    have given them the rider's last slot. Those offers are withdrawn and their orders' assignment waits failed, so
    the orders are offered again now rather than when the offers run out."""
    try:
        now = clock.now()
        for offer in open_offers_of_rider(rider_id):
            if close_offer(offer, now, reason=RIDER_FULL):
                logger.info("offer withdrawn: its rider is full", extra={"offer_id": offer.id, "rider_id": rider_id})
                workflow.fail_step(offer.order_id, ASSIGNMENT_STEP, OFFER_REJECTED, RIDER_FULL)
    except Exception:  # the acceptance is committed; such an offer still lapses at its TTL
        logger.exception("could not withdraw a full rider's other offers", extra={"rider_id": rider_id})


def reject_offer(
    offer_id: str, rider_id: str, reason: str | None = None, *, workflow: AssignmentWorkflow
) -> OfferRecord:
    """Turn the offer down; the watchdog then re-dispatches to another rider at once.

    Rejecting an offer this rider already rejected returns it again. 409
    OFFER_UNAVAILABLE if it is no longer open (expired, withdrawn, accepted).
    """
    offer = _own_offer(offer_id, rider_id)
    now_iso = clock.now_iso()
    if offer.status == OfferStatus.REJECTED:
        return offer
    actions = [OfferRecord.status.set(OfferStatus.REJECTED.value), OfferRecord.decided_at.set(now_iso)]
    if reason:
        actions.append(OfferRecord.decision_reason.set(reason))
    open_mine = (
        (OfferRecord.status == OfferStatus.OPEN.value)
        & (OfferRecord.expires_at > now_iso)
        & (OfferRecord.rider_id == rider_id)
    )
    if not update_if(offer, actions, condition=open_mine):
        offer = get_offer(offer_id)
        if offer.status == OfferStatus.REJECTED:
            return offer
        raise _unavailable(offer, now_iso) from None

    logger.info("offer rejected", extra={"offer_id": offer_id, "order_id": offer.order_id, "rider_id": rider_id})
    metrics.add_metric(name="OffersRejected", unit="Count", value=1)
    try:
        workflow.fail_step(offer.order_id, ASSIGNMENT_STEP, OFFER_REJECTED, reason or "rejected by the rider")
    except Exception:  # the rejection is committed; the offer's TTL still wakes the watchdog
        logger.exception("could not report the rejection to the watchdog", extra={"order_id": offer.order_id})
    return offer
