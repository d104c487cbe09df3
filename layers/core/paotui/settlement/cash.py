"""Cash riders take at doors for the platform, and hand in (交款).

A phone or walk-in order paid on delivery (``amounts.collect_on_delivery``)
is paid to the rider who delivers it, and that cash is the platform's: the
shop is credited its dishes as held by the platform (settlement.rules). So
each rider has a balance, ``RiderRecord.cash_held``, which grows by each
such order delivered and shrinks by each hand-in an operator records.

Both moves are one transaction each: the move's item (``CashMove``) put on
condition it is new, and the rider's balance changed by the same amount. A
collection's item is keyed by the order (and the time it was delivered), so
SettlementWorker writes it once however often the delivery's event comes; a
hand-in's id derives from its Idempotency-Key, and its write is conditional
on the rider holding at least that much, so two at once can't take more
than the rider holds.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.orders.records import OrderRecord
from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.errors import Conflict, NotFound, Unprocessable, invalid_cursor
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.riders.records import RiderRecord
from paotui.settlement.cash_models import CashMoveView, CashView, HandInRequest, HandInView
from paotui.settlement.records import CashMove, HandInKey

_ATTEMPTS = 4
"""Tries of one transaction: it is cancelled when the rider's record is being written at the same moment."""


def collect(order_id: str, event_id: str) -> bool:
    """The cash of a delivered order paid at the door, onto its rider's balance once; True when this call wrote it.
    Orders paid otherwise, returned, or delivered by a carrier's rider (no rider of ours) hold no cash of ours."""
    from paotui.settlement.ledger import settled_at  # the worker's, loaded there anyway: not for RidersApi's routes

    order = OrderRecord.get(order_id, consistent_read=True)
    amount = order.amounts.cash_at_door
    if order.status != "DELIVERED" or not order.rider_id or amount <= 0:
        return False
    at = settled_at(order)
    move = CashMove(
        order.rider_id,
        CashMove.entry_of(at, order.id),
        kind="collected",
        amount=amount,
        at=at,
        order_id=order.id,
        event_id=event_id,
    )
    for _ in range(_ATTEMPTS):
        if _exists(move):
            logger.info("cash already collected", extra={"order_id": order.id})
            return False
        try:
            with transact_write() as transaction:
                transaction.save(move, condition=CashMove.entry.does_not_exist())
                transaction.update(
                    RiderRecord(order.rider_id),
                    actions=[RiderRecord.cash_held.add(amount)],
                    condition=RiderRecord.id.exists(),
                )
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            continue
        logger.info("cash collected", extra={"order_id": order.id, "rider_id": order.rider_id, "amount": amount})
        return True
    raise Conflict("The rider's record kept changing; the event will be retried.", code="CONCURRENT_UPDATE")


def _exists(move: CashMove) -> bool:
    try:
        CashMove.get(move.rider_id, move.entry, consistent_read=True)
    except DoesNotExist:
        return False
    return True


def _rider(rider_id: str) -> RiderRecord:
    try:
        return RiderRecord.get(rider_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such rider.", code="RIDER_NOT_FOUND") from None


def hand_in(rider_id: str, request: HandInRequest, *, key: str, by: str) -> tuple[HandInView, bool]:
    """Record cash the rider handed in: (the hand-in and the balance after it, True) when made now, (…, False) when
    replayed. 404 ``RIDER_NOT_FOUND``, 409 ``CASH_EXCEEDS_HELD`` (``details.held``), 422 ``IDEMPOTENCY_KEY_REUSED``."""
    handin_id = stable_id("hin_", rider_id, key)
    for _ in range(_ATTEMPTS):
        rider = _rider(rider_id)
        made = _made_under(rider_id, handin_id, request)
        if made is not None:
            return HandInView(move=move_view(made), held=int(rider.cash_held or 0)), False
        held = int(rider.cash_held or 0)
        if request.amount > held:
            raise Conflict("The rider holds less cash than that.", code="CASH_EXCEEDS_HELD", details={"held": held})
        at = clock.now_iso()
        move = CashMove(
            rider_id,
            CashMove.entry_of(at, handin_id),
            kind="handed_in",
            amount=-request.amount,
            at=at,
            note=request.note,
            by=by,
        )
        try:
            with transact_write() as transaction:
                transaction.save(
                    HandInKey(rider_id, HandInKey.entry_of(handin_id), move_entry=move.entry),
                    condition=HandInKey.entry.does_not_exist(),
                )
                transaction.save(move, condition=CashMove.entry.does_not_exist())
                transaction.update(
                    RiderRecord(rider_id),
                    actions=[RiderRecord.cash_held.add(-request.amount)],
                    condition=RiderRecord.cash_held >= request.amount,
                )
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            continue  # the balance moved, or the same key landed first: read again
        metrics.add_metric(name="RiderCashHandedIn", unit="Count", value=1)
        logger.info("cash handed in", extra={"rider_id": rider_id, "amount": request.amount})
        return HandInView(move=move_view(move), held=held - request.amount), True
    raise Conflict("The rider's record kept changing; try again.", code="CONCURRENT_UPDATE")


def _made_under(rider_id: str, handin_id: str, request: HandInRequest) -> CashMove | None:
    try:
        pointer = HandInKey.get(rider_id, HandInKey.entry_of(handin_id), consistent_read=True)
    except DoesNotExist:
        return None
    move = CashMove.get(rider_id, pointer.move_entry, consistent_read=True)
    if (-int(move.amount), move.note) != (request.amount, request.note):
        raise Unprocessable("This Idempotency-Key was used for a different hand-in.", code="IDEMPOTENCY_KEY_REUSED")
    return move


def move_view(move: CashMove) -> CashMoveView:
    return CashMoveView(
        kind=move.kind, amount=int(move.amount), at=move.at, order_id=move.order_id, note=move.note, by=move.by
    )


def cash_of(rider_id: str, limit: int, cursor: str | None) -> CashView:
    """The rider's balance and moves, newest first. 404 ``RIDER_NOT_FOUND``, 400 ``INVALID_CURSOR``.

    The moves are read before the balance: a move and its change to the balance are written in one transaction, so
    the balance then counts every move listed (read the other way round, a move landing between the two reads would
    be listed but not yet counted)."""
    if cursor is not None and not cursor.startswith("move#"):
        raise invalid_cursor()
    start = {"rider_id": {"S": rider_id}, "entry": {"S": cursor}} if cursor else None
    result = CashMove.query(
        rider_id,
        CashMove.entry.startswith("move#"),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
    )
    moves = [move_view(move) for move in result]
    last = result.last_evaluated_key
    rider = _rider(rider_id)
    return CashView(
        rider_id=rider_id,
        held=int(rider.cash_held or 0),
        moves=moves,
        next_cursor=last["entry"]["S"] if last else None,
    )
