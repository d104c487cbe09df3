"""The Payments table: an order's money, one item per payment intent and one per refund.

Both kinds share the table (hash key ``order_id``) because they are always
read together, per order, and a refund's write must check its payment's
refunded total in the same transaction.
"""

from enum import StrEnum

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.orders.records import OrderRecord
from paotui.platform.dynamo import table_meta

PENDING_REFUND = "refund"  # a refund's ``pending`` while it is PROCESSING: what the refund sweep finds
PAID_BY = "payment:"  # the PAID timeline entry's ``by``: this prefix and the id of the payment that paid the order


class PaymentStatus(StrEnum):
    CREATED = "CREATED"  # opened at the provider, not paid
    SUCCEEDED = "SUCCEEDED"
    CLOSED = "CLOSED"  # closed at the provider unpaid (the order timed out or was cancelled)


class RefundStatus(StrEnum):
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # the provider gave up (e.g. the payer's account is closed): operations must act


class PaymentRecord(Model):
    """One payment intent of an order on one channel; ``refunded`` is the sum of its refunds not FAILED."""

    Meta = table_meta("payments_table")

    order_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)  # pay_...
    kind = UnicodeAttribute(default="payment")
    channel = UnicodeAttribute()
    trade_no = UnicodeAttribute(null=True)  # the provider's out_trade_no
    amount = NumberAttribute()  # fen
    refunded = NumberAttribute(default=0)  # fen
    status = UnicodeAttribute()
    client_params = UnicodeAttribute(null=True)  # JSON: what the client pays with, kept to answer a repeated /pay
    created_at = UnicodeAttribute()
    paid_at = UnicodeAttribute(null=True)
    provider_txn_id = UnicodeAttribute(null=True)


class ByPending(GlobalSecondaryIndex):
    """Refunds still PROCESSING, oldest first: sparse, as only they carry ``pending`` (payments.refund_sweep)."""

    class Meta:
        index_name = "by-pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class RefundRecord(Model):
    """One refund of a payment; its id is the provider's out_refund_no, so asking again refunds once."""

    Meta = table_meta("payments_table")

    order_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)  # rfd_...
    kind = UnicodeAttribute(default="refund")
    payment_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    amount = NumberAttribute()  # fen
    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    provider_refund_id = UnicodeAttribute(null=True)
    failure = UnicodeAttribute(null=True)  # a FAILED refund: why the provider refused it, in its own words
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    pending = UnicodeAttribute(null=True)  # PENDING_REFUND while PROCESSING, removed when settled

    by_pending = ByPending()


def payer_of(order: OrderRecord) -> str | None:
    """The id of the payment that paid the order (its PAID timeline entry), None while it is unpaid.

    An order has a trade per channel the customer opened, and more than one may
    get paid; only this one is kept (payments.service.apply_payment).
    """
    paid = next((entry.by for entry in order.timeline if entry.status == "PAID"), None)
    return paid.removeprefix(PAID_BY) if paid and paid.startswith(PAID_BY) else None
