"""Asking DispatchWorker for a round from outside it: an event sent straight to DispatchQueue.

The watchdog sends ``dispatch.requested`` itself (a Step Functions SQS task);
the reconcile job (an order left without an offer), RidersApi (a rider came
on duty, ``rider.online``) and DispatchWorker itself (what a run whose rounds
were spent was still asked, ``dispatch.asked``) send theirs through :func:`send`.
"""

from __future__ import annotations

from paotui.platform.aws import client
from paotui.platform.events import DomainEvent
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings


def send(event: DomainEvent) -> None:
    client("sqs").send_message(QueueUrl=get_settings().dispatch_queue_url, MessageBody=event.model_dump_json())


def send_or_count(event: DomainEvent, *, unsent_metric: str, count: int = 1) -> bool:
    """:func:`send`, for a request whose loss the orders' watchdogs make good (they ask again): a failure is logged and
    counted as ``unsent_metric`` (``count`` of it), not raised, so the caller's own work stands. Whether it was sent."""
    try:
        send(event)
    except Exception:  # noqa: BLE001 - the watchdogs' next tries cover a lost request
        logger.exception(
            "dispatch request not sent", extra={"type": event.type, "subject": event.subject, "data": event.data}
        )
        metrics.add_metric(name=unsent_metric, unit="Count", value=count)
        return False
    return True
