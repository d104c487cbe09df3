"""The Payments table: one item per (order, channel) payment intent."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class PaymentRecord(Model):
    Meta = table_meta("payments_table")

    order_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    channel = UnicodeAttribute()
    amount = NumberAttribute()
    status = UnicodeAttribute()  # CREATED | SUCCEEDED
    created_at = UnicodeAttribute()
    paid_at = UnicodeAttribute(null=True)
    provider_txn_id = UnicodeAttribute(null=True)
