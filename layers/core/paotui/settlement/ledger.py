"""Writing a merchant's ledger: an order's sale and the merchant's refunds of it, each once.

One function does it all, ``settle(order_id)``, whichever event calls it (the
order DELIVERED or RETURNED, a refund SUCCEEDED, a redelivery of either): it
reads the order, and unless the order has reached the end of its delivery it
writes nothing. Otherwise it writes, in one transaction, the sale if it is not
written yet and every refund the merchant gave that has succeeded and is not
written yet. So a refund that succeeds before the order is delivered is
written with the sale; one that succeeds after finds the sale and is written
on its own. The order of the two events does not matter: a refund handled
while the order is still on its way writes nothing, and the sale, read after
the order moved on, finds that refund already succeeded.

Every item a transaction puts is conditional on not existing, and the sale's
refundable amounts are updated on condition they are as read, so two events
settling one order at once write it once; the loser's transaction is
cancelled and its next try finds the work done.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.catalog.records import MerchantRecord
from paotui.orders.records import OrderRecord
from paotui.orders.refund_rules import RETURN_PURPOSE
from paotui.payments.records import RefundRecord, RefundStatus
from paotui.platform import clock
from paotui.platform.dynamo import transact_write
from paotui.platform.errors import Conflict
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.settlement import rules
from paotui.settlement.rate import commission_bp
from paotui.settlement.records import AccountRecord, DayTotals, LedgerLine, SettledOrder, SettledRefund
from paotui.settlement.rules import Line, Sale, Settled

SETTLING = frozenset({"DELIVERED", "RETURNED"})
"""Where an order's delivery ends, and its money is the merchant's to settle."""

_ATTEMPTS = 4
"""Tries of one transaction: it is cancelled when another settles the same merchant's day or account at once."""


@dataclass(frozen=True)
class _Entry:
    """Lines of one source (the sale, or one refund) at one moment."""

    source_id: str
    refund_id: str | None
    at: str
    lines: Sequence[Line]


def settle(order_id: str, event_id: str) -> bool:
    """Write what of the order is not written yet; True when this call wrote anything."""
    for _ in range(_ATTEMPTS):
        try:
            return _settle_once(order_id, event_id)
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            logger.info("settlement transaction cancelled; trying again", extra={"order_id": order_id})
    raise Conflict("The merchant's ledger kept changing; the event will be retried.", code="CONCURRENT_UPDATE")


def _settle_once(order_id: str, event_id: str) -> bool:
    order = OrderRecord.get(order_id, consistent_read=True)
    if order.merchant_id is None or order.status not in SETTLING:
        return False
    merchant = MerchantRecord.get(order.merchant_id)
    sold = _get(SettledOrder, merchant.id, SettledOrder.entry_of(order.id))
    refunds = _unwritten(merchant.id, _merchants_refunds(order, merchant))
    if sold is not None and not refunds:
        logger.info("order already settled", extra={"order_id": order.id})
        return False
    entries: list[_Entry] = []
    if sold is None:
        rate = commission_bp(merchant)
        lines, settled = rules.sale_lines(_sale(order, rate))
        sold_at = settled_at(order)
        entries.append(_Entry(order.id, None, sold_at, lines))
    else:
        rate, sold_at = int(sold.commission_bp), sold.at
        settled = Settled(int(sold.goods_left), int(sold.commission_left))
    for refund in refunds:
        lines, settled = rules.refund_lines(int(refund.amount), settled, rate)
        # a refund given while the order was on its way counts with its sale, not on a day before it
        entries.append(_Entry(refund.id, refund.id, max(refund.updated_at, sold_at), lines))
    _commit(order, merchant.id, event_id, sold, rate, settled, entries, refunds)
    metrics.add_metric(name="SettlementEntries", unit="Count", value=len(entries))
    logger.info("order settled", extra={"order_id": order.id, "sale": sold is None, "refunds": [r.id for r in refunds]})
    return True


def _sale(order: OrderRecord, rate: int) -> Sale:
    amounts, carrier = order.amounts, order.carrier
    carried = carrier is not None and carrier.handed_over_at is not None and carrier.cancelled_at is None
    return Sale(
        channel=order.channel,
        delivered=order.status == "DELIVERED",
        items_total=int(amounts.items_total),
        delivery_fee=int(amounts.delivery_fee),
        collect_on_delivery=amounts.cash_at_door,
        carrier_fee=int(carrier.fee or 0) if carried else None,
        commission_bp=rate,
    )


def settled_at(order: OrderRecord) -> str:
    """When the order reached the status it settles at (ISO, as the timeline has it)."""
    entered = [entry.at for entry in order.timeline if entry.status == order.status]
    return entered[-1] if entered else order.updated_at


def _merchants_refund(refund: RefundRecord, merchant: MerchantRecord) -> bool:
    """A refund the merchant gave: asked for by its owner, or made by its refund rules for a returned order. The
    platform's own (a late order's compensation, an operator's decision) are the platform's to bear."""
    by_rules = refund.id == stable_id("rfd_", refund.payment_id, RETURN_PURPOSE)
    return refund.requested_by == merchant.owner_id or by_rules


def _merchants_refunds(order: OrderRecord, merchant: MerchantRecord) -> list[RefundRecord]:
    """The merchant's succeeded refunds of the order, oldest first."""
    found = [
        refund
        for refund in RefundRecord.query(order.id, RefundRecord.id.startswith("rfd_"), consistent_read=True)
        if refund.status == RefundStatus.SUCCEEDED and _merchants_refund(refund, merchant)
    ]
    return sorted(found, key=lambda refund: (refund.updated_at, refund.id))


def _unwritten(merchant_id: str, refunds: Iterable[RefundRecord]) -> list[RefundRecord]:
    return [r for r in refunds if _get(SettledRefund, merchant_id, SettledRefund.entry_of(r.id)) is None]


def _get(model, merchant_id: str, entry: str):
    try:
        return model.get(merchant_id, entry, consistent_read=True)
    except DoesNotExist:
        return None


def _commit(
    order: OrderRecord,
    merchant_id: str,
    event_id: str,
    sold: SettledOrder | None,
    rate: int,
    settled: Settled,
    entries: Sequence[_Entry],
    refunds: Sequence[RefundRecord],
) -> None:
    now = clock.now_iso()
    with transact_write() as transaction:
        if sold is None:
            transaction.save(
                SettledOrder(
                    merchant_id,
                    SettledOrder.entry_of(order.id),
                    at=entries[0].at,
                    event_id=event_id,
                    channel=order.channel,
                    commission_bp=rate,
                    goods_left=settled.goods_left,
                    commission_left=settled.commission_left,
                ),
                condition=SettledOrder.entry.does_not_exist(),
            )
        else:
            transaction.update(
                sold,
                actions=[
                    SettledOrder.goods_left.set(settled.goods_left),
                    SettledOrder.commission_left.set(settled.commission_left),
                ],
                condition=(SettledOrder.goods_left == sold.goods_left)
                & (SettledOrder.commission_left == sold.commission_left),
            )
        for refund in refunds:
            transaction.save(
                SettledRefund(
                    merchant_id,
                    SettledRefund.entry_of(refund.id),
                    at=refund.updated_at,
                    order_id=order.id,
                    event_id=event_id,
                ),
                condition=SettledRefund.entry.does_not_exist(),
            )
        by_day: dict[str, Counter[str]] = {}
        for entry in entries:
            day = clock.china_date(clock.parse_iso(entry.at))
            totals = by_day.setdefault(day, Counter())
            if entry.refund_id is None:
                totals["orders"] += 1
            for line in entry.lines:
                totals[line.kind] += line.amount
                totals["total"] += line.amount
                transaction.save(
                    LedgerLine(
                        merchant_id,
                        LedgerLine.entry_of(day, entry.at, entry.source_id, line.kind),
                        day=day,
                        at=entry.at,
                        order_id=order.id,
                        refund_id=entry.refund_id,
                        kind=line.kind,
                        amount=line.amount,
                        detail=line.detail,
                    ),
                    condition=LedgerLine.entry.does_not_exist(),
                )
        for day, totals in by_day.items():
            actions = [getattr(DayTotals, name).add(value) for name, value in totals.items() if value]
            if actions:
                transaction.update(DayTotals(merchant_id, DayTotals.entry_of(day)), actions=actions)
        accrued = sum(line.amount for entry in entries for line in entry.lines)
        transaction.update(
            AccountRecord(merchant_id),
            actions=[AccountRecord.accrued.add(accrued), AccountRecord.paid.add(0), AccountRecord.updated_at.set(now)],
        )
