"""Reading a merchant's account and statement, paying it out, and setting its commission rate.

A payout is what an operator transferred to the merchant (by bank, outside the
platform), recorded with the transfer's reference. It may be at most what is
payable, the balance less today's credits, and that is checked in the write
itself: the account's ``paid`` must be as read, its ``accrued`` at least what
the check needed, and today's total unchanged, so a line or another payout
landing in between cancels the write and it is checked again. Under one
Idempotency-Key a payout is made once; the key with another payout is 422.
"""

from __future__ import annotations

from datetime import date, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from paotui.catalog.records import MerchantRecord
from paotui.catalog.lookup import get_merchant
from paotui.platform import clock
from paotui.platform.dynamo import scan_page, transact_write
from paotui.platform.errors import Conflict, NotFound, Unprocessable, invalid_cursor
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.settlement.rate import commission_bp
from paotui.settlement.models import (
    AccountPage,
    AccountRow,
    AccountView,
    CommissionView,
    DayView,
    LinePage,
    LineView,
    PayoutRequest,
    PayoutView,
    SettlementView,
)
from paotui.settlement.records import KINDS, AccountRecord, DayTotals, LedgerLine, PayoutKey, PayoutRecord

LATEST_PAYOUTS = 20
_ATTEMPTS = 4


def _account(merchant_id: str) -> AccountRecord | None:
    try:
        return AccountRecord.get(merchant_id, consistent_read=True)
    except DoesNotExist:
        return None


def _today_total(merchant_id: str) -> int | None:
    """Today's (China time) total so far; None before its first line."""
    try:
        totals = DayTotals.get(merchant_id, DayTotals.entry_of(clock.china_date(clock.now())), consistent_read=True)
    except DoesNotExist:
        return None
    return None if totals.total is None else int(totals.total)


def account_view(merchant_id: str, account: AccountRecord | None, today: int | None) -> AccountView:
    accrued = int(account.accrued) if account else 0
    paid = int(account.paid) if account else 0
    balance = accrued - paid
    return AccountView(
        merchant_id=merchant_id,
        accrued=accrued,
        paid=paid,
        balance=balance,
        today=today or 0,
        payable=max(0, balance - max(0, today or 0)),
        updated_at=account.updated_at if account else None,
        last_payout_at=account.last_payout_at if account else None,
    )


def payout_view(payout: PayoutRecord) -> PayoutView:
    return PayoutView(
        id=payout.id,
        merchant_id=payout.merchant_id,
        amount=int(payout.amount),
        reference=payout.reference,
        note=payout.note,
        by=payout.by,
        at=payout.at,
        reversed_at=payout.reversed_at,
        reversed_by=payout.reversed_by,
        reversal_reason=payout.reversal_reason,
    )


def statement(merchant: MerchantRecord, start: date, end: date) -> SettlementView:
    """422 ``INVALID_RANGE``, ``RANGE_TOO_LONG`` (past the settings' limit)."""
    clock.days_in(start, end, most=get_settings().settlement_statement_max_days, what="A statement")
    bounds = DayTotals.entry.between(DayTotals.entry_of(start.isoformat()), DayTotals.entry_of(end.isoformat()))
    found = {totals.entry.removeprefix("day#"): totals for totals in DayTotals.query(merchant.id, bounds)}
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        totals = found.get(day.isoformat())
        sums = {name: int(getattr(totals, name) or 0) for name in ("orders", *KINDS, "total")} if totals else {}
        days.append(DayView(date=day, **sums))
    payouts = PayoutRecord.query(
        merchant.id, PayoutRecord.entry.startswith("payout#"), scan_index_forward=False, limit=LATEST_PAYOUTS
    )
    return SettlementView(
        merchant_id=merchant.id,
        commission_bp=commission_bp(merchant),
        account=account_view(merchant.id, _account(merchant.id), _today_total(merchant.id)),
        start=start,
        end=end,
        days=days,
        payouts=[payout_view(payout) for payout in payouts],
    )


def day_lines(merchant_id: str, day: date, limit: int, cursor: str | None) -> LinePage:
    """One day's lines in time order. 400 ``INVALID_CURSOR`` for a cursor not of this day's lines."""
    prefix = f"line#{day.isoformat()}#"
    if cursor is not None and not cursor.startswith(prefix):
        raise invalid_cursor()
    start = {"merchant_id": {"S": merchant_id}, "entry": {"S": cursor}} if cursor else None
    result = LedgerLine.query(merchant_id, LedgerLine.entry.startswith(prefix), limit=limit, last_evaluated_key=start)
    lines = [
        LineView(
            order_id=line.order_id,
            refund_id=line.refund_id,
            kind=line.kind,
            amount=int(line.amount),
            detail=line.detail,
            at=line.at,
        )
        for line in result
    ]
    last = result.last_evaluated_key
    return LinePage(date=day, lines=lines, next_cursor=last["entry"]["S"] if last else None)


def accounts(limit: int, cursor: str | None) -> AccountPage:
    """Operators' list of every merchant's account, with the shop's name."""
    found, next_cursor = scan_page(AccountRecord, None, limit, cursor)
    names = {
        merchant.id: merchant.name
        for merchant in MerchantRecord.batch_get([a.merchant_id for a in found], attributes_to_get=["id", "name"])
    }
    today = clock.china_date(clock.now())
    totals = {
        t.merchant_id: int(t.total or 0)
        for t in DayTotals.batch_get([(a.merchant_id, DayTotals.entry_of(today)) for a in found])
    }
    rows = [
        AccountRow(
            **account_view(a.merchant_id, a, totals.get(a.merchant_id)).model_dump(), name=names.get(a.merchant_id, "")
        )
        for a in found
    ]
    return AccountPage(items=rows, next_cursor=next_cursor)


def pay_out(merchant_id: str, request: PayoutRequest, *, key: str, by: str) -> tuple[PayoutRecord, bool]:
    """Record a transfer to the merchant: (the payout, True) when made now, (it, False) when replayed. 404
    ``MERCHANT_NOT_FOUND``, 409 ``PAYOUT_EXCEEDS_PAYABLE`` (``details.payable``), 422 ``IDEMPOTENCY_KEY_REUSED``."""
    get_merchant(merchant_id)
    payout_id = stable_id("pout_", merchant_id, key)
    for _ in range(_ATTEMPTS):
        made = _made_under(merchant_id, payout_id, request)
        if made is not None:
            return made, False
        account = _account(merchant_id)
        today = _today_total(merchant_id)
        view = account_view(merchant_id, account, today)
        if account is None or request.amount > view.payable:
            raise Conflict(
                "The payout is more than the merchant's payable balance.",
                code="PAYOUT_EXCEEDS_PAYABLE",
                details={"payable": view.payable},
            )
        try:
            payout = _commit(account, today, payout_id, request, by)
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            logger.info("payout cancelled: the account moved; checking again", extra={"merchant_id": merchant_id})
            continue
        metrics.add_metric(name="MerchantPayouts", unit="Count", value=1)
        logger.info("payout recorded", extra={"merchant_id": merchant_id, "payout_id": payout_id})
        return payout, True
    raise Conflict("The merchant's account kept changing; try again.", code="CONCURRENT_UPDATE")


def reverse_payout(merchant_id: str, payout_id: str, *, reason: str, by: str) -> PayoutRecord:
    """Reverse a payout recorded by mistake (the transfer failed or was never made; one of another amount is then
    recorded anew): it stays listed, marked with who reversed it and why, and its amount is owed again (``paid``
    less it, in the same transaction). Once only: reversing it again answers it as it is. 404
    ``PAYOUT_NOT_FOUND``."""
    payout = _find_payout(merchant_id, payout_id)
    if payout is None:
        raise NotFound("No such payout of this merchant.", code="PAYOUT_NOT_FOUND")
    if payout.reversed_at is not None:
        return payout
    at = clock.now_iso()
    try:
        with transact_write() as transaction:
            transaction.update(
                payout,
                actions=[
                    PayoutRecord.reversed_at.set(at),
                    PayoutRecord.reversed_by.set(by),
                    PayoutRecord.reversal_reason.set(reason),
                ],
                condition=PayoutRecord.reversed_at.does_not_exist(),
            )
            transaction.update(
                AccountRecord(merchant_id),
                actions=[AccountRecord.paid.add(-int(payout.amount)), AccountRecord.updated_at.set(at)],
                condition=AccountRecord.merchant_id.exists(),
            )
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        return _find_payout(merchant_id, payout_id) or payout  # reversed meanwhile: that reversal stands
    metrics.add_metric(name="MerchantPayoutsReversed", unit="Count", value=1)
    logger.warning("payout reversed", extra={"merchant_id": merchant_id, "payout_id": payout_id, "by": by})
    payout.reversed_at, payout.reversed_by, payout.reversal_reason = at, by, reason
    return payout


def _find_payout(merchant_id: str, payout_id: str) -> PayoutRecord | None:
    """The payout by its id (through its key's pointer), read strongly."""
    try:
        pointer = PayoutKey.get(merchant_id, PayoutKey.entry_of(payout_id), consistent_read=True)
    except DoesNotExist:
        return None
    return PayoutRecord.get(merchant_id, pointer.payout_entry, consistent_read=True)


def _made_under(merchant_id: str, payout_id: str, request: PayoutRequest) -> PayoutRecord | None:
    payout = _find_payout(merchant_id, payout_id)
    if payout is None:
        return None
    if (int(payout.amount), payout.reference, payout.note) != (request.amount, request.reference, request.note):
        raise Unprocessable("This Idempotency-Key was used for a different payout.", code="IDEMPOTENCY_KEY_REUSED")
    return payout


def _commit(account: AccountRecord, today: int | None, payout_id: str, request: PayoutRequest, by: str) -> PayoutRecord:
    at = clock.now_iso()
    merchant_id = account.merchant_id
    payout = PayoutRecord(
        merchant_id,
        PayoutRecord.entry_of(at, payout_id),
        id=payout_id,
        amount=request.amount,
        reference=request.reference,
        note=request.note,
        by=by,
        at=at,
    )
    needed = int(account.paid) + request.amount + max(0, today or 0)
    day_entry = DayTotals.entry_of(clock.china_date(clock.parse_iso(at)))
    with transact_write() as transaction:
        transaction.save(
            PayoutKey(merchant_id, PayoutKey.entry_of(payout_id), payout_entry=payout.entry),
            condition=PayoutKey.entry.does_not_exist(),
        )
        transaction.save(payout, condition=PayoutRecord.entry.does_not_exist())
        transaction.update(
            account,
            actions=[
                AccountRecord.paid.add(request.amount),
                AccountRecord.last_payout_at.set(at),
                AccountRecord.updated_at.set(at),
            ],
            condition=(AccountRecord.paid == account.paid) & (AccountRecord.accrued >= needed),
        )
        same_day = DayTotals.total.does_not_exist() if today is None else DayTotals.total == today
        transaction.condition_check(DayTotals, merchant_id, day_entry, condition=same_day)
    return payout


def set_commission(merchant_id: str, basis_points: int) -> CommissionView:
    """The merchant's own rate, for the orders settled from now on. 404 ``MERCHANT_NOT_FOUND``."""
    merchant = get_merchant(merchant_id)
    merchant.update(actions=[MerchantRecord.commission_bp.set(basis_points)], condition=MerchantRecord.id.exists())
    logger.info("commission set", extra={"merchant_id": merchant_id, "commission_bp": basis_points})
    return CommissionView(merchant_id=merchant_id, commission_bp=basis_points, own=True)
