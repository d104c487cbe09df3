"""What AnalyticsWorker does with each event its queue's filter lets through (template.yaml AnalyticsSubscription):
an order's move into a status that makes a fact is counted, once per order and fact."""

from __future__ import annotations

from paotui.analytics import counters
from paotui.analytics.facts import FACT_STATUSES, fact_of
from paotui.platform.events import DomainEvent, EventType


def handle(event: DomainEvent) -> None:
    if event.type != EventType.ORDER_STATUS_CHANGED or event.data["status"] not in FACT_STATUSES:
        raise ValueError(f"AnalyticsWorker does not handle {event.type} {event.data.get('status')}")
    counters.apply(fact_of(event.data["order"], event.data["status"]), event.id)
