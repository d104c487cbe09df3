"""The Watches table: the task token an order's watchdog is waiting on, per step."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class WatchRecord(Model):
    Meta = table_meta("watches_table")

    order_id = UnicodeAttribute(hash_key=True)
    step = UnicodeAttribute(range_key=True)
    task_token = UnicodeAttribute()
    created_at = UnicodeAttribute()
    ttl = NumberAttribute()
