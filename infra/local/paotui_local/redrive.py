"""Move a dead-letter queue's messages back to the queue they came from.

In AWS this is ``aws sqs start-message-move-task --source-arn <DLQ arn>``;
locally ``POST /dev/redrive/<DLQ logical id>`` does the same against the
embedded moto. Consumers are idempotent per event id, so a redriven message
that had partly applied applies the rest once.
"""

from __future__ import annotations

from typing import Any

BATCH = 10


def redrive(sqs: Any, dlq_url: str) -> int:
    """Move every message from ``dlq_url`` to its source queue; returns how many moved."""
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(sources) != 1:
        raise ValueError(f"{dlq_url} is the dead-letter queue of {len(sources)} queues, not exactly one")
    moved = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return moved
        sqs.send_message_batch(
            QueueUrl=sources[0],
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": message["Body"],
                    **({"MessageAttributes": message["MessageAttributes"]} if message.get("MessageAttributes") else {}),
                }
                for index, message in enumerate(messages)
            ],
        )
        sqs.delete_message_batch(
            QueueUrl=dlq_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        moved += len(messages)
