"""The riders' earnings ledger and KPI counters, written once per fact, and the daily statement read from it.

A fact is something that happened to a rider's work: an order assigned,
delivered, failed or cancelled, an offer answered (or let expire), a
delivery rated, a complaint upheld. Each is written in ONE transaction: the
fact's own item (conditional on not existing), its ledger lines, and the
counters of the China-time day, ISO week and month it happened in. A second
event bringing the same fact (a redelivery, a republish, another stream
record of the same order) finds the fact item and writes nothing.

The streak bonus counts on-time deliveries in a row within a day in the order
the worker applies them; the day's counter item holds the run so far, and a
delivery's transaction is conditional on the run it read, so two deliveries
of one rider applied at once cannot both extend the same run.

An order delivered on a retry after a failed attempt counts as delivered
only: its delivery takes the failure's count back (in the periods of the
failure), and a failure applied after the delivery counts nothing (SQS may
bring them in either order). Each of the two facts' transactions checks the
other fact is as it read it, so two applied at once can't both miss the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.errors import Conflict
from paotui.platform.geo import haversine_m
from paotui.platform.models import ResponseModel
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings
from paotui.riders import incentives
from paotui.riders.earnings_records import AppliedFact, LedgerLine, RiderKpisRecord
from paotui.riders.incentives import Delivery, Line
from paotui.riders.kpis import period_of, periods_of

_ATTEMPTS = 4
"""Tries of one fact's transaction: it is cancelled when another transaction touches the same counters."""


@dataclass(frozen=True)
class Change:
    """What one fact adds: counters (of its day, week and month), ledger lines, and the day's on-time run
    (``streak``: the value read, None if unset, and the new one).

    ``correction``: counters added in the periods of another moment (a delivery taking back its order's earlier
    failure); ``expects``: another fact of the rider and whether it was written when read, checked at commit.
    """

    counters: Mapping[str, int]
    lines: Sequence[Line] = ()
    rules_version: int = 0
    streak: tuple[int | None, int] | None = None
    correction: tuple[datetime, Mapping[str, int]] | None = None
    expects: tuple[str, bool] | None = None


@dataclass(frozen=True)
class Fact:
    rider_id: str
    name: str  # what and of which order or offer: "delivered#ord_…"; written once per rider
    at: datetime  # when it happened: the China-time periods its counters and lines belong to
    order_id: str
    event_id: str
    change: Callable[[], Change] = field(compare=False)  # read again on every attempt (the streak may move)


def apply(fact: Fact) -> bool:
    """Write ``fact`` unless it is written already; True when this call wrote it."""
    for _ in range(_ATTEMPTS):
        if _applied(fact):
            logger.info("fact already applied", extra={"rider_id": fact.rider_id, "fact": fact.name})
            return False
        try:
            _commit(fact, fact.change())
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            logger.info("earnings transaction cancelled; trying again", extra={"fact": fact.name})
            continue
        logger.info("fact applied", extra={"rider_id": fact.rider_id, "fact": fact.name})
        return True
    if _applied(fact):
        return False
    raise Conflict("The rider's counters kept changing; the event will be retried.", code="CONCURRENT_UPDATE")


def _applied(fact: Fact) -> bool:
    return _written_at(fact.rider_id, fact.name) is not None


def _written_at(rider_id: str, name: str) -> datetime | None:
    """When the rider's fact ``name`` happened, if it is written."""
    try:
        written = AppliedFact.get(rider_id, AppliedFact.entry_of(name), consistent_read=True)
    except DoesNotExist:
        return None
    return clock.parse_iso(written.at)


def _commit(fact: Fact, change: Change) -> None:
    at = clock.iso(fact.at)
    day = clock.china_date(fact.at)
    with transact_write() as transaction:
        transaction.save(
            AppliedFact(fact.rider_id, AppliedFact.entry_of(fact.name), at=at, event_id=fact.event_id),
            condition=AppliedFact.entry.does_not_exist(),
        )
        if change.expects is not None:
            other, written = change.expects
            entry = AppliedFact.entry
            transaction.condition_check(
                AppliedFact,
                fact.rider_id,
                AppliedFact.entry_of(other),
                condition=entry.exists() if written else entry.does_not_exist(),
            )
        for line in change.lines:
            transaction.save(
                LedgerLine(
                    fact.rider_id,
                    LedgerLine.entry_of(day, at, fact.order_id, line.kind),
                    day=day,
                    at=at,
                    order_id=fact.order_id,
                    kind=line.kind,
                    amount=line.amount,
                    detail=line.detail,
                    rules_version=change.rules_version,
                ),
                condition=LedgerLine.entry.does_not_exist(),
            )
        earned = sum(line.amount for line in change.lines)
        additions: list[tuple[datetime, Mapping[str, int]]] = [(fact.at, {**change.counters, "earnings": earned})]
        if change.correction is not None:
            additions.append(change.correction)
        by_period: dict[str, Counter[str]] = {}  # one update per counter item: a correction may share periods
        for moment, counters in additions:
            for period in periods_of(moment):
                by_period.setdefault(period.key, Counter()).update(counters)
        streak_day = period_of("day", clock.china_day(fact.at)).key
        for key, counters in by_period.items():
            actions = [getattr(RiderKpisRecord, name).add(value) for name, value in counters.items() if value]
            condition = None
            if key == streak_day and change.streak is not None:
                before, after = change.streak
                actions.append(RiderKpisRecord.streak.set(after))
                streak = RiderKpisRecord.streak
                condition = streak.does_not_exist() if before is None else streak == before
            if actions:
                transaction.update(RiderKpisRecord(fact.rider_id, key), actions=actions, condition=condition)


# --- facts from orders and offers (plain JSON images, as events carry them) ---------------------------


def moved_at(order: Mapping[str, Any], status: str) -> datetime:
    """When the order last entered ``status``, by its timeline."""
    for entry in reversed(order.get("timeline") or []):
        if entry.get("status") == status:
            return clock.parse_iso(entry["at"])
    return clock.parse_iso(order["updated_at"])


def _offer_fee(order: Mapping[str, Any]) -> int:
    """The fee of the offer the rider delivered under: their latest accepted one (an order taken back and given
    to them again carries an earlier accepted offer, without the later one's bonus); the order's delivery fee (what
    offers pay) once offers have expired from their table (a day after their TTL), e.g. for an event redriven long
    after."""
    from paotui.dispatch.records import OfferRecord, OfferStatus

    for offer in OfferRecord.by_order.query(order["id"], scan_index_forward=False):  # newest first
        if offer.status == OfferStatus.ACCEPTED and offer.rider_id == order["rider_id"]:
            return int(offer.fee)
    return int(order["amounts"]["delivery_fee"])


def _order_fact(order: Mapping[str, Any], what: str, at: datetime, event_id: str, change: Callable[[], Change]) -> bool:
    """Apply ``what`` happened to the order (once per order) to its rider's ledger and counters."""
    return apply(Fact(order["rider_id"], f"{what}#{order['id']}", at, order["id"], event_id, change))


def _delivery(order: Mapping[str, Any]) -> Delivery:
    pickup, dropoff = order["pickup"], order["address"]
    return Delivery(
        order_id=order["id"],
        delivered_at=moved_at(order, "DELIVERED"),
        promised_at=clock.parse_iso(order["promised_at"]) if order.get("promised_at") else None,
        fee=_offer_fee(order),
        distance_m=round(haversine_m(pickup["lat"], pickup["lng"], dropoff["lat"], dropoff["lng"])),
    )


def _day_streak(rider_id: str, day: date) -> int | None:
    try:
        record = RiderKpisRecord.get(rider_id, f"day#{day.isoformat()}", consistent_read=True)
    except DoesNotExist:
        return None
    return None if record.streak is None else int(record.streak)


def record_delivery(order: Mapping[str, Any], event_id: str) -> bool:
    """A delivered order's lines under the rules in force when it was delivered, and its counters."""
    delivery = _delivery(order)
    in_force = incentives.rules_at(delivery.delivered_at)

    def change() -> Change:
        before = _day_streak(order["rider_id"], clock.china_day(delivery.delivered_at))
        settlement = incentives.settle(delivery, in_force.rules, before or 0)
        counters = {"delivered": 1}
        if settlement.on_time is not None:
            counters["on_time" if settlement.on_time else "late"] = 1
        streak = None if settlement.on_time is None else (before, settlement.streak)
        failed_at = _written_at(order["rider_id"], f"failed#{order['id']}")
        return Change(
            counters,
            settlement.lines,
            in_force.version,
            streak,
            correction=None if failed_at is None else (failed_at, {"failed": -1}),
            expects=(f"failed#{order['id']}", failed_at is not None),
        )

    return _order_fact(order, "delivered", delivery.delivered_at, event_id, change)


ORDER_OUTCOMES = {"ASSIGNED": "assigned", "DELIVERY_FAILED": "failed", "CANCELLED": "cancelled"}
"""Order statuses counted against the order's rider, and their counter."""


def record_order_outcome(order: Mapping[str, Any], status: str, event_id: str) -> bool:
    counter = ORDER_OUTCOMES[status]
    change = _failure(order) if counter == "failed" else lambda: Change({counter: 1})
    return _order_fact(order, counter, moved_at(order, status), event_id, change)


def _failure(order: Mapping[str, Any]) -> Callable[[], Change]:
    """A failed attempt counts unless the order has been delivered since (by this rider, on a retry)."""
    delivered = f"delivered#{order['id']}"

    def change() -> Change:
        since_delivered = _written_at(order["rider_id"], delivered) is not None
        return Change({} if since_delivered else {"failed": 1}, expects=(delivered, since_delivered))

    return change


OFFER_ANSWERS = {"ACCEPTED": "offers_accepted", "REJECTED": "offers_rejected", "EXPIRED": "offers_expired"}


def record_offer_answer(offer: Mapping[str, Any], event_id: str) -> bool:
    """An offer accepted, rejected or let expire, counted in the period it was offered in."""
    counter = OFFER_ANSWERS[offer["status"]]
    offered_at = clock.parse_iso(offer["created_at"])
    change = Change({counter: 1})
    return apply(
        Fact(offer["rider_id"], f"offer#{offer['id']}", offered_at, offer["order_id"], event_id, lambda: change)
    )


def record_rating(order: Mapping[str, Any], event_id: str) -> bool:
    """The customer's stars, counted with the delivery they rate (its day, week and month)."""
    change = Change({"rating_sum": int(order["rating"]["stars"]), "rating_count": 1})
    return _order_fact(order, "rated", moved_at(order, "DELIVERED"), event_id, lambda: change)


def complained_of(order: Mapping[str, Any]) -> str | None:
    """The rider the order's complaint is about: the one it names; one filed before complaints named their rider
    is about whoever has the order."""
    return order["complaint"].get("rider_id") or order.get("rider_id")


def record_upheld_complaint(order: Mapping[str, Any], event_id: str) -> bool:
    """An upheld complaint: its penalty to the rider it is about, under the rules in force when it was decided, on
    the day it was."""
    decided_at = clock.parse_iso(order["complaint"]["decided_at"])
    in_force = incentives.rules_at(decided_at)
    penalty = incentives.complaint_line(in_force.rules)
    change = Change({"complaints_upheld": 1}, [penalty] if penalty else [], in_force.version)
    fact = Fact(complained_of(order), f"complaint#{order['id']}", decided_at, order["id"], event_id, lambda: change)
    return apply(fact)


# --- the daily statement ---------------------------------------------------------------------------------


class StatementLine(ResponseModel):
    order_id: str
    kind: str
    amount: int  # fen; a penalty is negative
    detail: str
    at: str
    rules_version: int


class StatementDay(ResponseModel):
    date: date
    total: int
    lines: list[StatementLine]


class Statement(ResponseModel):
    """Every China-time day from ``start`` to ``end``, days without lines included, and the total (fen)."""

    start: date
    end: date
    days: list[StatementDay]
    total: int


def statement(rider_id: str, start: date, end: date) -> Statement:
    """422 ``INVALID_RANGE`` when ``end`` is before ``start``, ``RANGE_TOO_LONG`` past the settings' limit."""
    clock.days_in(start, end, most=get_settings().earnings_statement_max_days, what="A statement")
    by_day: dict[str, list[StatementLine]] = {}
    bounds = LedgerLine.entry.between(f"line#{start.isoformat()}#", f"line#{end.isoformat()}#~")
    for line in LedgerLine.query(rider_id, bounds):
        by_day.setdefault(line.day, []).append(
            StatementLine(
                order_id=line.order_id,
                kind=line.kind,
                amount=int(line.amount),
                detail=line.detail,
                at=line.at,
                rules_version=int(line.rules_version),
            )
        )
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        lines = by_day.get(day.isoformat(), [])
        days.append(StatementDay(date=day, total=sum(line.amount for line in lines), lines=lines))
    return Statement(start=start, end=end, days=days, total=sum(day.total for day in days))
