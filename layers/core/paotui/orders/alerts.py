"""Alerts: what the parties of an order must hear about that is not a status change.

A timeout, an escalation or an exception (no rider yet and a new ETA, pickup
overdue, a rider reassigned, delivery late, compensation given) is appended to
the order's ``alerts`` in one conditional update, at most once per alert id;
the Orders stream turns each new entry into an ``order.alert`` event, which
NotifyWorker words for the customer, the merchant and the rider. Writing the
alert on the order, not publishing it directly, means a crash after the write
loses nothing and a retry before it sends nothing twice.

Alerts don't move ``version``: they never conflict with a status change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


from paotui.orders.records import AlertMap, OrderRecord
from paotui.platform import clock
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.dynamo import update_if


def alert_id(order_id: str, kind: str, key: str = "") -> str:
    return stable_id("alr_", order_id, kind, key)


def record_alert(order_id: str, kind: str, *, key: str = "", detail: Mapping[str, Any] | None = None) -> bool:
    """Append alert ``kind`` to the order unless the same (kind, key) is there already; True if appended.

    ``key`` tells apart repeats that are news (e.g. the escalation level); ``detail`` is for the wording
    (JSON-like values only).
    """
    identity = alert_id(order_id, kind, key)
    entry = AlertMap(id=identity, kind=kind, at=clock.now_iso(), detail=dict(detail) if detail else None)
    if not update_if(
        OrderRecord(order_id),
        actions=[
            OrderRecord.alerts.set((OrderRecord.alerts | []).append([entry])),
            OrderRecord.alert_ids.add({identity}),
        ],
        condition=OrderRecord.id.exists() & ~OrderRecord.alert_ids.contains(identity),
    ):
        logger.info("alert already recorded", extra={"order_id": order_id, "kind": kind, "key": key})
        return False
    logger.info("alert recorded", extra={"order_id": order_id, "kind": kind, "key": key})
    metrics.add_metric(name="OrderAlerts", unit="Count", value=1)
    return True
