"""Incidents against moto: raised once per (order, kind) while open and paged once (reopened once resolved),
listed and resolved by admins only, and OpsWorker turning the watchdog's ops.incident messages (its failure
states', EventBridge's) into them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from tests.integration.builders import (
    LAMBDA_CONTEXT,
    AwsFaults,
    SignedInApi,
    CUSTOMER,
    answer,
    crash_at_every_step,
    load_handler,
    make_order,
    principal,
    sqs_event,
)
from paotui.platform import clock
from paotui.platform.events import DomainEvent

ADMIN = {"user": "usr_admin", "roles": "admin"}


@pytest.fixture
def pages(aws, monkeypatch):
    """OpsAlarmTopic with a queue subscribed: returns a function that reads the pages published so far."""
    from paotui.platform.settings import get_settings

    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="paotui-ops-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="paotui-pages")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("OPS_ALARM_TOPIC_ARN", topic)
    get_settings.cache_clear()
    received: list[dict] = []

    def read() -> list[dict]:
        while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            received.extend(json.loads(message["Body"]) for message in messages)
            sqs.delete_message_batch(
                QueueUrl=queue, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages]
            )
        return received

    return read


@pytest.fixture
def ticking(monkeypatch):
    """Each incident a millisecond after the last, so that newest-first is a defined order."""
    start = clock.now()
    ticks = iter(range(10_000))
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(milliseconds=next(ticks)))


@pytest.fixture
def ops_api(aws):
    return SignedInApi("OpsApi")


def incident_items() -> list[dict]:
    from paotui.ops.records import IncidentRecord

    return boto3.client("dynamodb").scan(TableName=IncidentRecord.Meta.table_name)["Items"]


def test_an_incident_is_raised_once_per_order_and_kind_and_paged_once(pages):
    from paotui.ops.incidents import get, incident_id, raise_incident

    assert raise_incident("ord_1", "watchdog_failed", {"error": "States.TaskFailed"}) is True
    assert raise_incident("ord_1", "watchdog_failed", {"error": "another try"}) is False
    assert raise_incident("ord_1", "stuck_PAID", {"status": "PAID"}) is True
    assert len(incident_items()) == 2
    stored = get(incident_id("ord_1", "watchdog_failed"))
    assert (stored.status, stored.kind, stored.order_id) == ("OPEN", "watchdog_failed", "ord_1")
    assert stored.detail.as_dict() == {"error": "States.TaskFailed"}, "the first raise's detail stands"
    assert sorted((page["order_id"], page["kind"]) for page in pages()) == [
        ("ord_1", "stuck_PAID"),
        ("ord_1", "watchdog_failed"),
    ]


def test_the_same_problem_after_operators_resolved_it_reopens_the_incident_and_pages_again(pages, ticking, ops_api):
    """Resolving closes one occurrence; a later one (another rider not picking up) must reach operators too."""
    from paotui.ops.incidents import incident_id, raise_incident

    raise_incident("ord_1", "pickup_overdue", {"rider_id": "rdr_1"})
    incident = incident_id("ord_1", "pickup_overdue")
    assert ops_api.call("POST", f"/admin/incidents/{incident}/resolve", **ADMIN, body={"note": "new rider"})[0] == 200

    assert raise_incident("ord_1", "pickup_overdue", {"rider_id": "rdr_2"}) is True
    assert raise_incident("ord_1", "pickup_overdue", {"rider_id": "rdr_2", "try": 2}) is False, "a retry adds nothing"
    status, listed = ops_api.call("GET", "/admin/incidents", **ADMIN)
    assert status == 200
    assert [(item["id"], item["status"], item["detail"]) for item in listed["items"]] == [
        (incident, "OPEN", {"rider_id": "rdr_2"})
    ]
    assert listed["items"][0]["resolved_by"] is None and listed["items"][0]["note"] is None
    assert ops_api.call("GET", "/admin/incidents", **ADMIN, query={"status": "RESOLVED"})[1]["items"] == []
    assert [page["detail"] for page in pages()] == [{"rider_id": "rdr_1"}, {"rider_id": "rdr_2"}]


def test_a_page_that_fails_leaves_the_incident_listed(aws, monkeypatch):
    from paotui.ops.incidents import list_incidents, raise_incident
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("OPS_ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    get_settings.cache_clear()
    assert raise_incident("ord_2", "return_overdue", {}) is True
    assert [record.order_id for record in list_incidents("OPEN", limit=10)[0]] == ["ord_2"]


def test_admins_list_open_incidents_newest_first_page_by_page(pages, ticking, ops_api):
    from paotui.ops.incidents import raise_incident

    for n in range(3):
        raise_incident(f"ord_{n}", "stuck_CONFIRMED", {"n": n})
    status, first = ops_api.call("GET", "/admin/incidents", **ADMIN, query={"limit": "2"})
    assert status == 200, first
    assert [item["order_id"] for item in first["items"]] == ["ord_2", "ord_1"]
    assert first["items"][0]["detail"] == {"n": 2} and first["items"][0]["status"] == "OPEN"
    status, second = ops_api.call(
        "GET", "/admin/incidents", **ADMIN, query={"limit": "2", "cursor": first["next_cursor"]}
    )
    assert status == 200, second
    assert [item["order_id"] for item in second["items"]] == ["ord_0"]
    assert second["next_cursor"] is None
    assert ops_api.call("GET", "/admin/incidents", **ADMIN, query={"status": "RESOLVED"}) == (
        200,
        {"items": [], "next_cursor": None},
    )


def test_listing_refuses_what_it_cannot_read(pages, ops_api):
    import base64

    forged = [" inc_x", "2026-11-26T08:00:00.000Z ", "yesterday inc_x"]  # empty parts DynamoDB would refuse (5xx)
    for cursor in ["not a cursor!", *(base64.urlsafe_b64encode(text.encode()).decode() for text in forged)]:
        status, body = ops_api.call("GET", "/admin/incidents", **ADMIN, query={"cursor": cursor})
        assert (status, body["error"]["code"]) == (400, "INVALID_CURSOR"), cursor
    status, _ = ops_api.call("GET", "/admin/incidents", **ADMIN, query={"status": "LOST"})
    assert status == 422
    status, _ = ops_api.call("GET", "/admin/incidents", **ADMIN, query={"limit": "500"})
    assert status == 422


def test_an_admin_resolves_an_open_incident_once(pages, ticking, ops_api):
    from paotui.ops.incidents import incident_id, raise_incident

    raise_incident("ord_1", "return_overdue", {"status": "RETURNING"})
    raise_incident("ord_2", "return_overdue", {"status": "RETURNING"})
    incident = incident_id("ord_1", "return_overdue")
    path = f"/admin/incidents/{incident}/resolve"

    status, body = ops_api.call("POST", path, **ADMIN, body={"note": "the merchant confirmed by phone", "x": 1})
    assert status == 422, "unknown fields are refused"
    status, resolved = ops_api.call("POST", path, **ADMIN, body={"note": "the merchant confirmed by phone"})
    assert status == 200, resolved
    assert resolved["status"] == "RESOLVED" and resolved["resolved_by"] == "usr_admin"
    assert resolved["note"] == "the merchant confirmed by phone" and resolved["resolved_at"]

    status, again = ops_api.call("POST", path, **ADMIN, body={})
    assert (status, again["error"]["code"]) == (409, "INCIDENT_RESOLVED")
    status, missing = ops_api.call("POST", "/admin/incidents/inc_none/resolve", **ADMIN, body={})
    assert (status, missing["error"]["code"]) == (404, "INCIDENT_NOT_FOUND")

    open_ids = [item["id"] for item in ops_api.call("GET", "/admin/incidents", **ADMIN)[1]["items"]]
    assert open_ids == [incident_id("ord_2", "return_overdue")]
    resolved_list = ops_api.call("GET", "/admin/incidents", **ADMIN, query={"status": "RESOLVED"})[1]["items"]
    assert [item["id"] for item in resolved_list] == [incident]
    assert len(pages()) == 2, "resolving pages nobody"


@pytest.mark.parametrize("roles", ["customer", "merchant", "rider"])
def test_only_admins_see_or_resolve_incidents(pages, ops_api, roles):
    from paotui.ops.incidents import incident_id, raise_incident

    raise_incident("ord_1", "watchdog_failed", {})
    incident = incident_id("ord_1", "watchdog_failed")
    assert ops_api.call("GET", "/admin/incidents", user="usr_x", roles=roles)[0] == 403
    assert ops_api.call("POST", f"/admin/incidents/{incident}/resolve", user="usr_x", roles=roles, body={})[0] == 403
    assert ops_api.call("GET", "/admin/incidents", **ADMIN)[1]["items"][0]["status"] == "OPEN"


def ops_event(event_id: str, subject: str, data: dict) -> str:
    return DomainEvent(
        id=event_id, type="ops.incident", occurred_at=clock.now_iso(), subject=subject, data=data
    ).model_dump_json()


def test_ops_worker_raises_the_watchdogs_failures_once(pages):
    handler = load_handler("OpsWorker")
    from_the_watchdog = ops_event(
        "ord_7:Failed:2026-05-01T04:00:00.000Z",
        "ord_7",
        {"order_id": "ord_7", "kind": "watchdog_failed", "error": "States.Runtime", "cause": "bad path"},
    )
    # what WatchdogExecutionFailedRule's input transformer makes of a restarted execution's failure
    from_eventbridge = ops_event(
        "9c8f1d2e-events",
        "ord_7.2",
        {"execution": "ord_7.2", "kind": "watchdog_failed", "error": "FAILED", "cause": "arn:aws:states:::ord_7.2"},
    )
    assert handler(sqs_event(from_the_watchdog), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert handler(sqs_event(from_the_watchdog, from_eventbridge), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    from paotui.ops.incidents import get, incident_id

    incident = get(incident_id("ord_7", "watchdog_failed"))
    assert incident.detail.as_dict() == {"error": "States.Runtime", "cause": "bad path"}
    assert len(incident_items()) == 1 and len(pages()) == 1


def test_ops_worker_reports_what_it_cannot_handle_and_applies_the_rest(pages):
    handler = load_handler("OpsWorker")
    other = DomainEvent(
        id="evt-1", type="order.created", occurred_at=clock.now_iso(), subject="ord_8", data={}
    ).model_dump_json()
    good = ops_event("evt-2", "ord_9", {"order_id": "ord_9", "kind": "watchdog_failed", "error": "e", "cause": "c"})
    batch = sqs_event(other, good)
    failures = [{"itemIdentifier": batch["Records"][0]["messageId"]}]
    assert handler(batch, LAMBDA_CONTEXT) == {"batchItemFailures": failures}
    assert [item["order_id"]["S"] for item in incident_items()] == ["ord_9"]


def test_the_sample_events_are_what_the_functions_take(pages):
    """events/: the watchdog's failure and EventBridge's aborted execution (one incident), listed, resolved."""
    samples = Path(__file__).resolve().parents[2] / "events"
    worker = load_handler("OpsWorker")
    for sample in ("watchdog-failed.json", "execution-aborted.json"):
        event = json.loads((samples / "OpsWorker" / sample).read_text())
        assert worker(event, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert len(incident_items()) == 1 and len(pages()) == 1
    api = load_handler("OpsApi")
    status, listed = answer(api(json.loads((samples / "OpsApi" / "list-incidents.json").read_text()), LAMBDA_CONTEXT))
    assert status == 200 and [item["kind"] for item in listed["items"]] == ["watchdog_failed"]
    resolve = json.loads((samples / "OpsApi" / "resolve-incident.json").read_text())
    status, resolved = answer(api(resolve, LAMBDA_CONTEXT))
    assert (status, resolved["id"], resolved["status"]) == (200, listed["items"][0]["id"], "RESOLVED")


def test_ops_worker_records_a_failure_once_and_pages_at_most_once_whichever_call_fails_or_kills_it(pages, monkeypatch):
    """A page lost to a failed or killed publish is not sent again (``incidents._page``: best effort, the incident
    stays listed), so the pages are counted as at most one; the incident itself is stored exactly once."""
    import uuid

    from paotui.ops.incidents import get, incident_id

    faults = AwsFaults(monkeypatch)

    def failed_watchdog():
        order_id = f"ord_{uuid.uuid4().hex}"
        data = {"order_id": order_id, "kind": "watchdog_failed", "error": "States.Runtime", "cause": "bad path"}

        def observe():
            incident = get(incident_id(order_id, "watchdog_failed"))
            paged = [page for page in pages() if page["order_id"] == order_id]
            return incident.status, incident.detail.as_dict(), len(paged) <= 1

        return sqs_event(ops_event(f"{order_id}:Failed", order_id, data)), observe

    assert crash_at_every_step(faults, load_handler("OpsWorker"), failed_watchdog)


# --- customers' complaints: incidents until an admin decides (ops.complaints) -----------------------------------


def feedback_event(order_id: str, event_type: str, event_id: str | None = None) -> str:
    """The event the Orders stream makes of the order's complaint, as it is now (filed, or decided)."""
    import uuid

    from paotui.orders.records import OrderRecord
    from paotui.platform.stream_router import plain

    image = plain(json.loads(json.dumps(OrderRecord.get(order_id).to_simple_dict(force=True))))
    complaint = image["complaint"]
    return DomainEvent(
        id=event_id or uuid.uuid4().hex,
        type=event_type,
        occurred_at=clock.now_iso(),
        subject=order_id,
        data={"order": image, "complaint": complaint, "status": complaint["status"]},
    ).model_dump_json()


def complained_order(order_id: str) -> str:
    """A delivered order whose customer complained about the rider."""
    from paotui.orders import feedback

    make_order(order_id, status="DELIVERED", rider_id="usr_rider")
    feedback.complain(order_id, CUSTOMER, "骑手态度差")
    return order_id


def test_a_complaint_is_an_incident_until_an_admin_decides_it_and_pages_nobody(pages, ops_api):
    from paotui.ops.incidents import get, incident_id
    from paotui.orders import feedback

    worker = load_handler("OpsWorker")
    order_id = complained_order("ord_complained")
    filed = feedback_event(order_id, "order.complaint_filed")
    assert worker(sqs_event(filed, filed), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    incident = get(incident_id(order_id, "complaint"))
    assert (incident.status, incident.detail.as_dict()) == ("OPEN", {"reason": "骑手态度差", "rider_id": "usr_rider"})
    listed = ops_api.call("GET", "/admin/incidents", **ADMIN)[1]["items"]
    assert [(item["order_id"], item["kind"]) for item in listed] == [(order_id, "complaint")]
    assert pages() == [], "a complaint waits for office hours: nobody is paged"

    feedback.decide(order_id, principal("usr_admin", "admin"), True, "路线记录证实")
    decided = feedback_event(order_id, "order.complaint_decided")
    assert worker(sqs_event(decided, decided), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    incident = get(incident_id(order_id, "complaint"))
    assert (incident.status, incident.resolved_by, incident.note) == ("RESOLVED", "usr_admin", "成立：路线记录证实")
    assert ops_api.call("GET", "/admin/incidents", **ADMIN)[1]["items"] == []


def test_a_decision_that_arrives_before_the_filing_leaves_no_incident(pages):
    from paotui.ops.incidents import incident_id
    from paotui.ops.records import IncidentRecord
    from paotui.orders import feedback

    worker = load_handler("OpsWorker")
    order_id = complained_order("ord_decided_first")
    filed = feedback_event(order_id, "order.complaint_filed")  # as the stream made it, before the decision
    feedback.decide(order_id, principal("usr_admin", "admin"), False, None)
    decided = feedback_event(order_id, "order.complaint_decided")
    assert worker(sqs_event(decided), LAMBDA_CONTEXT) == {"batchItemFailures": []}  # SQS brings it first
    assert worker(sqs_event(filed), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert IncidentRecord.count(incident_id(order_id, "complaint")) == 0


def test_a_complaint_decided_while_its_incident_is_being_raised_is_closed_by_the_filing(pages, monkeypatch):
    """Two workers at once: the decision's finds no incident to close, the filing's raises one just after. The
    filing looks again once it has raised it, and closes it with the decision."""
    from paotui.ops import complaints
    from paotui.ops.incidents import get, incident_id
    from paotui.orders import feedback

    order_id = complained_order("ord_decided_meanwhile")
    filed = feedback_event(order_id, "order.complaint_filed")
    raise_incident = complaints.raise_incident

    def decided_meanwhile(*args, **kwargs):
        raised = raise_incident(*args, **kwargs)
        feedback.decide(order_id, principal("usr_admin", "admin"), False, "重复投诉")
        return raised

    monkeypatch.setattr(complaints, "raise_incident", decided_meanwhile)
    assert load_handler("OpsWorker")(sqs_event(filed), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    incident = get(incident_id(order_id, "complaint"))
    assert (incident.status, incident.resolved_by, incident.note) == ("RESOLVED", "usr_admin", "不成立：重复投诉")
