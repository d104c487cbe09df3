"""Tables of merchants' settlement: the ledger (lines, what they settled, day totals, payouts) and the accounts.

Only SettlementWorker writes lines, and each sale or refund is one transaction
with its own item (``order#<id>``, ``refund#<id>``) put on condition it does
not exist, so it is written once whichever event (or copy of one) brings it.
The same transaction adds the lines to their China-time day's totals and to
the merchant's account, so the account is always the sum of the lines.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta

KINDS = ("goods", "commission", "delivery_fee", "carrier_fee", "refund", "commission_back")
"""Every kind of line (settlement.rules), in the order a statement shows them."""


class LedgerLine(Model):
    """Money the merchant is owed (or owes) for one order or refund: ``entry`` =
    ``line#<China day>#<at>#<order or refund id>#<kind>``."""

    Meta = table_meta("merchant_ledger_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    day = UnicodeAttribute()
    at = UnicodeAttribute()
    order_id = UnicodeAttribute()
    refund_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    amount = NumberAttribute()  # fen; the merchant's debit is negative
    detail = UnicodeAttribute()

    @staticmethod
    def entry_of(day: str, at: str, source_id: str, kind: str) -> str:
        return f"line#{day}#{at}#{source_id}#{kind}"


class SettledOrder(Model):
    """An order's sale, written: ``entry`` = ``order#<order id>``. Refunds take back ``goods_left`` and
    ``commission_left`` by conditional updates."""

    Meta = table_meta("merchant_ledger_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    event_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    commission_bp = NumberAttribute()  # the rate of the sale, which its refunds give back at
    goods_left = NumberAttribute()
    commission_left = NumberAttribute()

    @staticmethod
    def entry_of(order_id: str) -> str:
        return f"order#{order_id}"


class SettledRefund(Model):
    """A refund, written (with or without lines: only the merchant's refunds have any): ``refund#<refund id>``."""

    Meta = table_meta("merchant_ledger_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    order_id = UnicodeAttribute()
    event_id = UnicodeAttribute()

    @staticmethod
    def entry_of(refund_id: str) -> str:
        return f"refund#{refund_id}"


class DayTotals(Model):
    """The sums of one China-time day's lines by kind: ``entry`` = ``day#YYYY-MM-DD``."""

    Meta = table_meta("merchant_ledger_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    orders = NumberAttribute(null=True)  # sales settled that day
    goods = NumberAttribute(null=True)
    commission = NumberAttribute(null=True)
    delivery_fee = NumberAttribute(null=True)
    carrier_fee = NumberAttribute(null=True)
    refund = NumberAttribute(null=True)
    commission_back = NumberAttribute(null=True)
    total = NumberAttribute(null=True)

    @staticmethod
    def entry_of(day: str) -> str:
        return f"day#{day}"


class PayoutRecord(Model):
    """Money the platform paid the merchant (a bank transfer an operator made): ``payout#<at>#<payout id>``, so
    a query lists them by time."""

    Meta = table_meta("merchant_ledger_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    amount = NumberAttribute()
    reference = UnicodeAttribute()  # the bank's (or WeChat Pay's) reference of the transfer
    note = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()
    # set when an operator reverses it (recorded by mistake): it stays listed, and its amount is owed again
    reversed_at = UnicodeAttribute(null=True)
    reversed_by = UnicodeAttribute(null=True)
    reversal_reason = UnicodeAttribute(null=True)

    @staticmethod
    def entry_of(at: str, payout_id: str) -> str:
        return f"payout#{at}#{payout_id}"


class PayoutKey(Model):
    """Where the payout made under an Idempotency-Key is: ``payout-key#<payout id>`` (the id derives from the key)."""

    Meta = table_meta("merchant_ledger_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    payout_entry = UnicodeAttribute()

    @staticmethod
    def entry_of(payout_id: str) -> str:
        return f"payout-key#{payout_id}"


class AccountRecord(Model):
    """A merchant's running balance: ``accrued`` is the sum of all its lines, ``paid`` of all its payouts."""

    Meta = table_meta("merchant_accounts_table")

    merchant_id = UnicodeAttribute(hash_key=True)
    accrued = NumberAttribute(default=0)
    paid = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()
    last_payout_at = UnicodeAttribute(null=True)


class CashMove(Model):
    """Cash a rider took at a door for the platform (``kind`` collected, ``+amount``), or handed in (handed_in,
    ``-amount``): ``entry`` = ``move#<at>#<order or hand-in id>``, so a query reads them by time. The rider's
    balance is ``RiderRecord.cash_held``, changed in the same transaction."""

    Meta = table_meta("rider_cash_table")

    rider_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # collected | handed_in
    amount = NumberAttribute()  # fen; a hand-in is negative
    at = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)  # collected: the order paid at the door
    note = UnicodeAttribute(null=True)  # handed_in: the operator's (where, the receipt's number)
    by = UnicodeAttribute(null=True)  # handed_in: the operator who took it
    event_id = UnicodeAttribute(null=True)  # collected: the event that brought it first

    @staticmethod
    def entry_of(at: str, source_id: str) -> str:
        return f"move#{at}#{source_id}"


class HandInKey(Model):
    """Where the hand-in recorded under an Idempotency-Key is: ``handin-key#<hand-in id>``."""

    Meta = table_meta("rider_cash_table")

    rider_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    move_entry = UnicodeAttribute()

    @staticmethod
    def entry_of(handin_id: str) -> str:
        return f"handin-key#{handin_id}"
