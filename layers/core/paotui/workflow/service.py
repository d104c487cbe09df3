"""The order watchdog's side of the task-token handshake (docs/architecture.md "Order watchdog").

The state machine posts ``watchdog.await`` with a task token for a step; we
store it and answer it as soon as the order's status settles the step
(paotui.workflow.steps), whichever comes first: the token or the status
change. Both paths read the order after writing, so neither order of arrival
loses a wake-up, and a stale or repeated event answers by the current status;
answering twice is harmless. Several states wait on one step (the pickup
waits, each AwaitAssignment round …), so a token is stored only over an older
wait's, ordered by when its state was entered and its retry count: an older
wait's await handled late (SQS redelivery, a DLQ redrive) is dropped instead of
replacing the live token, which would leave the execution waiting forever.
A pickup wait belongs to the assignment the order was on when the wait began:
an order last ASSIGNED after that (its rider taken off and another's offer
accepted before the CONFIRMED in between was handled, or before the wait's
token arrived) fails it with ``RiderReassigned``, so the new rider gets a
pickup clock of their own. Some answers carry data the state machine
branches on: the order's timers (paotui.workflow.schedule) for ReadSchedule,
the status a failed delivery went on to for AwaitContact.

A failure (a rider's rejection) that comes between two waits of a step,
when the last one has ended and the next one's token is not stored yet, is
kept on the step's record and fails the next wait when its token comes.

When a wait times out, the state machine posts ``watchdog.timeout`` and
``handle_timeout`` acts for the platform (paotui.workflow.timeouts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, DoesNotExist

from paotui.orders import service as orders
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.dynamo import condition_failed, update_if
from paotui.platform.errors import NotFound
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings
from paotui.workflow import schedule, timeouts
from paotui.workflow.records import WatchRecord
from paotui.workflow.steps import BOUND_TO_ASSIGNMENT, answer

_GONE = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken", "ExecutionDoesNotExist"}
_TOKEN_TTL_SECONDS = 7 * 24 * 3600


def start_watch(order_id: str, *, name: str | None = None, resume: str | None = None) -> bool:
    """Start the order's execution, named by the order id unless ``name`` says otherwise; ``resume`` starts it at
    that Await state (an order already under way). False when an execution of that name exists already."""
    document = {"order_id": order_id, **({"resume": resume} if resume else {})}
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=get_settings().watchdog_state_machine_arn, name=name or order_id, input=json.dumps(document)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return False
    return True


def register_token(order_id: str, step: str, token: str, *, entered_at: str, attempt: int = 0) -> None:
    """Store the token of the wait entered at ``entered_at`` (retried ``attempt`` times) unless a newer wait of the
    step stored its own, then answer it if the order's status settles the step already, or fail it with a failure
    kept for it (:func:`fail_step`)."""
    entered_at = _instant(entered_at)
    newer = (WatchRecord.entered_at < entered_at) | (
        (WatchRecord.entered_at == entered_at) & (WatchRecord.attempt <= attempt)
    )
    watch = WatchRecord(order_id, step)
    stored = update_if(  # an update, not a put: a failure kept on the record stays, and comes back with it
        watch,
        actions=[
            WatchRecord.task_token.set(token),
            WatchRecord.entered_at.set(entered_at),
            WatchRecord.attempt.set(attempt),
            WatchRecord.created_at.set(clock.now_iso()),
            WatchRecord.ttl.set(clock.epoch_seconds() + _TOKEN_TTL_SECONDS),
        ],
        condition=WatchRecord.order_id.does_not_exist() | WatchRecord.entered_at.does_not_exist() | newer,
    )
    if not stored:
        logger.info("a superseded wait's token is dropped", extra={"order_id": order_id, "step": step})
        return
    if not sync(order_id, steps=(step,)) and watch.kept_at and watch.kept_at >= entered_at:
        logger.info("a failure kept for this wait", extra={"order_id": order_id, "step": step})
        _fail(watch, watch.kept_error, watch.kept_cause)


def sync(order_id: str, steps: Iterable[str] | None = None) -> list[str]:
    """Answer every stored token (of ``steps``, or all) that the order's current status settles; returns the steps
    answered."""
    watches = _watches(order_id, steps)
    if not watches:
        return []
    order = orders.get_order(order_id)
    status = Status(order.status)
    answered = []
    for watch in watches:
        settled = answer(watch.step, status, reassigned=_assigned_since(order, watch))
        if settled is None:
            continue
        if settled.error:
            _fail(watch, settled.error, f"order is {status.value}")
        else:
            _succeed(watch, _output(watch.step, order))
        answered.append(watch.step)
    return answered


def resolve_step(order_id: str, step: str) -> None:
    """Tell the step it is reached now (the caller just made the move that reaches it, e.g. an accepted offer)."""
    watch = _watch(order_id, step)
    if watch:
        _succeed(watch, _output(step, orders.get_order(order_id)) if step in _ANSWERED_WITH_DATA else {})


def fail_step(order_id: str, step: str, error: str, cause: str) -> None:
    """Fail the step's wait. One that finds no live wait (the step's last wait ended, and the next one's token is
    not stored yet: a rider rejects the offer a re-dispatch made before the new wait's ``watchdog.await`` is
    handled) is kept on the step's record for that next wait, which began before it. Whichever of the two writes
    second sees the other's write, so the failure reaches the wait now, not at its timeout."""
    at = _instant(clock.now_iso())
    watch = _watch(order_id, step)
    if watch and _fail(watch, error, cause):
        return
    kept = WatchRecord(order_id, step)
    kept.update(
        actions=[
            WatchRecord.kept_error.set(error),
            WatchRecord.kept_cause.set(cause[:256]),
            WatchRecord.kept_at.set(at),
            WatchRecord.ttl.set(clock.epoch_seconds() + _TOKEN_TTL_SECONDS),
        ]
    )
    stored_since = kept.task_token and kept.task_token != (watch.task_token if watch else None)
    if stored_since and kept.entered_at and kept.entered_at <= at:
        _fail(kept, error, cause)


def handle_timeout(order_id: str, step: str) -> None:
    """The watchdog gave up waiting on ``step``: act for the platform (nothing to act on for an unknown order)."""
    action = timeouts.ACTIONS.get(step)
    if action is None:
        raise ValueError(f"unknown watchdog timeout {step!r}")
    try:
        action(order_id)
    except NotFound as error:
        if error.code != "ORDER_NOT_FOUND":
            raise
        logger.warning("watchdog timeout for an unknown order", extra={"order_id": order_id, "step": step})


_ANSWERED_WITH_DATA = frozenset({"schedule", "contact"})


def _output(step: str, order: OrderRecord) -> dict:
    """What a reached step hands the state machine (its ResultPath keeps it; the others discard it)."""
    if step == "schedule":
        return schedule.timers(order)
    if step == "contact":
        return {"status": order.status}
    return {}


def _assigned_since(order: OrderRecord, watch: WatchRecord) -> bool:
    """The order was assigned again after the step's wait began (the same rider again is a new assignment too).

    The assignment's time is this side's clock, the wait's Step Functions'; a skew that made the assignment the
    wait followed look later costs one round through AwaitAssignment, which the order reaches at once.
    """
    if watch.step not in BOUND_TO_ASSIGNMENT or watch.entered_at is None:
        return False
    assigned_at = next(
        (entry.at for entry in reversed(order.timeline or []) if entry.status == Status.ASSIGNED.value), None
    )
    return assigned_at is not None and _instant(assigned_at) > watch.entered_at


def _instant(text: str) -> str:
    """An ISO time in one comparable form: UTC, microseconds (Step Functions and moto write EnteredTime apart)."""
    return clock.parse_iso(text).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _watches(order_id: str, steps: Iterable[str] | None) -> list[WatchRecord]:
    if steps is None:
        return [watch for watch in WatchRecord.query(order_id, consistent_read=True) if watch.task_token]
    return [watch for watch in (_watch(order_id, step) for step in steps) if watch]


def _watch(order_id: str, step: str) -> WatchRecord | None:
    """The step's stored wait (a record holding only a kept failure is none)."""
    try:
        watch = WatchRecord.get(order_id, step, consistent_read=True)
    except DoesNotExist:
        return None
    return watch if watch.task_token else None


def _succeed(watch: WatchRecord, output: dict) -> bool:
    return _answer(watch, lambda sfn: sfn.send_task_success(taskToken=watch.task_token, output=json.dumps(output)))


def _fail(watch: WatchRecord, error: str, cause: str) -> bool:
    return _answer(watch, lambda sfn: sfn.send_task_failure(taskToken=watch.task_token, error=error, cause=cause[:256]))


def _answer(watch: WatchRecord, send) -> bool:
    """Answer the wait and forget its token; False when the wait had ended already."""
    delivered = True
    try:
        send(client("stepfunctions"))
    except ClientError as error:
        if error.response["Error"]["Code"] not in _GONE:
            raise
        logger.info("the watchdog no longer waits here", extra={"order_id": watch.order_id, "step": watch.step})
        delivered = False
    try:
        watch.delete(condition=WatchRecord.task_token == watch.task_token)
    except DeleteError as error:
        if not condition_failed(error):
            raise
        # otherwise a newer token for the same step replaced this one: keep it
    return delivered
