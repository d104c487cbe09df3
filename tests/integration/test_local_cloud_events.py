"""The local cloud's event sources on a fixture stack: SNS → SQS with filter policies, the SQS
poller's partial batch failures and redrive, the stream poller's images, partial failures,
bisection and on-failure destination, and the state machine executing from the template."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from paotui_local.cloud import LocalCloud, Options
from paotui_local.pollers import PollSettings

FIXTURE = Path(__file__).parent / "fixtures" / "local_cloud" / "template.yaml"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    options = Options(
        template=FIXTURE,
        port=0,
        seed=False,
        parameter_overrides={"WaitSeconds": "1"},
        # an idle stream poller that was not woken by the write it waits for would miss every test's deadline
        poll=PollSettings(sqs_retry_delay=0, stream_retry_delay=0.05, stream_idle_wait=60),
    )
    with LocalCloud(options) as running:
        yield running


def eventually(probe: Callable[[], Any], timeout: float = 8.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def seen(cloud: LocalCloud, key: str) -> dict | None:
    return (
        cloud.stack.client("dynamodb")
        .get_item(TableName=cloud.stack.physical_ids["SeenTable"], Key={"id": {"S": key}}, ConsistentRead=True)
        .get("Item")
    )


def queue_messages(cloud: LocalCloud, logical_id: str) -> list[dict]:
    sqs = cloud.stack.client("sqs")
    return sqs.receive_message(
        QueueUrl=cloud.stack.physical_ids[logical_id], MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", [])


def test_the_stack_is_provisioned_from_the_template(cloud):
    stack = cloud.stack
    assert "AlarmSubscription" not in stack.resources  # its condition is false
    assert "WorkDLQAlarm" not in stack.resources and "FlowLogs" not in stack.resources
    table = stack.client("dynamodb").describe_table(TableName=stack.physical_ids["NotesTable"])["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "by-owner"
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.physical_ids["TokenSecret"])
    document = json.loads(secret["SecretString"])
    assert document["user"] == "app" and len(document["password"]) == 24
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.physical_ids["WorkQueue"], AttributeNames=["All"]
    )["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
    assert attributes["VisibilityTimeout"] == "30"


def test_sqs_partial_failure_deletes_the_good_and_redrives_the_poison(cloud):
    sqs, url = cloud.stack.client("sqs"), cloud.stack.physical_ids["WorkQueue"]
    run = uuid.uuid4().hex[:8]
    bodies = [{"id": f"{run}-1"}, {"id": f"{run}-poison", "poison": True}, {"id": f"{run}-2"}]
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(bodies)]
    )
    for good in (f"{run}-1", f"{run}-2"):
        assert eventually(lambda good=good: seen(cloud, f"work#{good}"))["kind"] == {"S": "aws:sqs"}
    dead = eventually(lambda: queue_messages(cloud, "WorkDLQ"))
    assert [json.loads(m["Body"])["id"] for m in dead] == [f"{run}-poison"]
    time.sleep(0.5)
    for good in (f"{run}-1", f"{run}-2"):
        assert seen(cloud, f"work#{good}")["processed"] == {"N": "1"}, "a deleted message came back"


def test_sns_delivers_raw_to_the_queue_whose_filter_matches(cloud):
    sns, topic = cloud.stack.client("sns"), cloud.stack.physical_ids["EventsTopic"]
    run = uuid.uuid4().hex[:8]
    for kind in ("work", "other"):
        sns.publish(
            TopicArn=topic,
            Message=json.dumps({"id": f"{run}-{kind}"}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
        )
    item = eventually(lambda: seen(cloud, f"work#{run}-work"))
    attributes = json.loads(item["attributes"]["S"])
    assert attributes["kind"] == {
        "stringValue": "work",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    time.sleep(0.5)
    assert seen(cloud, f"work#{run}-other") is None


def test_the_stream_delivers_inserts_and_modifies_with_both_images(cloud):
    dynamodb, table = cloud.stack.client("dynamodb"), cloud.stack.physical_ids["NotesTable"]
    note = f"n-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    dynamodb.put_item(TableName=table, Item={"id": {"S": note}, "text": {"S": "v1"}, "owner": {"S": "u1"}})
    inserted = json.loads(eventually(lambda: seen(cloud, f"stream#{note}#INSERT"))["record"]["S"])
    assert time.perf_counter() - started < 1.0
    dynamodb.put_item(TableName=table, Item={"id": {"S": note}, "text": {"S": "v2"}, "owner": {"S": "u1"}})
    modified = json.loads(eventually(lambda: seen(cloud, f"stream#{note}#MODIFY"))["record"]["S"])

    assert inserted["eventSource"] == "aws:dynamodb" and inserted["eventVersion"] == "1.1"
    assert inserted["eventSourceARN"] == cloud.stack.resources["NotesTable"].attributes["StreamArn"]
    assert inserted["dynamodb"]["Keys"] == {"id": {"S": note}}
    assert inserted["dynamodb"]["NewImage"]["text"] == {"S": "v1"} and "OldImage" not in inserted["dynamodb"]
    assert inserted["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(inserted["dynamodb"]["ApproximateCreationDateTime"], int)
    assert modified["dynamodb"]["OldImage"]["text"] == {"S": "v1"}
    assert modified["dynamodb"]["NewImage"]["text"] == {"S": "v2"}
    assert int(modified["dynamodb"]["SequenceNumber"]) > int(inserted["dynamodb"]["SequenceNumber"])


def test_a_reported_stream_failure_is_retried_from_that_record(cloud):
    dynamodb, table = cloud.stack.client("dynamodb"), cloud.stack.physical_ids["NotesTable"]
    run = uuid.uuid4().hex[:8]
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"id": {"S": f"{run}-{i}"}, "text": {"S": text}, "owner": {"S": "u"}}}}
            for i, text in enumerate(("fine", "flaky", "fine"))
        ]
    )
    for i in range(3):
        eventually(lambda i=i: seen(cloud, f"stream#{run}-{i}#INSERT"))
    assert seen(cloud, f"stream#{run}-0#INSERT")["processed"] == {"N": "1"}, "checkpointed before the failure"
    flaky = seen(cloud, f"stream#{run}-1#INSERT")
    assert flaky["processed"] == {"N": "1"}
    sequence = json.loads(flaky["record"]["S"])["dynamodb"]["SequenceNumber"]
    assert seen(cloud, f"flaky#{sequence}"), "the first try was reported as failed"


def test_a_poison_stream_record_is_bisected_out_and_sent_to_the_on_failure_queue(cloud):
    dynamodb, table = cloud.stack.client("dynamodb"), cloud.stack.physical_ids["NotesTable"]
    run = uuid.uuid4().hex[:8]
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"id": {"S": f"{run}-{i}"}, "text": {"S": text}, "owner": {"S": "u"}}}}
            for i, text in enumerate(("fine", "fine", "poison", "fine"))
        ]
    )
    failure = json.loads(eventually(lambda: queue_messages(cloud, "StreamFailures"))[0]["Body"])
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    for i in (0, 1, 3):
        assert eventually(lambda i=i: seen(cloud, f"stream#{run}-{i}#INSERT"))["processed"] == {"N": "1"}
    assert seen(cloud, f"stream#{run}-2#INSERT") is None


def test_the_state_machine_runs_with_its_substitutions(cloud):
    stepfunctions = cloud.stack.client("stepfunctions")
    arn = cloud.stack.physical_ids["Flow"]
    definition = json.loads(stepfunctions.describe_state_machine(stateMachineArn=arn)["definition"])
    assert definition["States"]["Wait"]["Seconds"] == 1
    run = f"flow-{uuid.uuid4().hex[:8]}"
    execution = stepfunctions.start_execution(stateMachineArn=arn, name=run, input=json.dumps({"id": run}))
    status = eventually(
        lambda: (
            (s := stepfunctions.describe_execution(executionArn=execution["executionArn"])["status"]) != "RUNNING" and s
        )
    )
    assert status == "SUCCEEDED"
    assert seen(cloud, run)["by"] == {"S": "flow"}


def test_a_function_without_code_is_not_polled_but_the_rest_are(cloud):
    polled = {poller.function_id for poller in cloud.pollers}
    assert polled == {"Worker", "StreamReader"}
    assert not cloud.stack.functions["Unfinished"].code_exists
