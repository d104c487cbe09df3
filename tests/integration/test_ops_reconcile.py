"""The reconciliation sweep against moto: lost watchdogs restarted once at the right step, overdue orders woken,
redispatched or handed to operators, and nothing touched that is fine.

moto holds the watchdog's executions here without running them (no
execute_state_machine): a started execution stays RUNNING until stopped, which
is all the sweep looks at. The local cloud's e2e test runs them for real.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import boto3
import pytest

from paotui.platform import clock
from tests.integration.builders import (
    LAMBDA_CONTEXT,
    AwsFaults,
    crash_at_every_step,
    load_handler,
    make_order,
)

GRACE = 120  # reconcile_grace_seconds' default
HOUR = timedelta(hours=1)


@pytest.fixture
def watchdog(aws, monkeypatch) -> str:
    """An OrderWatchdog state machine in moto, and DispatchQueue; returns the state machine's ARN."""
    from paotui.platform.settings import get_settings

    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn = boto3.client("stepfunctions").create_state_machine(
        name="paotui-OrderWatchdog", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    monkeypatch.setenv("WATCHDOG_STATE_MACHINE_ARN", arn)
    get_settings.cache_clear()
    return arn


def open_order(order_id: str, status: str, *, since: datetime | None = None, **fields):
    """An order in ``status`` since ``since`` (it was created then too), listed on that day's by-day index."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    since = since or clock.now() - timedelta(seconds=GRACE + 60)
    order = make_order(order_id, status=status)
    order.update(
        actions=[
            OrderRecord.created_at.set(clock.iso(since)),
            OrderRecord.created_day.set(clock.china_date(since)),
            OrderRecord.timeline.set([TimelineEntryMap(status=status, at=clock.iso(since), by="test")]),
            *(getattr(OrderRecord, name).set(value) for name, value in fields.items()),
        ]
    )
    return order


def start(name: str, order_id: str | None = None) -> str:
    from paotui.platform.settings import get_settings

    return boto3.client("stepfunctions").start_execution(
        stateMachineArn=get_settings().watchdog_state_machine_arn,
        name=name,
        input=json.dumps({"order_id": order_id or name}),
    )["executionArn"]


def stop(execution_arn: str) -> None:
    boto3.client("stepfunctions").stop_execution(executionArn=execution_arn)


def executions(watchdog_arn: str) -> dict[str, tuple[str, dict]]:
    """name → (status, input) of every execution of the watchdog."""
    sfn = boto3.client("stepfunctions")
    found = {}
    for execution in sfn.list_executions(stateMachineArn=watchdog_arn)["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        found[execution["name"]] = (described["status"], json.loads(described["input"]))
    return found


def dispatch_requests() -> list[dict]:
    from paotui.platform.settings import get_settings

    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=get_settings().dispatch_queue_url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def incidents() -> dict[tuple[str, str], dict]:
    from paotui.ops.records import IncidentRecord

    return {(i.order_id, i.kind): i.detail.as_dict() for i in IncidentRecord.scan()}


def sweep(after: timedelta = timedelta()):
    from paotui.ops.reconcile import sweep as run

    return run(clock.now() + after)


def past_the_stop() -> timedelta:
    return timedelta(seconds=GRACE + 1)


# --- a lost watchdog ---------------------------------------------------------------------------------


def test_an_order_that_never_got_its_watchdog_gets_it_at_its_step(watchdog):
    open_order("ord_paid", "PAID")
    result = sweep()
    assert (result.checked, result.repaired, result.escalated) == (1, 1, 0)
    assert executions(watchdog) == {"ord_paid": ("RUNNING", {"order_id": "ord_paid", "resume": "AwaitConfirmation"})}
    assert sweep().repaired == 0, "running now: nothing more to do"


def test_a_stopped_watchdog_is_replaced_under_the_next_name_at_the_orders_step(watchdog):
    from paotui.orders.service import get_order

    order = open_order("ord_assigned", "ASSIGNED", rider_id="usr_rider")
    stop(start(order.id))
    assert sweep().repaired == 0, "within the grace period a stop may be a timeout still being applied"
    assert sweep(past_the_stop()).repaired == 1
    assert executions(watchdog) == {
        "ord_assigned": ("ABORTED", {"order_id": "ord_assigned"}),
        "ord_assigned.2": ("RUNNING", {"order_id": "ord_assigned", "resume": "AwaitPickup"}),
    }
    assert get_order(order.id).watch_execution == "ord_assigned.2"
    assert sweep(past_the_stop()).repaired == 0


def test_two_sweeps_racing_for_a_lost_watchdog_start_one(watchdog, serialized_moto):
    order = open_order("ord_race", "DELIVERY_FAILED", rider_id="usr_rider")
    stop(start(order.id))
    arrived = serialized_moto.gather("UpdateItem", 2)  # both claim the next name after reading the same one
    results = []
    sweeps = [threading.Thread(target=lambda: results.append(sweep(past_the_stop()))) for _ in range(2)]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join()
    assert len(arrived) == 2
    assert sorted(result.repaired for result in results) == [0, 1]
    assert executions(watchdog) == {
        "ord_race": ("ABORTED", {"order_id": "ord_race"}),
        "ord_race.2": ("RUNNING", {"order_id": "ord_race", "resume": "AwaitContact"}),
    }


def test_a_claimed_execution_that_never_started_is_started_under_its_name(watchdog):
    open_order("ord_claimed", "RETURNING", watch_execution="ord_claimed.2")
    assert sweep().repaired == 1
    assert executions(watchdog) == {
        "ord_claimed.2": ("RUNNING", {"order_id": "ord_claimed", "resume": "AwaitReturn"}),
    }


def test_the_last_run_lost_goes_to_operators_instead(watchdog):
    open_order("ord_lost", "DELIVERING", rider_id="usr_rider", watch_execution="ord_lost.3")
    stop(start("ord_lost.3", "ord_lost"))
    result = sweep(past_the_stop())
    assert (result.repaired, result.escalated) == (0, 1)
    assert set(executions(watchdog)) == {"ord_lost.3"}
    assert incidents() == {
        ("ord_lost", "watchdog_lost"): {
            "execution": "ord_lost.3",
            "execution_status": "ABORTED",
            "status": "DELIVERING",
        }
    }
    assert sweep(past_the_stop()).escalated == 0, "raised once"


def test_new_closed_and_old_orders_are_left_alone(watchdog):
    open_order("ord_new", "PENDING_PAYMENT", since=clock.now() - timedelta(seconds=5))
    open_order("ord_done", "DELIVERED")
    open_order("ord_old", "PAID", since=clock.now() - timedelta(days=4))  # before the 3-day lookback
    result = sweep()
    assert (result.checked, result.repaired, result.escalated) == (1, 0, 0)
    assert executions(watchdog) == {}


# --- an overdue order ----------------------------------------------------------------------------------


def test_an_order_past_its_deadline_with_nothing_to_do_goes_to_operators_once(watchdog):
    order = open_order("ord_stuck", "PAID")
    start(order.id)
    assert sweep(timedelta(seconds=600 + GRACE - 60)).escalated == 0, "before the deadline"
    result = sweep(HOUR)
    assert (result.checked, result.repaired, result.escalated) == (1, 0, 1)
    detail = incidents()[("ord_stuck", "stuck_PAID")]
    assert detail["status"] == "PAID" and detail["execution"] == "ord_stuck"
    assert detail["execution_status"] == "RUNNING"
    assert sweep(HOUR).escalated == 0


def test_an_order_the_watchdog_already_reported_overdue_is_one_incident(watchdog):
    from paotui.ops.incidents import raise_incident

    reported, unreported = (open_order(f"ord_{n}", "DELIVERING", rider_id="usr_rider") for n in ("reported", "quiet"))
    for order in (reported, unreported):
        start(order.id)
    raise_incident(reported.id, "delivery_overdue", {"by": "watchdog"})  # its last delivery timeout did
    result = sweep(2 * HOUR)
    assert (result.checked, result.escalated) == (2, 1)
    raised = incidents()
    assert set(raised) == {("ord_reported", "delivery_overdue"), ("ord_quiet", "delivery_overdue")}
    assert raised[("ord_reported", "delivery_overdue")] == {"by": "watchdog"}, "the watchdog's stands"
    assert raised[("ord_quiet", "delivery_overdue")]["status"] == "DELIVERING"


def test_a_token_the_status_already_settles_is_answered(watchdog):
    from paotui.workflow.records import WatchRecord

    order = open_order("ord_woken", "CONFIRMED")
    start(order.id)
    WatchRecord(order_id=order.id, step="confirmation", task_token="token-1", created_at=clock.now_iso(), ttl=0).save()
    result = sweep(HOUR)
    assert (result.repaired, result.escalated) == (1, 0)
    assert list(WatchRecord.query(order.id)) == [], "answered: the watchdog moves on"
    assert dispatch_requests() == [], "woken, not redispatched"


def test_a_confirmed_order_without_a_live_offer_is_sent_to_dispatch_again(watchdog):
    from paotui.dispatch.records import OfferRecord
    from paotui.platform.dynamo import PlaceMap

    order = open_order("ord_no_offer", "CONFIRMED")
    start(order.id)
    offered = clock.now() + HOUR - timedelta(seconds=10)  # an offer made just before the sweep, still open
    offer = OfferRecord(
        "ofr_1",
        order_id=order.id,
        rider_id="usr_rider",
        attempt=1,
        reason="confirmed",
        created_at=clock.iso(offered),
        expires_at=clock.iso(offered + timedelta(seconds=30)),
        ttl=0,
        pickup=PlaceMap(lat=31.23, lng=121.47, name="店"),
        dropoff={"lat": 31.24, "lng": 121.48, "detail": "家"},
        fee=650,
    )
    offer.save()
    assert sweep(HOUR).repaired == 0, "an offer is out: dispatch is at work"
    result = sweep(HOUR + timedelta(minutes=5))  # the offer expired, and the time to answer and the grace passed
    assert (result.repaired, result.escalated) == (1, 0)
    (request,) = dispatch_requests()
    assert request["type"] == "dispatch.requested" and request["data"] == {"order_id": order.id, "reason": "reconcile"}


def test_a_scheduled_order_is_not_overdue_before_its_dispatch_time(watchdog):
    dispatch_at = clock.now() + 2 * HOUR
    order = open_order("ord_scheduled", "CONFIRMED", dispatch_at=clock.iso(dispatch_at))
    start(order.id)
    assert sweep(HOUR).repaired == 0
    assert sweep(2 * HOUR + timedelta(seconds=30 + GRACE + 1)).repaired == 1


def test_the_job_reports_what_it_did(watchdog):
    open_order("ord_job", "PENDING_PAYMENT")
    handler = load_handler("ReconcileJob")
    scheduled = json.loads(
        (Path(__file__).resolve().parents[2] / "events" / "ReconcileJob" / "scheduled.json").read_text()
    )
    assert handler(scheduled, LAMBDA_CONTEXT) == {"checked": 1, "repaired": 1, "escalated": 0, "failed": 0}


# --- crashes --------------------------------------------------------------------------------------------


def test_a_sweep_killed_midway_finishes_at_its_next_run_with_one_watchdog_and_one_incident_each(watchdog, monkeypatch):
    """Each scenario: an order never watched, one whose watchdog stopped, one whose last watchdog stopped; the
    previous scenario's orders are closed (and their watchdogs stopped) so each run checks only these three."""
    import uuid

    from botocore.exceptions import ClientError

    from paotui.orders.records import OrderRecord
    from paotui.orders.service import get_order
    from tests.integration.builders import scheduled

    faults = AwsFaults(monkeypatch)
    faults.waited = past_the_stop()  # the stops below are older than the grace by the time the job runs
    sfn, earlier = boto3.client("stepfunctions"), []
    machine = watchdog.replace(":stateMachine:", ":execution:", 1)

    def described(name: str) -> tuple[str, str | None] | None:
        try:
            found = sfn.describe_execution(executionArn=f"{machine}:{name}")
        except ClientError:
            return None
        return found["status"], json.loads(found["input"]).get("resume")

    def three_orders():
        for order_id in earlier:
            get_order(order_id).update(actions=[OrderRecord.status.set("DELIVERED")])
        for found in sfn.list_executions(stateMachineArn=watchdog, statusFilter="RUNNING")["executions"]:
            stop(found["executionArn"])
        key = uuid.uuid4().hex[:8]
        unwatched, stopped, last = f"ord_{key}a", f"ord_{key}b", f"ord_{key}c"
        earlier[:] = [unwatched, stopped, last]
        open_order(unwatched, "PAID")
        open_order(stopped, "ASSIGNED", rider_id="usr_rider")
        stop(start(stopped))
        open_order(last, "DELIVERING", rider_id="usr_rider", watch_execution=f"{last}.3")
        stop(start(f"{last}.3", last))

        def observe():
            runs = {
                f"{order_id[-1]}{suffix}": described(f"{order_id}{suffix}")
                for order_id in earlier
                for suffix in ("", ".2", ".3", ".4")
            }
            watched = {order_id[-1]: get_order(order_id).watch_execution for order_id in earlier}
            raised = {(order_id[-1], kind) for (order_id, kind) in incidents() if order_id in earlier}
            return runs, {order: name and name.removeprefix(f"ord_{key}") for order, name in watched.items()}, raised

        return json.loads(
            (Path(__file__).resolve().parents[2] / "events/ReconcileJob/scheduled.json").read_text()
        ), observe

    assert crash_at_every_step(faults, scheduled(load_handler("ReconcileJob")), three_orders)
