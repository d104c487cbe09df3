"""What WatchdogWorker does with each event it receives."""

from __future__ import annotations

from paotui.orders import exceptions
from paotui.platform.events import DomainEvent, EventType
from paotui.workflow import service


def handle(event: DomainEvent) -> None:
    data = event.data
    if event.type == EventType.ORDER_CREATED:
        service.start_watch(event.subject)
    elif event.type == EventType.ORDER_STATUS_CHANGED:
        service.sync(event.subject)  # by the order's current status: events may come late or out of order
        exceptions.announce_current(event.subject, data.get("status"))  # the backstop of a failed delivery's news
    elif event.type == EventType.WATCHDOG_AWAIT:
        service.register_token(
            data["order_id"],
            data["step"],
            data["task_token"],
            entered_at=event.occurred_at,  # the await state's EnteredTime
            attempt=data.get("attempt", 0),
        )
    elif event.type == EventType.WATCHDOG_TIMEOUT:
        service.handle_timeout(data["order_id"], data["step"])
    else:
        raise ValueError(f"WatchdogWorker does not handle {event.type}")
