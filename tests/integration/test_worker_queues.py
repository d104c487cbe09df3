"""Every worker of template.yaml on its real queue: a poison message ends in the DLQ, the rest succeed.

The stack is the real template provisioned into moto by the local cloud, so
the queues carry their real redrive policies and the pollers deliver batches
the way Lambda's SQS event source mapping does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from paotui_local.cloud import LocalCloud, Options
from paotui_local.pollers import PollSettings

POISON = "{not json"


def _event(event_type: str, subject: str, data: dict) -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "occurred_at": "2026-11-25T00:00:00.000Z",
            "subject": subject,
            "data": data,
        }
    )


# One message per worker that it handles without touching anything that isn't there.
HARMLESS = {
    "DispatchQueue": lambda: _event(
        "dispatch.requested", "ord_gone", {"order_id": "ord_gone", "reason": "offer_expired"}
    ),
    "StockQueue": lambda: _event(
        "order.status_changed",
        "ord_x",
        {"order": {"id": "ord_x", "merchant_id": "m", "items": []}, "status": "CONFIRMED", "previous_status": "PAID"},
    ),
    "NotifyQueue": lambda: _event(
        "offer.created",
        "off_old",
        {
            "offer": {
                "id": "off_old",
                "order_id": "ord_x",
                "rider_id": "usr_r",
                "expires_at": "2020-01-01T00:00:00.000Z",
                "pickup": {"lat": 31.2, "lng": 121.4, "name": "x"},
                "fee": 500,
            },
            "status": "OPEN",
        },
    ),
    "WatchdogQueue": lambda: _event("watchdog.timeout", "ord_x", {"order_id": "ord_x", "step": "delivery"}),
}


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    options = Options(port=0, seed=False, poll=PollSettings(sqs_retry_delay=0))
    with LocalCloud(options) as running:
        yield running


def _visible(cloud: LocalCloud, logical_id: str) -> int:
    attributes = cloud.stack.client("sqs").get_queue_attributes(
        QueueUrl=cloud.stack.physical_ids[logical_id],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _dlq_bodies(cloud: LocalCloud, logical_id: str) -> list[str]:
    messages = (
        cloud.stack.client("sqs")
        .receive_message(QueueUrl=cloud.stack.physical_ids[logical_id], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        .get("Messages", [])
    )
    return [m["Body"] for m in messages]


def test_each_worker_sends_only_the_poison_message_to_its_dlq(cloud):
    sqs = cloud.stack.client("sqs")
    for queue in HARMLESS:
        good = [HARMLESS[queue]() for _ in range(3)]
        sqs.send_message_batch(
            QueueUrl=cloud.stack.physical_ids[queue],
            Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate([good[0], POISON, *good[1:]])],
        )

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_visible(cloud, queue) for queue in HARMLESS):
        time.sleep(0.5)
    for queue in HARMLESS:
        assert _visible(cloud, queue) == 0, f"{queue} still holds messages"
        assert _dlq_bodies(cloud, queue.replace("Queue", "DLQ")) == [POISON], f"{queue}'s DLQ"

    idempotency = cloud.stack.client("dynamodb").scan(TableName=cloud.stack.physical_ids["IdempotencyTable"])
    assert idempotency["Count"] == 3 * len(HARMLESS), "every good message was processed, once"


def test_redrive_moves_a_dead_letter_back_to_its_queue_where_it_is_processed(cloud):
    """A message that failed while a dependency was missing succeeds once redriven."""
    import requests

    sqs = cloud.stack.client("sqs")
    dlq = cloud.stack.physical_ids["WatchdogDLQ"]
    sqs.purge_queue(QueueUrl=dlq)
    sqs.send_message(QueueUrl=dlq, MessageBody=HARMLESS["WatchdogQueue"]())  # as if it had died earlier

    before = cloud.stack.client("dynamodb").scan(TableName=cloud.stack.physical_ids["IdempotencyTable"])["Count"]
    response = requests.post(f"{cloud.url}/dev/redrive/WatchdogDLQ", timeout=10)
    assert response.json() == {"queue": "WatchdogDLQ", "moved": 1}

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _visible(cloud, "WatchdogQueue"):
        time.sleep(0.2)
    after = cloud.stack.client("dynamodb").scan(TableName=cloud.stack.physical_ids["IdempotencyTable"])["Count"]
    assert (after - before, _visible(cloud, "WatchdogDLQ")) == (1, 0)
    assert requests.post(f"{cloud.url}/dev/redrive/WatchdogQueue", timeout=10).status_code == 422


def test_a_scheduled_job_runs_on_demand_and_only_scheduled_functions_do(cloud):
    import requests

    response = requests.post(f"{cloud.url}/dev/jobs/StockResetJob", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"function": "StockResetJob", "result": {"reset": 0}}  # nothing seeded
    assert requests.post(f"{cloud.url}/dev/jobs/StockWorker", timeout=10).status_code == 404
