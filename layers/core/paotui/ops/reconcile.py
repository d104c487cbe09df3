"""The reconciliation sweep (ReconcileJob, every few minutes): no open order without a live watchdog, none stuck.

For each open order created in the last ``reconcile_lookback_days`` China-time
days (the ``by-day`` index, one query per day filtered on status: no scan),
with the watchdog's running executions listed once per run (an execution not
among them is described on its own):

1. Its watchdog: the execution named in ``watch_execution`` (or by the order
   id). If it is missing, FAILED, TIMED_OUT or ABORTED, and has been for the
   grace period (a new order's first execution may still be on its way), the
   order lost its timers: the sweep starts execution ``<order id>.<n+1>`` with
   input ``{"order_id", "resume": <the Await state for its status>}``. The name
   is claimed on the order first (compare-and-set on the name replaced and the
   status), so racing sweeps start it once; a claimed execution that never
   started (a crash in between) is started under its claimed name. After
   ``reconcile_max_runs`` executions, the order goes to operators instead
   (incident ``watchdog_lost``). A SUCCEEDED execution finished its work on
   purpose (its last timeout acted): it is not restarted, the deadline decides.
2. Its deadline: the order's status allows so long (the watchdog's timer for
   it, plus ``reconcile_grace_seconds``) from when its clock last started (the
   status reached, the watchdog started, the last offer expired, a scheduled
   order's dispatch time). Past it, the sweep repairs what the platform can: a
   stored task token the status already settles is answered (a lost
   status-change event), a confirmed order without a live offer is sent to
   dispatch again; otherwise operators get an incident (``rules.incident_kind``).

Every step is idempotent, and nothing here starts a second execution beside a
running one: it only starts when the current one is not running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from botocore.exceptions import ClientError

from paotui.dispatch import requests
from paotui.dispatch.service import offers_of_order
from paotui.ops import rules
from paotui.ops.incidents import raise_incident
from paotui.orders import watch_runs
from paotui.orders.records import OrderRecord
from paotui.orders.service import get_order
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.ids import new_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.workflow import service as workflow


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    REPAIRED = "repaired"
    ESCALATED = "escalated"


@dataclass(frozen=True)
class Sweep:
    """What one run did: orders checked, repaired by the platform, handed to operators, and failed to check."""

    checked: int
    repaired: int
    escalated: int
    failed: int


@dataclass(frozen=True)
class Execution:
    name: str
    status: str | None  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; None: no such execution
    started_at: datetime | None = None
    stopped_at: datetime | None = None


def sweep(now: datetime | None = None) -> Sweep:
    """Check every open order of the lookback window; one order's failure doesn't stop the others."""
    now = now or clock.now()
    running = running_executions()
    outcomes: Counter[str] = Counter()
    failed = 0
    for order in open_orders(now):
        try:
            outcomes[reconcile(order, now, running)] += 1
        except Exception:  # noqa: BLE001 - logged with the order; the next run tries it again
            logger.exception("order not reconciled", extra={"order_id": order.id})
            failed += 1
    result = Sweep(
        checked=sum(outcomes.values()) + failed,
        repaired=outcomes[Outcome.REPAIRED],
        escalated=outcomes[Outcome.ESCALATED],
        failed=failed,
    )
    logger.info("orders reconciled", extra=asdict(result))
    metrics.add_metric(name="ReconcileChecked", unit="Count", value=result.checked)
    metrics.add_metric(name="ReconcileRepaired", unit="Count", value=result.repaired)
    metrics.add_metric(name="ReconcileEscalated", unit="Count", value=result.escalated)
    metrics.add_metric(name="ReconcileFailed", unit="Count", value=result.failed)
    return result


def open_orders(now: datetime) -> Iterator[OrderRecord]:
    """Orders not closed yet, created on the lookback window's China-time days (today first)."""
    for days_ago in range(get_settings().reconcile_lookback_days):
        day = clock.china_date(now - timedelta(days=days_ago))
        yield from OrderRecord.by_day.query(day, filter_condition=OrderRecord.status.is_in(*rules.OPEN_STATUSES))


def running_executions() -> dict[str, Execution]:
    """The watchdog's running executions by name: one paged listing instead of a DescribeExecution per order."""
    pages = (
        client("stepfunctions")
        .get_paginator("list_executions")
        .paginate(stateMachineArn=get_settings().watchdog_state_machine_arn, statusFilter="RUNNING")
    )
    return {
        found["name"]: Execution(found["name"], found["status"], found.get("startDate"))
        for page in pages
        for found in page["executions"]
    }


def reconcile(order: OrderRecord, now: datetime, running: Mapping[str, Execution]) -> Outcome:
    """``running``: executions known to run (an execution not among them is described)."""
    status = Status(order.status)
    name = watch_runs.current_execution(order)
    execution = running.get(name) or describe(name)
    if execution.status is None or execution.status in rules.LOST:
        return _restart(order, execution, now)
    if now < rules.deadline(_progress(order, status, execution), get_settings()):
        return Outcome.UNCHANGED
    return _repair_or_escalate(order, status, execution, now)


def describe(name: str) -> Execution:
    arn = _execution_arn(name)
    try:
        found = client("stepfunctions").describe_execution(executionArn=arn)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        return Execution(name, None)
    return Execution(name, found["status"], found.get("startDate"), found.get("stopDate"))


def _execution_arn(name: str) -> str:
    state_machine = get_settings().watchdog_state_machine_arn
    return f"{state_machine.replace(':stateMachine:', ':execution:', 1)}:{name}"


# ---------------------------------------------------------------- a lost watchdog


def _restart(order: OrderRecord, execution: Execution, now: datetime) -> Outcome:
    grace = timedelta(seconds=get_settings().reconcile_grace_seconds)
    lost_since = execution.stopped_at or clock.parse_iso(order.created_at)
    if now - lost_since < grace:
        return Outcome.UNCHANGED  # a new order's first execution may be on its way; a timeout's effect too
    order = get_order(order.id)  # as it is now: the watchdog may have closed it meanwhile
    status = Status(order.status)
    if status not in rules.RESUME_STATE:
        return Outcome.UNCHANGED
    if execution.status is None:
        name = execution.name  # claimed (or the order's first) but never started: start it now
    else:
        run = rules.run_of(execution.name) + 1
        if run > get_settings().reconcile_max_runs:
            detail = {"execution": execution.name, "execution_status": execution.status, "status": status.value}
            return Outcome.ESCALATED if raise_incident(order.id, "watchdog_lost", detail) else Outcome.UNCHANGED
        name = rules.execution_name(order.id, run)
        if not watch_runs.claim_execution(order.id, replacing=execution.name, name=name, status=status.value):
            return Outcome.UNCHANGED  # another sweep restarted it, or the order moved on: the next run looks again
    if not workflow.start_watch(order.id, name=name, resume=rules.resume_state(status)):
        return Outcome.UNCHANGED  # started meanwhile by a racing sweep
    logger.warning(
        "watchdog restarted",
        extra={"order_id": order.id, "lost": execution.name, "lost_status": execution.status, "execution": name},
    )
    metrics.add_metric(name="WatchdogsRestarted", unit="Count", value=1)
    return Outcome.REPAIRED


# ---------------------------------------------------------------- an overdue order


def _progress(order: OrderRecord, status: Status, execution: Execution) -> rules.Progress:
    restarts: list[datetime | None] = [execution.started_at]
    if status is Status.CONFIRMED:
        offers = offers_of_order(order.id)
        restarts.append(clock.parse_iso(max(offer.expires_at for offer in offers)) if offers else None)
        restarts.append(clock.parse_iso(order.dispatch_at) if order.dispatch_at else None)
    return rules.Progress(status=status, since=_status_since(order, status), restarts=tuple(restarts))


def _status_since(order: OrderRecord, status: Status) -> datetime:
    entered = next((entry.at for entry in reversed(order.timeline or []) if entry.status == status.value), None)
    return clock.parse_iso(entered or order.updated_at)


def _repair_or_escalate(order: OrderRecord, status: Status, execution: Execution, now: datetime) -> Outcome:
    woken = workflow.sync(order.id)  # tokens the status settles: the status change that should have was lost
    if woken:
        logger.warning("watchdog woken", extra={"order_id": order.id, "steps": woken})
        return Outcome.REPAIRED
    if status is Status.CONFIRMED:
        _request_dispatch(order.id, now)
        logger.warning("dispatch requested for an order left without an offer", extra={"order_id": order.id})
        return Outcome.REPAIRED
    detail = {
        "status": status.value,
        "since": clock.iso(_status_since(order, status)),
        "execution": execution.name,
        "execution_status": execution.status,
    }
    return Outcome.ESCALATED if raise_incident(order.id, rules.incident_kind(status), detail) else Outcome.UNCHANGED


def _request_dispatch(order_id: str, now: datetime) -> None:
    """What the watchdog's Redispatch state sends, with a new id each time (each request is a new round)."""
    event = DomainEvent(
        id=new_id("rcn_"),
        type=EventType.DISPATCH_REQUESTED,
        occurred_at=clock.iso(now),
        subject=order_id,
        data={"order_id": order_id, "reason": "reconcile"},
    )
    requests.send(event)
