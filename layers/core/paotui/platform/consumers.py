"""Queue consumers: partial batch failures plus exactly-once effects per event.

Every SQS worker hands its records to :func:`consume`. A record that fails is
reported back to Lambda (``ReportBatchItemFailures``) and retried until the
queue's redrive policy moves it to the DLQ; the rest of the batch succeeds. A
record that was already applied (a redelivery, a duplicate publish) is skipped
through Powertools idempotency, keyed by consumer and event id.

Workers import this module before their domain modules. Powertools' batch
module builds pydantic parser models, used only in its type hints, when
pydantic is already loaded: ~15 ms of cold start we don't need.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from paotui.platform.events import DomainEvent
from paotui.platform.observability import logger, metrics, tracer
from paotui.platform.settings import get_settings

EventHandler = Callable[[DomainEvent], None]

_IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="[consumer, id]", expires_after_seconds=24 * 3600)


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)


def _apply_once(consumer: str, event: DomainEvent, handle: EventHandler) -> None:
    @idempotent_function(data_keyword_argument="key", config=_IDEMPOTENCY, persistence_store=_persistence())
    def apply(key: dict[str, str]) -> dict[str, str]:
        handle(event)
        return key

    apply(key={"consumer": consumer, "id": event.id})


def consume(event: dict[str, Any], context: Any, *, consumer: str, handle: EventHandler) -> dict[str, Any]:
    """Process an SQS batch of domain events; returns the partial-failure response."""
    _IDEMPOTENCY.register_lambda_context(context)

    def record_handler(record: SQSRecord) -> None:
        domain_event = DomainEvent.model_validate_json(record.body)
        logger.append_keys(event_id=domain_event.id, event_type=domain_event.type, subject=domain_event.subject)
        _apply_once(consumer, domain_event, handle)

    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


def worker_handler(consumer: str, handle: EventHandler) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point of an SQS worker: logged, traced, metered, partial failures reported."""

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return consume(event, context, consumer=consumer, handle=handle)

    return handler
