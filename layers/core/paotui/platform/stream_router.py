"""Turn table stream records into domain events on the SNS topic.

Only changes a consumer cares about become events: for orders and offers an
insert or a change of ``status``, and for orders a rating given or a
complaint filed or decided; for refunds a change of ``status``; for products, ``available`` dropping below
the product's ``low_stock_threshold`` (one stream record per write, so one
event per crossing, not one per order). The stream record's ``eventID`` becomes the event id, so a batch
that Lambda retries republishes the same ids and idempotent consumers skip
them.

Besides that one event, an order's record yields one ``order.alert`` per
entry its ``alerts`` gained (``paotui.orders.alerts``), however many one
write appended; each such event's id is the alert's own id, which names it
just as well across redeliveries (an alert is appended once, ever).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.events import DomainEvent
from paotui.platform.events import EventType as DomainEventType
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

Change = tuple[DynamoDBRecordEventName, dict[str, Any], dict[str, Any]]  # event name, new image, old image
Mapper = Callable[[Change], tuple[str, dict[str, Any]] | None]  # → (event type, data), or None: no event


def status_events(entity: str, created: str, changed: str) -> Mapper:
    """An insert is ``created``; a change of ``status`` is ``changed``."""

    def map_change(change: Change) -> tuple[str, dict[str, Any]] | None:
        name, new, old = change
        if name is DynamoDBRecordEventName.INSERT:
            return created, {entity: new, "status": new.get("status")}
        if name is DynamoDBRecordEventName.MODIFY and new.get("status") != old.get("status"):
            return changed, {entity: new, "status": new.get("status"), "previous_status": old.get("status")}
        return None

    return map_change


def low_stock(change: Change) -> tuple[str, dict[str, Any]] | None:
    """``available`` went from at least the product's threshold to below it."""
    name, new, old = change
    threshold = new.get("low_stock_threshold")
    if name is not DynamoDBRecordEventName.MODIFY or threshold is None or new.get("unlimited"):
        return None
    if not new["available"] < threshold <= old.get("available", 0):
        return None
    return DomainEventType.PRODUCT_LOW_STOCK, {"product": new, "available": new["available"], "threshold": threshold}


def order_feedback(change: Change) -> tuple[str, dict[str, Any]] | None:
    """A rating given, a complaint filed (``status`` PENDING) or decided (``status``: the decision, UPHELD or
    DISMISSED, for filters)."""
    name, new, old = change
    if name is not DynamoDBRecordEventName.MODIFY:
        return None
    if new.get("rating") and not old.get("rating"):
        return DomainEventType.ORDER_RATED, {"order": new, "rating": new["rating"], "status": new.get("status")}
    if new.get("complaint") and not old.get("complaint"):
        data = {"order": new, "complaint": new["complaint"], "status": new["complaint"].get("status")}
        return DomainEventType.ORDER_COMPLAINT_FILED, data
    decision = (new.get("complaint") or {}).get("status")
    if decision in ("UPHELD", "DISMISSED") and decision != (old.get("complaint") or {}).get("status"):
        data = {"order": new, "complaint": new["complaint"], "status": decision}
        return DomainEventType.ORDER_COMPLAINT_DECIDED, data
    return None


def refund_status(change: Change) -> tuple[str, dict[str, Any]] | None:
    """A refund opened or moved (the payments table holds payments too: those are left out)."""
    name, new, old = change
    if new.get("kind") != "refund" or name is DynamoDBRecordEventName.REMOVE or new.get("status") == old.get("status"):
        return None
    return DomainEventType.REFUND_STATUS_CHANGED, {"refund": new, "status": new.get("status")}


def order_alerts(change: Change) -> list[tuple[str, str, dict[str, Any]]]:
    """(event id, type, data) of each alert the new image has and the old one had not."""
    name, new, old = change
    if name is DynamoDBRecordEventName.REMOVE:
        return []
    known = {alert.get("id") for alert in old.get("alerts") or []}
    return [
        (alert["id"], DomainEventType.ORDER_ALERT, {"order": new, "alert": alert})
        for alert in new.get("alerts") or []
        if alert.get("id") not in known
    ]


def first_of(*mappers: Mapper) -> Mapper:
    """The first event one of ``mappers`` finds in a change (a change is one event at most)."""

    def map_change(change: Change) -> tuple[str, dict[str, Any]] | None:
        return next((mapped for mapped in (mapper(change) for mapper in mappers) if mapped), None)

    return map_change


# stream source (table settings field) → what its changes mean
SOURCES: dict[str, Mapper] = {
    "orders_table": first_of(
        status_events("order", DomainEventType.ORDER_CREATED, DomainEventType.ORDER_STATUS_CHANGED), order_feedback
    ),
    "offers_table": status_events("offer", DomainEventType.OFFER_CREATED, DomainEventType.OFFER_STATUS_CHANGED),
    "products_table": low_stock,
    "payments_table": refund_status,
}
# stream source → the further events a change may carry, each with its own id
KEYED_SOURCES: dict[str, Callable[[Change], list[tuple[str, str, dict[str, Any]]]]] = {
    "orders_table": order_alerts,
}


def plain(value: Any) -> Any:
    """DynamoDB's Decimals and sets as JSON-friendly ints, floats and lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [plain(v) for v in value]
    return value


def _source(event_source_arn: str) -> str:
    table = event_source_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]
    settings = get_settings()
    for field in SOURCES:
        if getattr(settings, field) == table:
            return field
    raise ValueError(f"no event mapping for stream of table {table!r}")


def to_event(record: DynamoDBRecord) -> DomainEvent | None:
    """The record's own event (id = its ``eventID``), if its change is one a consumer cares about."""
    return next((event for event in to_events(record) if event.id == record.event_id), None)


def to_events(record: DynamoDBRecord) -> list[DomainEvent]:
    """Every event of one stream record: its own (id = its ``eventID``), then the keyed ones (an order's alerts)."""
    source = _source(record.event_source_arn or "")
    change = record.dynamodb
    new, old = plain(change.new_image or {}), plain(change.old_image or {})
    values: Change = (record.event_name, new, old)
    own = SOURCES[source](values)
    found = [(record.event_id, *own)] if own else []
    if source in KEYED_SOURCES:
        found += KEYED_SOURCES[source](values)
    created_epoch = change.approximate_creation_date_time
    occurred_at = clock.iso(datetime.fromtimestamp(created_epoch, UTC)) if created_epoch else clock.now_iso()
    subject = new.get("id") or old.get("id")
    return [
        DomainEvent(id=event_id, type=event_type, occurred_at=occurred_at, subject=subject, data=data)
        for event_id, event_type, data in found
    ]


def publish(event: DomainEvent) -> None:
    client("sns").publish(
        TopicArn=get_settings().domain_events_topic_arn,
        Message=event.model_dump_json(),
        MessageAttributes=event.message_attributes(),
    )


def route(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Publish every record's event; a failed record is reported so Lambda retries from it."""

    def record_handler(record: DynamoDBRecord) -> None:
        for domain_event in to_events(record):
            publish(domain_event)
            logger.debug("published", extra={"type": domain_event.type, "subject": domain_event.subject})

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
