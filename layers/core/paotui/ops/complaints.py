"""A customer's complaint is operators' work until an admin decides it: an open incident (kind ``complaint``),
raised when the complaint is filed and resolved when it is decided, so that it shows in the operators' list beside
the other incidents. It is not paged: a complaint waits for office hours, not for whoever is on call.

SQS may bring the decision before the filing, or both at once to two workers: a filing whose complaint the order no
longer holds as pending raises nothing, and one decided while its incident was being raised closes it again.
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
    if _pending(order["id"]) is None:
        return False
    detail = {"reason": complaint.get("reason"), "rider_id": complaint.get("rider_id")}
    raised = raise_incident(order["id"], KIND, {key: value for key, value in detail.items() if value}, page=False)
    if raised and (decision := _decided_since(order["id"])) is not None:
        decided(order, decision)  # its decision's worker found no incident to close: this one closes it
    return raised


def _pending(order_id: str) -> Mapping[str, Any] | None:
    """The order's complaint, if it still waits for a decision."""
    complaint = _complaint(order_id)
    return complaint if complaint is not None and complaint["status"] == PENDING else None


def _decided_since(order_id: str) -> Mapping[str, Any] | None:
    complaint = _complaint(order_id)
    return complaint if complaint is not None and complaint["status"] in VERDICTS else None


def _complaint(order_id: str) -> Mapping[str, Any] | None:
    try:
        now = OrderRecord.get(order_id, consistent_read=True)
    except DoesNotExist:
        return None
    return None if now.complaint is None else now.complaint.as_dict()


def decided(order: Mapping[str, Any], complaint: Mapping[str, Any]) -> bool:
    """Resolve the complaint's incident with the decision; True when this call resolved it."""
    verdict = VERDICTS[complaint["status"]]
    note = f"{verdict}：{complaint['note']}" if complaint.get("note") else verdict
    return close(order["id"], KIND, by=complaint.get("decided_by") or "admin", note=note)
