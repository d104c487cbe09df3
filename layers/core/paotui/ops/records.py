"""The Incidents table: what an operator must look at, one item per (order, kind).

The id is derived from the order and the kind, so raising the same incident
twice lands on the same item and the conditional put refuses the second while
it is open; raised again once resolved, it is reopened (the item replaced).
``by-status`` lists incidents of one status, oldest first: the open ones are
the operators' work queue. Resolved incidents expire with ``ttl``.
"""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class IncidentsByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class IncidentRecord(Model):
    Meta = table_meta("incidents_table")

    id = UnicodeAttribute(hash_key=True)  # incident_id(order_id, kind)
    order_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # e.g. watchdog_failed, return_overdue, no_rider, stuck_<status>
    status = UnicodeAttribute()  # OPEN | RESOLVED
    detail = MapAttribute(null=True)  # what the caller knew, JSON-like values
    created_at = UnicodeAttribute()
    resolved_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)  # set when resolved

    by_status = IncidentsByStatus()
