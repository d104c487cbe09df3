"""A rider's pay over HTTP: an admin sets the incentive rules, a seeded rider delivers an order, the earnings and
KPIs appear, and they appear once even when the delivery's event comes again (the same envelope republished on
the topic, and a copy under another id redriven through EarningsDLQ, as a replay tool would)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest

from paotui.platform.clock import CHINA
from paotui_local.harness import STACK, wait_for
from tests.e2e.flows import deliver

pytestmark = pytest.mark.e2e


def rules_now() -> dict:
    """Rules whose peak window holds the present moment (China time)."""
    now = datetime.now(CHINA)
    peak = {"start": f"{now - timedelta(hours=1):%H:%M}", "end": f"{now + timedelta(hours=1):%H:%M}", "bonus": 300}
    return {
        "per_order": 100,
        "per_km": 200,
        "peak_hours": [peak],
        "late_grace_minutes": 30,
        "late_penalty": 200,
        "complaint_penalty": 500,
    }


def test_a_delivery_is_paid_once_and_counted_in_the_riders_kpis(cloud):
    seed = cloud.seed()
    admin = cloud.login(seed["admin"]["phone"])
    assert admin.get("/admin/incentives").json()["version"] == 0
    saved = admin.put("/admin/incentives", json={"version": 0, **rules_now()})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    stale = admin.put("/admin/incentives", json={"version": 0, "per_order": 1})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "VERSION_CONFLICT")

    # a tap on the domain events topic, to catch the delivery's event as EventRouter publishes it
    sns, sqs = cloud.aws("sns"), cloud.aws("sqs")
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{STACK}-DomainEventsTopic")
    )
    tap = sqs.create_queue(QueueName="e2e-delivered-tap")["QueueUrl"]
    tap_arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    delivered_only = json.dumps({"type": ["order.status_changed"], "status": ["DELIVERED"]})
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=tap_arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": delivered_only},
    )

    order, rider, offer = deliver(cloud, seed)
    assert order["status"] == "DELIVERED"
    today = order["timeline"][-1]["at"]
    day = f"{datetime.fromisoformat(today.replace('Z', '+00:00')).astimezone(CHINA):%Y-%m-%d}"

    def statement():
        response = rider.get("/riders/me/earnings", params={"from": day, "to": day})
        assert response.status_code == 200, response.text
        return response.json()

    paid = wait_for(lambda: (s := statement())["total"] and s, what="the delivery's earnings")
    lines = {line["kind"]: line["amount"] for line in paid["days"][0]["lines"]}
    assert {line["order_id"] for line in paid["days"][0]["lines"]} == {order["id"]}
    assert lines["base"] == offer["fee"]
    assert (lines["per_order"], lines["peak"]) == (100, 300)
    assert "late" not in lines and paid["total"] == sum(lines.values())

    def day_kpis():
        return rider.get("/riders/me/kpis", params={"period": "day", "date": day}).json()

    kpis = wait_for(lambda: (k := day_kpis())["acceptance_rate"] is not None and k, what="the offer's answer")
    assert (kpis["delivered"], kpis["on_time"], kpis["on_time_rate"], kpis["earnings"]) == (1, 1, 1.0, paid["total"])
    assert (kpis["offers_accepted"], kpis["acceptance_rate"], kpis["completion_rate"]) == (1, 1.0, 1.0)

    # the delivery's event again: the same envelope republished, and a copy under a new id redriven from the DLQ
    message = wait_for(
        lambda: sqs.receive_message(QueueUrl=tap, MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages"),
        what="the DELIVERED event on the topic",
    )[0]
    envelope = json.loads(message["Body"])
    assert (envelope["subject"], envelope["data"]["status"]) == (order["id"], "DELIVERED")
    attributes = {
        name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
        for name, value in message["MessageAttributes"].items()
    }
    sns.publish(TopicArn=topic, Message=message["Body"], MessageAttributes=attributes)
    queue, dlq = (
        sqs.get_queue_url(QueueName=f"{STACK}-{name}")["QueueUrl"] for name in ("EarningsQueue", "EarningsDLQ")
    )
    sqs.send_message(
        QueueUrl=dlq, MessageBody=json.dumps({**envelope, "id": str(uuid.uuid4())}), MessageAttributes=attributes
    )
    redriven = cloud.http.post(cloud.url("/dev/redrive/EarningsDLQ"), timeout=15)
    assert (redriven.status_code, redriven.json()["moved"]) == (200, 1)

    def drained():
        counts = sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return all(int(count) == 0 for count in counts.values())

    wait_for(drained, what="EarningsWorker to take both copies")
    assert statement() == paid
    assert day_kpis()["delivered"] == 1

    # the customer's rating and an upheld complaint reach the KPIs and the ledger, once each
    customer = cloud.login(seed["customers"][0]["phone"])
    assert customer.post(f"/orders/{order['id']}/rating", json={"stars": 5}).status_code == 200
    assert customer.post(f"/orders/{order['id']}/rating", json={"stars": 1}).status_code == 409
    assert customer.post(f"/orders/{order['id']}/complaints", json={"reason": "包装破了"}).status_code == 200
    upheld = admin.post(f"/orders/{order['id']}/complaint/decision", json={"upheld": True})
    assert upheld.status_code == 200, upheld.text
    rated = wait_for(lambda: (k := day_kpis())["rating_count"] and k["complaints_upheld"] and k, what="feedback")
    assert (rated["average_rating"], rated["complaints_upheld"]) == (5.0, 1)
    penalty = [line for d in statement()["days"] for line in d["lines"] if line["kind"] == "complaint"]
    assert [line["amount"] for line in penalty] == [-500]

    board = admin.get("/admin/riders/leaderboard", params={"date": day, "metric": "delivered"}).json()
    assert board["riders"][0]["rider_id"] == rider.id
    assert board["riders"][0]["kpis"]["delivered"] == 1
