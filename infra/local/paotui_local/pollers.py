"""Event source mappings: read queues and streams, invoke handlers with Lambda's event shapes.

SQS: batches of up to BatchSize; with ReportBatchItemFailures only the records
not listed in ``batchItemFailures`` are deleted, a raised error deletes none.
A failed message becomes visible again after ``sqs_retry_delay`` seconds (in
AWS: the queue's visibility timeout, minutes; shortened here so retries are
seen locally). moto applies the queue's RedrivePolicy on receive, so after
maxReceiveCount receives the message moves to the DLQ as in AWS.

DynamoDB streams: one reader per shard, records in order, a batch retried in
place until it succeeds. An idle reader sleeps until its table's stream gets a
record (``paotui_local.stream_appends``), a second at most.
``batchItemFailures`` checkpoints before the lowest failed sequence number and
retries from there; a function error bisects the batch when
BisectBatchOnFunctionError is set; after MaximumRetryAttempts the batch's
metadata goes to the OnFailure destination and the shard moves on.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paotui_local.functions import FunctionPool
from paotui_local.provision import SqsSource, Stack, StreamSource
from paotui_local.stream_appends import APPENDS

log = logging.getLogger("paotui_local")


@dataclass(frozen=True)
class PollSettings:
    stream_idle_wait: float = 1.0
    """Longest wait between GetRecords calls on an idle shard; a record appended to its table ends the wait."""
    sqs_wait_seconds: int = 1
    """Long-poll wait; moto wakes the poll as soon as a message arrives."""
    sqs_retry_delay: int = 1
    """Seconds a failed message stays invisible before it is received again."""
    stream_retry_delay: float = 0.5
    """Pause before a failed stream batch is retried."""


class Poller:
    """One event source mapping: a daemon thread polling until stopped; an error is logged, not fatal."""

    def __init__(self, pool: FunctionPool, stack: Stack, settings: PollSettings, name: str):
        self.pool = pool
        self.stack = stack
        self.settings = settings
        self.function_id = pool.spec.logical_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("%s: poller error", self._thread.name)
                self._stop.wait(1)

    def poll(self) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- SQS


class SqsPoller(Poller):
    def __init__(self, pool: FunctionPool, source: SqsSource, stack: Stack, settings: PollSettings, sqs: Any):
        super().__init__(pool, stack, settings, f"sqs:{pool.spec.logical_id}:{source.queue_arn.rsplit(':', 1)[1]}")
        self.source = source
        self.sqs = sqs

    def poll(self) -> None:
        messages = self._receive()
        if messages:
            self._deliver(messages)

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.source.batch_size and not self._stop.is_set():
            wanted = min(10, self.source.batch_size - len(messages))
            received = self.sqs.receive_message(
                QueueUrl=self.source.queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=0 if messages else self.settings.sqs_wait_seconds,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            if len(received) < wanted:
                break
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(message) for message in messages]}
        ids = [message["MessageId"] for message in messages]
        try:
            response = self.pool.invoke(event)
        except Exception:
            log.exception(
                "%s failed on a batch of %d from %s; all will be retried",
                self.function_id,
                len(ids),
                self.source.queue_arn,
            )
            failed = set(ids)
        else:
            failed = _failed_items(response, ids) if self.source.report_failures else set()
            if failed:
                log.warning(
                    "%s reported %d of %d messages from %s as failed; they will be retried",
                    self.function_id,
                    len(failed),
                    len(ids),
                    self.source.queue_arn,
                )
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        for chunk in _chunks(done, 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        delay = self.settings.sqs_retry_delay
        for chunk in _chunks(retry, 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.source.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": delay}
                    for i, m in enumerate(chunk)
                ],
            )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source.queue_arn,
            "awsRegion": self.stack.region,
        }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute (StringValue, DataType) → Lambda event attribute (stringValue, dataType)."""
    attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute


def _reported_failures(response: Any) -> list[str] | None:
    """Identifiers in ``batchItemFailures`` ([] when there are none); None when the list is malformed."""
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return []
    failures = response["batchItemFailures"]
    if not isinstance(failures, list) or not all(isinstance(i, dict) and i.get("itemIdentifier") for i in failures):
        return None
    return [item["itemIdentifier"] for item in failures]


def _failed_items(response: Any, ids: list[str]) -> set[str]:
    """Messages to retry; an invalid failure list fails the whole batch, as in Lambda."""
    listed = _reported_failures(response)
    if listed is None or any(identifier not in ids for identifier in listed):
        log.warning("invalid batchItemFailures %r: the whole batch counts as failed", response)
        return set(ids)
    return set(listed)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# ---------------------------------------------------------------- DynamoDB streams

_FUNCTION_ERROR = -1


class StreamPoller(Poller):
    def __init__(self, pool: FunctionPool, source: StreamSource, stack: Stack, settings: PollSettings, streams: Any):
        super().__init__(pool, stack, settings, f"stream:{pool.spec.logical_id}:{source.table_name}")
        self.source = source
        self.streams = streams
        self._iterators: dict[str, str | None] = {}
        self._next_refresh = 0.0

    def start(self) -> None:
        """Position on the shards before returning, so no write made after start() is missed."""
        position = "TRIM_HORIZON" if self.source.starting_position == "TRIM_HORIZON" else "LATEST"
        self._refresh_shards(position)
        super().start()

    def _refresh_shards(self, position: str) -> None:
        description = self.streams.describe_stream(StreamArn=self.source.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.source.stream_arn, ShardId=shard_id, ShardIteratorType=position
                )["ShardIterator"]
        self._next_refresh = time.monotonic() + 1

    def stop(self) -> None:
        super().stop()
        APPENDS.wake()

    def poll(self) -> None:
        seen = APPENDS.count(self.source.table_name)  # before reading: a record appended meanwhile ends the wait
        delivered = False
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            page = self.streams.get_records(ShardIterator=iterator, Limit=min(self.source.batch_size, 1000))
            if page["Records"]:
                delivered = True
                self._deliver(shard_id, [self._record(record) for record in page["Records"]])
            self._iterators[shard_id] = page.get("NextShardIterator")
        if time.monotonic() >= self._next_refresh:
            self._refresh_shards("TRIM_HORIZON")  # shards that appear after start are read from their beginning
        if not delivered:
            APPENDS.wait_past(self.source.table_name, seen, self.settings.stream_idle_wait, self._stop)

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """Run the records through the function until each succeeded or was given up on."""
        pending = deque([records])
        while pending and not self._stop.is_set():
            batch, attempts = pending.popleft(), 0
            while batch and not self._stop.is_set():
                failed_at = self._invoke(batch)
                if failed_at is None:
                    break
                if failed_at == _FUNCTION_ERROR and self.source.bisect and len(batch) > 1:
                    half = len(batch) // 2
                    pending.extendleft([batch[half:], batch[:half]])
                    break
                attempts += 1
                batch = batch if failed_at == _FUNCTION_ERROR else batch[failed_at:]
                if 0 <= self.source.max_retries < attempts:
                    self._give_up(shard_id, batch, attempts)
                    break
                self._stop.wait(self.settings.stream_retry_delay)

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """None on success, the index to retry from on a partial failure, or _FUNCTION_ERROR."""
        first, last = batch[0]["dynamodb"]["SequenceNumber"], batch[-1]["dynamodb"]["SequenceNumber"]
        try:
            response = self.pool.invoke({"Records": batch})
        except Exception:
            log.exception(
                "%s failed on %d stream records of %s (%s..%s)",
                self.function_id,
                len(batch),
                self.source.table_name,
                first,
                last,
            )
            return _FUNCTION_ERROR
        if not self.source.report_failures:
            return None
        listed = _reported_failures(response)
        if listed is None:
            return self._invalid(response)
        if not listed:
            return None
        sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
        if any(identifier not in sequence for identifier in listed):
            return self._invalid(response)
        index = min(sequence.index(identifier) for identifier in listed)
        log.warning(
            "%s reported stream record %s of %s as failed; retrying from it",
            self.function_id,
            sequence[index],
            self.source.table_name,
        )
        return index

    def _invalid(self, response: Any) -> int:
        log.warning("%s: invalid batchItemFailures %r: the whole batch counts as failed", self.function_id, response)
        return _FUNCTION_ERROR

    def _give_up(self, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> None:
        info = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.pool.spec.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(batch[0]["dynamodb"]["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": _iso(batch[-1]["dynamodb"]["ApproximateCreationDateTime"]),
                "batchSize": len(batch),
                "streamArn": self.source.stream_arn,
            },
        }
        destination = self.source.on_failure_arn
        log.error(
            "%s gave up on %d stream records of %s after %d retries; %s",
            self.function_id,
            len(batch),
            self.source.table_name,
            attempts - 1,
            f"sent to {destination}" if destination else "dropped",
        )
        if destination and ":sqs:" in destination:
            queue_url = self.stack.queue_url(destination)
            self.stack.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(info))
        elif destination and ":sns:" in destination:
            self.stack.client("sns").publish(TopicArn=destination, Message=json.dumps(info))

    def _record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A GetRecords record as Lambda delivers it (epoch-seconds time, base64 binaries)."""
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.stack.region,
            "dynamodb": _base64_binaries(dynamodb),
            "eventSourceARN": self.source.stream_arn,
        }


def _iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat().replace("+00:00", "Z")


def _base64_binaries(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _base64_binaries(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_base64_binaries(item) for item in value]
    return value


def pollers_for(stack: Stack, pools: dict[str, FunctionPool], settings: PollSettings) -> list[Poller]:
    """One poller per SQS and DynamoDB event of every function that has code (others are reported).

    The pollers of a kind share one client with a connection for each of them (a client costs ~80 ms
    of CPU to make, and a cloud has a dozen pollers)."""
    polled: list[tuple[FunctionPool, SqsSource | StreamSource]] = []
    for spec in stack.functions.values():
        sources = [e for e in spec.events if isinstance(e, (SqsSource, StreamSource))]
        if sources and not spec.code_exists:
            log.warning(
                "%s: no handler code at %s; its %d event source(s) are not polled",
                spec.logical_id,
                spec.handler_file,
                len(sources),
            )
            continue
        polled += [(pools[spec.logical_id], source) for source in sources]
    queues = sum(isinstance(source, SqsSource) for _, source in polled)
    sqs = stack.new_client("sqs", connections=queues) if queues else None
    streams = stack.new_client("dynamodbstreams", connections=len(polled) - queues) if len(polled) > queues else None
    return [
        SqsPoller(pool, source, stack, settings, sqs)
        if isinstance(source, SqsSource)
        else StreamPoller(pool, source, stack, settings, streams)
        for pool, source in polled
    ]
