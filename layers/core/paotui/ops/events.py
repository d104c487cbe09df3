"""What OpsWorker does with each event it receives: every ``ops.incident`` becomes an incident, once."""

from __future__ import annotations

from paotui.ops import rules
from paotui.ops.incidents import raise_incident
from paotui.platform.events import DomainEvent, EventType


def handle(event: DomainEvent) -> None:
    if event.type != EventType.OPS_INCIDENT:
        raise ValueError(f"OpsWorker does not handle {event.type}")
    data = dict(event.data)
    kind = data.pop("kind")
    # the watchdog's failure states name the order; EventBridge's execution events only the execution
    order_id = data.pop("order_id", None) or rules.order_of(data["execution"])
    raise_incident(order_id, kind, data)
