"""Asking DispatchWorker for a round from outside it: an event sent straight to DispatchQueue.

The watchdog sends ``dispatch.requested`` itself (a Step Functions SQS task);
the reconcile job (an order left without an offer), RidersApi (a rider came
on duty, ``rider.online``) and DispatchWorker itself (what a run whose rounds
were spent was still asked, ``dispatch.asked``) send theirs through :func:`send`.
"""

from __future__ import annotations

from paotui.platform.aws import client
from paotui.platform.events import DomainEvent
from paotui.platform.settings import get_settings


def send(event: DomainEvent) -> None:
    client("sqs").send_message(QueueUrl=get_settings().dispatch_queue_url, MessageBody=event.model_dump_json())
