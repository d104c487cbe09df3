"""Request and response models of settlement (amounts in fen; a merchant's debit, or a balance it owes, is
negative)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from paotui.platform.models import Line, Prose, RequestModel, ResponseModel

MAX_COMMISSION_BP = 5000
"""50%: a rate above it is a typo (8% typed as 800 percent), not a deal."""


class AccountView(ResponseModel):
    """``balance`` = ``accrued`` − ``paid``. ``today``: the China-time day's lines so far. ``payable``: what may be
    paid out now, the balance less today's credits (T+1: a day is paid once it is over)."""

    merchant_id: str
    accrued: int
    paid: int
    balance: int
    today: int
    payable: int
    updated_at: str | None = None
    last_payout_at: str | None = None


class DayView(ResponseModel):
    """One China-time day's lines summed by kind (settlement.rules); ``orders``: sales settled that day."""

    date: date
    orders: int = 0
    goods: int = 0
    commission: int = 0
    delivery_fee: int = 0
    carrier_fee: int = 0
    refund: int = 0
    commission_back: int = 0
    total: int = 0


class PayoutView(ResponseModel):
    id: str
    merchant_id: str
    amount: int
    reference: str
    note: str | None = None
    by: str
    at: str
    reversed_at: str | None = None  # reversed: recorded by mistake, its amount owed again
    reversed_by: str | None = None
    reversal_reason: str | None = None


class SettlementView(ResponseModel):
    """A merchant's account, its days from ``start`` to ``end`` (days without lines included, as zeros), and its
    latest payouts, newest first. ``commission_bp``: the rate orders settle at from now on (basis points)."""

    merchant_id: str
    commission_bp: int
    account: AccountView
    start: date
    end: date
    days: list[DayView]
    payouts: list[PayoutView]


class LineView(ResponseModel):
    order_id: str
    refund_id: str | None = None
    kind: str
    amount: int
    detail: str
    at: str


class LinePage(ResponseModel):
    """A page of one day's lines, in time order; pass ``next_cursor`` back as ``cursor`` (null: the last)."""

    date: date
    lines: list[LineView]
    next_cursor: str | None


class AccountRow(AccountView):
    name: str  # the shop's name, as operators search for it


class AccountPage(ResponseModel):
    """A page of ``GET /admin/settlement``; pass ``next_cursor`` back as ``cursor`` (null: the last)."""

    items: list[AccountRow]
    next_cursor: str | None


class PayoutRequest(RequestModel):
    """A transfer an operator made to the merchant's account: its amount and the bank's reference."""

    amount: Annotated[int, Field(gt=0, le=10_000_000_00)]
    reference: Annotated[Line, StringConstraints(min_length=1, max_length=64)]
    note: Annotated[Prose, StringConstraints(max_length=200)] | None = None


class PayoutReversal(RequestModel):
    """Why a payout recorded by mistake is reversed (the transfer failed, or was for another amount)."""

    reason: Annotated[Prose, StringConstraints(min_length=1, max_length=200)]


class CommissionRequest(RequestModel):
    commission_bp: Annotated[int, Field(ge=0, le=MAX_COMMISSION_BP)]  # 800 = 8% of the dishes


class CommissionView(ResponseModel):
    """``own``: False while the shop has no rate of its own and pays the platform's default."""

    merchant_id: str
    commission_bp: int
    own: bool
