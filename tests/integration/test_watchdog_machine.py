"""The order watchdog's state machine, executed for real by moto, with WatchdogWorker's handling in the loop.

Each test creates OrderWatchdog from infra/statemachines/order-watchdog.asl.json
with short timers, starts an order's execution as WatchdogWorker does, and
pumps WatchdogQueue through the worker's event handler (paotui.workflow.events)
while the test moves the order; a status change is followed by the worker's
``sync``, as the Orders stream would. DispatchQueue and OpsQueue are only read.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from moto.core.config import default_user_config

from paotui.platform import clock
from paotui.platform.events import DomainEvent
from tests.integration.builders import make_rider, placed_order, principal

T = TypeVar("T")

ASL = Path(__file__).resolve().parents[2] / "infra" / "statemachines" / "order-watchdog.asl.json"
LATENESS = {"WaitUntilLate", "MarkLate", "LateChecked"}  # the branch beside the delivery phase
TIMERS = {
    "PaymentTimeoutSeconds": 60,
    "ConfirmTimeoutSeconds": 60,
    "OfferTtlSeconds": 60,
    "PickupTimeoutSeconds": 60,
    "DeliveryTimeoutSeconds": 60,
    "DeliveryContactWindowSeconds": 60,
    "ReturnTimeoutSeconds": 60,
}


class Watchdog:
    """One OrderWatchdog in moto and the worker's side of it."""

    def __init__(self, arn: str, queues: dict[str, str]):
        self.arn, self.queues = arn, queues
        self.sfn, self.sqs = boto3.client("stepfunctions"), boto3.client("sqs")
        self.held: list[DomainEvent] = []  # messages SQS will hand the worker again later

    def start(self, order_id: str, *, resume: str | None = None) -> None:
        from paotui.workflow import service

        name = f"{order_id}.2" if resume else None
        assert service.start_watch(order_id, name=name, resume=resume)
        self.execution = f"{self.arn.replace(':stateMachine:', ':execution:')}:{name or order_id}"

    def pump(
        self,
        until: Callable[[], T],
        *,
        timeout: float = 15,
        what: str = "",
        drop: str = "",
        hold: Callable[[DomainEvent], bool] = lambda event: False,
    ) -> T:
        """Hand WatchdogQueue's messages to WatchdogWorker's handler until ``until()`` is truthy (those of type
        ``drop`` are lost instead, those ``hold`` picks go to ``held``, as a message SQS redelivers late)."""
        from paotui.workflow.events import handle

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := until():
                return result
            for message in self.sqs.receive_message(
                QueueUrl=self.queues["watchdog"], MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                event = DomainEvent.model_validate_json(message["Body"])
                if hold(event):
                    self.held.append(event)
                elif event.type != drop:
                    handle(event)
                self.sqs.delete_message(QueueUrl=self.queues["watchdog"], ReceiptHandle=message["ReceiptHandle"])
        raise AssertionError(f"timed out waiting for {what or until}; states: {self.states()}")

    def moved(self, order_id: str) -> None:
        """What WatchdogWorker does with the order's status change (the stream's order.status_changed)."""
        from paotui.workflow import service

        service.sync(order_id)

    def waiting_at(self, state: str) -> Callable[[], bool]:
        """The running execution's latest state outside the lateness clock is ``state``."""
        return lambda: self.status() == "RUNNING" and [s for s in self.states() if s not in LATENESS][-1:] == [state]

    def entered(self, state: str, times: int = 1) -> Callable[[], bool]:
        """The execution has entered ``state`` ``times`` times, whether or not it has moved on since (a 1-s timer
        may have)."""
        return lambda: self.states().count(state) >= times

    def ended(self) -> Callable[[], str | None]:
        return lambda: self.status() if self.status() != "RUNNING" else None

    def status(self) -> str:
        return self.sfn.describe_execution(executionArn=self.execution)["status"]

    def states(self) -> list[str]:
        events = self.sfn.get_execution_history(executionArn=self.execution, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def sent(self, queue: str) -> list[dict[str, Any]]:
        """Every message on ``queue`` so far (read and deleted)."""
        out = []
        while messages := self.sqs.receive_message(QueueUrl=self.queues[queue], MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in messages:
                out.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queues[queue], ReceiptHandle=message["ReceiptHandle"])
        return out

    def stop_all(self) -> None:
        for execution in self.sfn.list_executions(stateMachineArn=self.arn)["executions"]:
            if execution["status"] == "RUNNING":
                self.sfn.stop_execution(executionArn=execution["executionArn"])


@pytest.fixture
def watchdog(aws, monkeypatch):
    """Make a watchdog with some timers shortened: ``watchdog(PickupTimeoutSeconds=1)``; ``state_timeouts``
    sets one top-level state's own timeout apart from the placeholder it shares with others."""
    from paotui.platform.settings import get_settings

    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    sqs = boto3.client("sqs")
    queues = {
        name: sqs.create_queue(QueueName=f"paotui-{name}")["QueueUrl"] for name in ("watchdog", "dispatch", "ops")
    }
    monkeypatch.setenv("DISPATCH_QUEUE_URL", queues["dispatch"])
    made: list[Watchdog] = []

    def make(*, state_timeouts: dict[str, int] | None = None, **timers: int) -> Watchdog:
        values = {
            **TIMERS,
            **timers,
            "WatchdogQueueUrl": queues["watchdog"],
            "DispatchQueueUrl": queues["dispatch"],
            "OpsQueueUrl": queues["ops"],
        }
        definition = re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), ASL.read_text(encoding="utf-8"))
        if state_timeouts:
            document = json.loads(definition)
            for state, seconds in state_timeouts.items():
                document["States"][state]["TimeoutSeconds"] = seconds
            definition = json.dumps(document)
        arn = boto3.client("stepfunctions").create_state_machine(
            name=f"watchdog-{len(made)}", definition=definition, roleArn="arn:aws:iam::123456789012:role/watchdog"
        )["stateMachineArn"]
        monkeypatch.setenv("WATCHDOG_STATE_MACHINE_ARN", arn)
        get_settings.cache_clear()
        made.append(Watchdog(arn, queues))
        return made[-1]

    yield make
    for machine in made:
        machine.stop_all()


# --- moving the order ------------------------------------------------------------------------------


def status_of(order_id: str) -> str:
    from paotui.orders.service import get_order

    return get_order(order_id).status


def move(order_id: str, target: str) -> None:
    """Move the order one step, as its rider, merchant or the platform would (a system or carrier move)."""
    from paotui.orders import service
    from paotui.orders.transitions import Actor, Status, may_move

    current = Status(status_of(order_id))
    actor = Actor.SYSTEM if may_move(current, Status(target), Actor.SYSTEM) else Actor.CARRIER
    assert service.system_transition(order_id, Status(target), expected={current}, reason="test", actor=actor)


def assign(order_id: str, rider_id: str) -> None:
    """The rider accepts: CONFIRMED → ASSIGNED and one more order on the rider, as the accept route does."""
    from paotui.orders import service
    from paotui.platform.dynamo import transact_write
    from paotui.riders.service import stage_take_order

    with transact_write() as transaction:
        service.stage_assignment(transaction, service.get_order(order_id), rider_id, at=clock.now())
        stage_take_order(transaction, rider_id)


def alerts_of(order_id: str) -> list[tuple[str, dict | None]]:
    from paotui.orders.service import get_order

    return [
        (alert.kind, alert.detail.as_dict() if alert.detail else None) for alert in get_order(order_id).alerts or []
    ]


@pytest.fixture
def order(aws):
    placed, _ = placed_order("key-watchdog-0001", 1)
    return placed.id


@pytest.fixture
def rider(aws):
    return make_rider("rdr_watch_001", {"lat": 31.2335, "lng": 121.4760}).id


def to_delivery_phase(machine: Watchdog, order_id: str, rider_id: str) -> None:
    """Paid, confirmed and assigned: the watchdog has entered the pickup wait. It may have left it already when the
    test shortened the pickup timer, but the worker has not yet handled what the timeout sent."""
    to_assignment(machine, order_id, rider_id)
    machine.pump(machine.entered("AwaitPickup"), what="the pickup wait")


def to_assignment(machine: Watchdog, order_id: str, rider_id: str) -> None:
    """Paid, confirmed and assigned; the watchdog has not been pumped since the assignment."""
    for target in ("PAID", "CONFIRMED"):
        move(order_id, target)
        machine.moved(order_id)
    machine.pump(machine.waiting_at("AwaitAssignment"), what="the assignment wait")
    assign(order_id, rider_id)
    machine.moved(order_id)


# --- the happy path and cancellation -------------------------------------------------------------------


def test_a_delivered_order_ends_at_done_and_a_lateness_clock_that_did_not_run_out_is_stopped(watchdog, order, rider):
    machine = watchdog()
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    for target in ("PICKING_UP", "DELIVERING"):
        move(order, target)
        machine.moved(order)
    machine.pump(machine.waiting_at("AwaitDelivery"), what="the delivery wait")
    move(order, "DELIVERED")
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
    states = machine.states()
    assert states[-1] == "Done"
    assert "MarkLate" not in states and "WaitUntilLate" in states, "the order is promised far ahead"
    assert [m["data"]["reason"] for m in machine.sent("dispatch")] == [], "dispatch ran on the confirmation itself"


@pytest.mark.parametrize("at", ["AwaitConfirmation", "AwaitAssignment", "AwaitPickup"])
def test_a_cancellation_at_any_step_ends_the_execution_cleanly(watchdog, order, rider, at):
    machine = watchdog()
    machine.start(order)
    steps = {"AwaitConfirmation": ["PAID"], "AwaitAssignment": ["PAID", "CONFIRMED"]}
    if at == "AwaitPickup":
        to_delivery_phase(machine, order, rider)
    for target in steps.get(at, []):
        move(order, target)
        machine.moved(order)
    machine.pump(machine.waiting_at(at), what=at)
    move(order, "CANCELLED")
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
    assert machine.states()[-1] == "Closed"


# --- path 2: the merchant does not confirm in time ---------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "status", "action"), [("cancel", "CANCELLED", "cancelled"), ("confirm", "CONFIRMED", "confirmed")]
)
def test_an_unconfirmed_order_is_cancelled_or_confirmed_as_the_merchant_chose(watchdog, order, setting, status, action):
    from paotui.catalog.records import MerchantRecord
    from paotui.orders.service import get_order

    MerchantRecord(get_order(order).merchant_id).update(actions=[MerchantRecord.on_confirm_timeout.set(setting)])
    # ReadSchedule waits for the outcome as long as the confirmation did: 1 s would race this test's pump on a busy
    # machine (a 1-s wait timing out there is test_a_timeout_nobody_acts_on_...'s case)
    machine = watchdog(ConfirmTimeoutSeconds=1, state_timeouts={"ReadSchedule": 60})
    machine.start(order)
    move(order, "PAID")
    machine.moved(order)
    machine.pump(lambda: status_of(order) == status, what=f"the order {status}")
    timeline = get_order(order).timeline[-1]
    assert (timeline.by, timeline.reason) == (
        "watchdog",
        "confirm_timeout" if setting == "confirm" else "merchant_confirm_timeout",
    )
    assert alerts_of(order) == [("confirm_timeout", {"action": action})]
    machine.moved(order)  # the stream's status change
    if setting == "confirm":
        machine.pump(machine.waiting_at("AwaitAssignment"), what="dispatch goes on")
    else:
        assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
        assert machine.states()[-1] == "Closed"


# --- path 4: a scheduled order waits for its dispatch time -----------------------------------------------


def test_a_scheduled_order_is_dispatched_only_at_its_dispatch_time(watchdog, order):
    from paotui.orders.records import OrderRecord

    machine = watchdog()
    machine.start(order)
    move(order, "PAID")
    machine.moved(order)
    due = clock.now() + timedelta(seconds=3)
    OrderRecord(order).update(actions=[OrderRecord.dispatch_at.set(clock.iso(due))])  # as if scheduled soon
    move(order, "CONFIRMED")
    machine.moved(order)
    machine.pump(machine.waiting_at("WaitForDispatchTime"), what="the wait for the dispatch time")
    assert machine.sent("dispatch") == []
    machine.pump(machine.waiting_at("AwaitAssignment"), what="the dispatch request")
    [request] = machine.sent("dispatch")
    assert (request["type"], request["data"]) == ("dispatch.requested", {"order_id": order, "reason": "scheduled"})
    assert clock.now() >= due


# --- path 5: pickup overdue --------------------------------------------------------------------------


def test_a_late_pickup_alerts_then_pages_operations_then_waits_without_timers(watchdog, order, rider):
    from paotui.ops.incidents import incident_id
    from paotui.ops.records import IncidentRecord

    machine = watchdog(PickupTimeoutSeconds=1)
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    incident = machine.pump(
        lambda: next(IncidentRecord.query(incident_id(order, "pickup_overdue")), None), what="operations paged"
    )
    assert (incident.kind, incident.status) == ("pickup_overdue", "OPEN")
    assert [(kind, detail["reason"]) for kind, detail in alerts_of(order)] == [
        ("pickup_overdue", "rider_not_arrived"),  # the rider and the merchant, after one pickup period
        ("pickup_overdue", "rider_not_arrived"),  # and again when operations are paged
    ]
    # the incident is the worker's answer to the timeout the machine sent on its way to the next wait
    machine.pump(machine.waiting_at("AwaitPickupWithOperations"), what="the wait with operations")
    assert machine.states().count("PickupOverdue") == machine.states().count("PickupEscalated") == 1
    move(order, "PICKING_UP")
    move(order, "DELIVERING")
    machine.moved(order)
    machine.pump(machine.waiting_at("AwaitDelivery"), what="the delivery wait")


def test_an_order_whose_rider_went_offline_goes_back_to_dispatch(watchdog, order, rider):
    from paotui.orders.service import get_order
    from paotui.riders.records import RiderRecord
    from paotui.riders.service import get_rider

    machine = watchdog(PickupTimeoutSeconds=1)
    machine.start(order)
    to_assignment(machine, order, rider)  # the rider goes offline before the worker can see the pickup overdue
    assert int(get_rider(rider).active_orders) == 1
    RiderRecord(rider).update(actions=[RiderRecord.online.set(False), RiderRecord.state.set("offline")])
    machine.pump(lambda: status_of(order) == "CONFIRMED", what="the reassignment")
    reassigned = get_order(order)
    assert reassigned.rider_id is None
    assert (reassigned.timeline[-1].by, reassigned.timeline[-1].reason) == ("watchdog", "rider_offline")
    assert int(get_rider(rider, consistent=True).active_orders) == 0, "the rider's capacity is back"
    assert [kind for kind, _ in alerts_of(order)] == ["rider_reassigned"]
    machine.moved(order)
    machine.pump(machine.waiting_at("AwaitAssignment"), what="a new assignment")
    another = make_rider("rdr_watch_002", {"lat": 31.2335, "lng": 121.4760}).id
    assign(order, another)
    machine.moved(order)
    machine.pump(machine.entered("AwaitPickup", times=2), what="the new rider's pickup")


def test_an_older_waits_await_handled_late_does_not_leave_the_order_unwatched(watchdog, order, rider):
    """Several states wait on one step: the first delivery wait's await redelivered after the second wait stored its
    token must not replace it, or the delivery is never seen and the execution waits forever."""
    from paotui.workflow.events import handle
    from paotui.workflow.records import WatchRecord

    machine = watchdog(DeliveryTimeoutSeconds=1)
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    for target in ("PICKING_UP", "DELIVERING"):
        move(order, target)
    machine.moved(order)

    def the_first_delivery_await(event: DomainEvent) -> bool:
        return event.type == "watchdog.await" and event.data["step"] == "delivery" and not machine.held

    def the_second_delivery_wait_registered() -> bool:
        stored = next(iter(WatchRecord.query(order, WatchRecord.step == "delivery", consistent_read=True)), None)
        return stored is not None and machine.waiting_at("AwaitDeliveryWithOperations")()

    machine.pump(the_second_delivery_wait_registered, what="the wait after the overdue", hold=the_first_delivery_await)
    handle(machine.held.pop())
    move(order, "DELIVERED")
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"


def test_a_rejection_before_the_next_assignment_waits_token_is_stored_re_dispatches_at_once(watchdog, order):
    """The rider turns down the re-dispatched offer before WatchdogWorker has stored the new wait's token: the
    rejection is kept for that wait, so the order is re-dispatched now, not when the offer's TTL runs out."""
    from paotui.workflow import service
    from paotui.workflow.events import handle
    from paotui.workflow.records import WatchRecord

    machine = watchdog()  # an offer TTL of a minute: only the rejections move the order on within the test
    machine.start(order)
    for target in ("PAID", "CONFIRMED"):
        move(order, target)
        machine.moved(order)
    machine.pump(lambda: WatchRecord.count(order, WatchRecord.step == "assignment"), what="the first wait's token")
    service.fail_step(order, "assignment", "OfferRejected", "rejected by the rider")  # the first offer

    def the_next_assignment_await(event: DomainEvent) -> bool:
        return event.type == "watchdog.await" and event.data["step"] == "assignment"

    machine.pump(lambda: machine.held, what="the next wait's await", hold=the_next_assignment_await)
    service.fail_step(order, "assignment", "OfferRejected", "rejected by the rider")  # the re-dispatched offer
    handle(machine.held.pop())

    machine.pump(lambda: machine.states().count("OfferWasRejected") == 2, what="the second re-dispatch", timeout=10)
    assert [m["data"]["reason"] for m in machine.sent("dispatch")] == ["offer_rejected", "offer_rejected"]


def test_a_rider_who_takes_over_an_order_gets_a_full_pickup_period_of_their_own(watchdog, order, rider):
    """The order taken off its rider and accepted by another before WatchdogWorker saw the CONFIRMED in between:
    the new rider must not be told they are late on the previous rider's clock."""
    from paotui.orders import service
    from paotui.orders.transitions import Status

    pickup_period = 4
    machine = watchdog(PickupTimeoutSeconds=pickup_period)
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    time.sleep(pickup_period - 1)
    service.transition(order, Status.CONFIRMED, principal("usr_admin", "admin"), reason="rider unreachable")
    second = make_rider("rdr_watch_002", {"lat": 31.2335, "lng": 121.4760}).id
    assign(order, second)
    accepted = time.monotonic()
    machine.moved(order)  # both status changes arrive now, and find the order ASSIGNED
    machine.moved(order)
    machine.pump(lambda: any(kind == "pickup_overdue" for kind, _ in alerts_of(order)), what="the pickup alert")
    assert time.monotonic() - accepted >= pickup_period, "told they are late before a pickup period passed"
    assert status_of(order) == "ASSIGNED" and service.get_order(order).rider_id == second


# --- path 6: late ------------------------------------------------------------------------------------


def test_an_order_past_its_promise_is_compensated_while_the_delivery_goes_on(watchdog, order, rider, monkeypatch):
    from paotui.orders import compensation
    from paotui.orders.records import OrderRecord
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("LATE_GRACE_SECONDS", "1")
    get_settings.cache_clear()
    OrderRecord(order).update(actions=[OrderRecord.promised_at.set(clock.iso(clock.now() + timedelta(seconds=2)))])
    machine = watchdog()
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    machine.pump(lambda: "LateChecked" in machine.states(), what="the late check")
    assert [kind for kind, _ in alerts_of(order)] == ["late", "compensated"]
    assert OrderRecord.get(order).late_at
    assert compensation.compensate_late(order) is None, "compensated once"
    assert machine.status() == "RUNNING"
    for target in ("PICKING_UP", "DELIVERING", "DELIVERED"):
        move(order, target)
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
    assert machine.states()[-1] == "Done"


# --- path 7: a failed delivery ----------------------------------------------------------------------


def test_a_failed_delivery_retried_goes_back_to_the_delivery_wait(watchdog, order, rider):
    machine = watchdog()
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    for target in ("PICKING_UP", "DELIVERING"):
        move(order, target)
    machine.moved(order)
    machine.pump(machine.waiting_at("AwaitDelivery"), what="the delivery wait")
    move(order, "DELIVERY_FAILED")
    machine.moved(order)
    machine.pump(machine.waiting_at("AwaitContact"), what="the contact window")
    move(order, "DELIVERING")
    machine.moved(order)
    machine.pump(machine.waiting_at("AwaitDelivery"), what="the delivery wait again")
    assert {"ContactAnswered", "RetryDelivery"} <= set(machine.states())
    move(order, "DELIVERED")
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
    assert machine.states()[-1] == "Done"


def test_a_lapsed_contact_window_returns_the_order_and_the_merchant_confirms_it_back(watchdog, order, rider):
    machine = watchdog(DeliveryContactWindowSeconds=1)
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    for target in ("PICKING_UP", "DELIVERING", "DELIVERY_FAILED"):
        move(order, target)
    machine.moved(order)
    machine.pump(lambda: status_of(order) == "RETURNING", what="the lapse")
    machine.moved(order)
    machine.pump(machine.waiting_at("AwaitReturn"), what="the return wait")
    move(order, "RETURNED")
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
    assert machine.states()[-1] == "Returned"


def test_a_return_the_merchant_does_not_confirm_pages_operations(watchdog, order, rider):
    from paotui.ops.incidents import incident_id
    from paotui.ops.records import IncidentRecord

    machine = watchdog(ReturnTimeoutSeconds=1)
    machine.start(order)
    to_delivery_phase(machine, order, rider)
    for target in ("PICKING_UP", "DELIVERING", "DELIVERY_FAILED", "RETURNING"):
        move(order, target)
    machine.moved(order)
    incident = machine.pump(
        lambda: next(IncidentRecord.query(incident_id(order, "return_overdue")), None), what="operations paged"
    )
    assert incident.status == "OPEN"
    machine.pump(machine.waiting_at("AwaitReturnWithOperations"), what="the wait with operations")


# --- path 8: failures and restarts -----------------------------------------------------------------------


def test_a_timeout_nobody_acts_on_is_reported_to_operations_and_fails_the_execution(watchdog, order):
    machine = watchdog(ConfirmTimeoutSeconds=1)
    machine.start(order)
    move(order, "PAID")
    machine.moved(order)
    ended = machine.pump(machine.ended(), what="the end", drop="watchdog.timeout")  # WatchdogWorker lost it
    assert ended == "FAILED"
    assert machine.states()[-3:] == ["ReadSchedule", "ReportFailure", "Failed"]
    assert status_of(order) == "PAID"
    [report] = machine.sent("ops")
    assert report["type"] == "ops.incident" and report["subject"] == order
    assert {k: report["data"][k] for k in ("order_id", "kind", "error")} == {
        "order_id": order,
        "kind": "watchdog_failed",
        "error": "States.Timeout",
    }
    assert report["data"]["execution"] == order
    DomainEvent.model_validate(report)


def test_a_restarted_execution_resumes_at_the_orders_step(watchdog, order, rider):
    machine = watchdog()
    for target in ("PAID", "CONFIRMED"):
        move(order, target)
    assign(order, rider)
    machine.start(order, resume="AwaitPickup")
    machine.pump(machine.waiting_at("AwaitPickup"), what="the pickup wait")
    assert "AwaitPayment" not in machine.states()
    for target in ("PICKING_UP", "DELIVERING", "DELIVERED"):
        move(order, target)
    machine.moved(order)
    assert machine.pump(machine.ended(), what="the end") == "SUCCEEDED"
