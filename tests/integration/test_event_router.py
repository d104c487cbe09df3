"""EventRouter against moto: stream records become events on SNS, and the template's filter
policies send each event only to the queues that act on it."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from paotui_local.template import load_template
from tests.integration.builders import LAMBDA_CONTEXT, AwsFaults, crash_at_every_step, load_handler

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "events" / "EventRouter"


@pytest.fixture
def queues(aws, monkeypatch):
    """The topic and the worker queues, subscribed with template.yaml's filter policies."""
    from paotui.platform.settings import get_settings

    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="domain-events")["TopicArn"]
    monkeypatch.setenv("DOMAIN_EVENTS_TOPIC_ARN", topic)
    get_settings.cache_clear()
    resources = load_template(ROOT / "template.yaml")["Resources"]
    urls = {}
    subscriptions = [r for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"]
    for subscription in (s for s in subscriptions if s["Properties"]["Protocol"] == "sqs"):
        queue_id = subscription["Properties"]["Endpoint"]["Fn::GetAtt"][0]
        urls[queue_id] = sqs.create_queue(QueueName=queue_id)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=urls[queue_id], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicy": json.dumps(subscription["Properties"]["FilterPolicy"]),
            },
        )
    yield urls
    get_settings.cache_clear()


def _received(url: str) -> list[dict]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def test_a_confirmed_order_reaches_dispatch_notify_watchdog_analytics_and_printing_but_not_stock(queues):
    event = _sample("order-paid-to-confirmed.json")
    assert load_handler("EventRouter")(event, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    got = {queue: _received(url) for queue, url in queues.items()}
    reached = {queue for queue, messages in got.items() if messages}
    assert reached == {"DispatchQueue", "NotifyQueue", "WatchdogQueue", "AnalyticsQueue", "PrintQueue"}
    (confirmed,) = got["DispatchQueue"]
    assert confirmed["id"] == event["Records"][0]["eventID"]
    assert (confirmed["type"], confirmed["data"]["status"], confirmed["data"]["previous_status"]) == (
        "order.status_changed",
        "CONFIRMED",
        "PAID",
    )


def test_an_offer_reaches_only_notify(queues):
    assert load_handler("EventRouter")(_sample("offer-created.json"), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    got = {queue: _received(url) for queue, url in queues.items()}
    assert {queue for queue, messages in got.items() if messages} == {"NotifyQueue"}
    assert got["NotifyQueue"][0]["type"] == "offer.created"


def test_a_record_that_fails_is_reported_and_the_rest_are_published(queues):
    good = _sample("offer-created.json")["Records"][0]
    bad = json.loads(json.dumps(good))
    bad["eventSourceARN"] = bad["eventSourceARN"].replace("paotui-offers", "paotui-unknown")
    bad["dynamodb"]["SequenceNumber"] = "4421584600000000017450439999"
    response = load_handler("EventRouter")({"Records": [good, bad]}, LAMBDA_CONTEXT)
    assert response == {"batchItemFailures": [{"itemIdentifier": "4421584600000000017450439999"}]}
    assert len(_received(queues["NotifyQueue"])) == 1


def test_when_nothing_can_be_published_the_invocation_fails_so_lambda_retries_the_batch(queues, monkeypatch):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from paotui.platform.settings import get_settings

    monkeypatch.setenv("DOMAIN_EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    get_settings.cache_clear()
    with pytest.raises(BatchProcessingError):
        load_handler("EventRouter")(_sample("order-paid-to-confirmed.json"), LAMBDA_CONTEXT)


def _fan_out_scenario(queues: dict[str, str]):
    """A confirmed order that also gained two alerts, and a new offer, under fresh event ids; observed: which
    queues got which of the batch's four events, however often (the workers dedupe by event id). An earlier
    scenario's events still queued (its last run, which no fault reached, is not observed) are not this one's."""
    import uuid

    order, offer = _sample("order-paid-to-confirmed.json")["Records"][0], _sample("offer-created.json")["Records"][0]
    order["eventID"], offer["eventID"] = uuid.uuid4().hex, uuid.uuid4().hex
    alerts = [
        {"M": {"id": {"S": uuid.uuid4().hex}, "kind": {"S": kind}, "at": {"S": "2026-01-15T04:05:06.789Z"}}}
        for kind in ("no_rider", "escalated")
    ]
    order["dynamodb"]["NewImage"]["alerts"] = {"L": alerts}
    names = {order["eventID"]: "order", offer["eventID"]: "offer"}
    names.update({alert["M"]["id"]["S"]: f"alert {alert['M']['kind']['S']}" for alert in alerts})

    def observe() -> set[tuple[str, str]]:
        got: set[tuple[str, str]] = set()
        for queue, url in queues.items():
            sqs = boto3.client("sqs")
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                ids = (json.loads(message["Body"])["id"] for message in messages)
                got.update((queue, names[id_]) for id_ in ids if id_ in names)
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages],
                )
        return got

    return {"Records": [order, offer]}, observe


def test_every_event_of_a_batch_reaches_every_subscriber_whichever_publish_fails_or_kills_the_router(
    queues, monkeypatch
):
    faults = AwsFaults(monkeypatch)
    assert crash_at_every_step(faults, load_handler("EventRouter"), lambda: _fan_out_scenario(queues)) >= 12
