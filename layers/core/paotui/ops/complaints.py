"""A customer's complaint is operators' work until an admin decides it: an open incident (kind ``complaint``),
raised when the complaint is filed and resolved when it is decided, so that it shows in the operators' list beside
the other incidents. It is not paged: a complaint waits for office hours, not for whoever is on call.

SQS may bring the decision before the filing: a filing whose complaint the order no longer holds as pending raises
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from paotui.ops.incidents import close, raise_incident
from paotui.orders.records import OrderRecord

KIND = "complaint"
PENDING = "PENDING"
VERDICTS = {"UPHELD": "成立", "DISMISSED": "不成立"}


def filed(order: Mapping[str, Any], complaint: Mapping[str, Any]) -> bool:
    """Raise the complaint's incident, if it still waits for a decision; True when this call raised it."""
    try:
        now = OrderRecord.get(order["id"], consistent_read=True)
    except DoesNotExist:
        return False
    if now.complaint is None or now.complaint.status != PENDING:
        return False
    detail = {"reason": complaint.get("reason"), "rider_id": complaint.get("rider_id")}
    return raise_incident(order["id"], KIND, {key: value for key, value in detail.items() if value}, page=False)


def decided(order: Mapping[str, Any], complaint: Mapping[str, Any]) -> bool:
    """Resolve the complaint's incident with the decision; True when this call resolved it."""
    verdict = VERDICTS[complaint["status"]]
    note = f"{verdict}：{complaint['note']}" if complaint.get("note") else verdict
    return close(order["id"], KIND, by=complaint.get("decided_by") or "admin", note=note)
