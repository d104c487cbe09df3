"""The Watches table: the task token an order's watchdog is waiting on, per step (its newest wait's)."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class WatchRecord(Model):
    Meta = table_meta("watches_table")

    order_id = UnicodeAttribute(hash_key=True)
    step = UnicodeAttribute(range_key=True)
    task_token = UnicodeAttribute()
    entered_at = UnicodeAttribute(null=True)  # when the wait's state was entered (UTC, microseconds); None: older
    attempt = NumberAttribute(default=0)  # the wait's retry count: a retry re-sends with the same entered_at
    created_at = UnicodeAttribute()
    ttl = NumberAttribute()
