"""The domain event envelope that travels stream → SNS → SQS → workers.

SNS message attributes ``type`` and ``status`` carry what subscription filter
policies match on, so a worker's queue only receives what it acts on. The
envelope id is the stream record's event id, which makes redelivery detectable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class EventType:
    ORDER_CREATED = "order.created"
    ORDER_STATUS_CHANGED = "order.status_changed"
    ORDER_RATED = "order.rated"
    ORDER_COMPLAINT_FILED = "order.complaint_filed"  # a customer's complaint, waiting for an admin's decision
    ORDER_COMPLAINT_DECIDED = "order.complaint_decided"
    ORDER_ALERT = "order.alert"  # one per alert appended to an order (paotui.orders.alerts), for NotifyWorker
    REFUND_STATUS_CHANGED = "refund.status_changed"  # a refund settled (SUCCEEDED or FAILED) or opened
    OFFER_CREATED = "offer.created"
    OFFER_STATUS_CHANGED = "offer.status_changed"
    OFFER_REMINDER = "offer.reminder"  # NotifyWorker to itself, delayed: text the rider if still unanswered
    PRODUCT_LOW_STOCK = "product.low_stock"
    DISPATCH_REQUESTED = "dispatch.requested"
    RIDER_ONLINE = "rider.online"  # RidersApi to DispatchQueue: a rider came on duty, where (dispatch.requests)
    DISPATCH_ASKED = "dispatch.asked"  # DispatchWorker to itself: what a run's spent rounds leave (dispatch.rounds)
    WATCHDOG_AWAIT = "watchdog.await"
    WATCHDOG_TIMEOUT = "watchdog.timeout"
    OPS_INCIDENT = "ops.incident"  # to OpsQueue: the watchdog failed (its failure states, EventBridge in AWS)


class DomainEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    type: str
    occurred_at: str
    subject: str
    data: dict[str, Any]

    def message_attributes(self) -> dict[str, dict[str, str]]:
        attributes = {"type": {"DataType": "String", "StringValue": self.type}}
        status = self.data.get("status")
        if status:
            attributes["status"] = {"DataType": "String", "StringValue": str(status)}
        return attributes
