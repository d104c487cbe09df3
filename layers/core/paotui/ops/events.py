"""What OpsWorker does with each event it receives: every ``ops.incident`` becomes an incident, once; a customer's
complaint opens one until it is decided (``ops.complaints``)."""

from __future__ import annotations

from paotui.ops import complaints, rules
from paotui.ops.incidents import raise_incident
from paotui.platform.events import DomainEvent, EventType


def handle(event: DomainEvent) -> None:
    if event.type == EventType.ORDER_COMPLAINT_FILED:
        complaints.filed(event.data["order"], event.data["complaint"])
        return
    if event.type == EventType.ORDER_COMPLAINT_DECIDED:
        complaints.decided(event.data["order"], event.data["complaint"])
        return
    if event.type != EventType.OPS_INCIDENT:
        raise ValueError(f"OpsWorker does not handle {event.type}")
    data = dict(event.data)
    kind = data.pop("kind")
    # the watchdog's failure states name the order; EventBridge's execution events only the execution
    order_id = data.pop("order_id", None) or rules.order_of(data["execution"])
    raise_incident(order_id, kind, data)
