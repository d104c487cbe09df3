"""The Coupons table: a customer's coupons, one item each, keyed by customer so a customer reads only theirs."""

from __future__ import annotations

from enum import StrEnum

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class CouponStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    USED = "USED"  # held by ``order_id``; a cancelled order gives it back (AVAILABLE again)


class CouponRecord(Model):
    """``amount`` off an order whose goods come to at least ``min_spend``, until ``expires_at``; amounts in fen."""

    Meta = table_meta("coupons_table")

    customer_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)  # cpn_...
    amount = NumberAttribute()
    min_spend = NumberAttribute(default=0)
    expires_at = UnicodeAttribute()
    status = UnicodeAttribute(default=CouponStatus.AVAILABLE.value)
    source = UnicodeAttribute()  # why it was issued, e.g. "late_delivery"
    source_order_id = UnicodeAttribute(null=True)  # the order it makes up for
    order_id = UnicodeAttribute(null=True)  # the order it is used on, while USED
    used_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
