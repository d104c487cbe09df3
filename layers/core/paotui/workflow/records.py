"""The Watches table: the task token an order's watchdog is waiting on, per step (its newest wait's)."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class WatchRecord(Model):
    """The step's newest wait, and a failure kept for it that came while no wait of the step was live."""

    Meta = table_meta("watches_table")

    order_id = UnicodeAttribute(hash_key=True)
    step = UnicodeAttribute(range_key=True)
    task_token = UnicodeAttribute(null=True)  # None: no wait stored yet, only a kept failure
    entered_at = UnicodeAttribute(null=True)  # when the wait's state was entered (UTC, microseconds); None: older
    attempt = NumberAttribute(default=0)  # the wait's retry count: a retry re-sends with the same entered_at
    created_at = UnicodeAttribute(null=True)
    ttl = NumberAttribute()
    kept_error = UnicodeAttribute(null=True)  # the kept failure (paotui.workflow.service.fail_step) ...
    kept_cause = UnicodeAttribute(null=True)
    kept_at = UnicodeAttribute(null=True)  # ... and when it came (UTC, microseconds): a wait entered before takes it
