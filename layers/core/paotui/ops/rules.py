"""The reconciliation sweep's rules, pure: where a lost watchdog resumes, and when an order is overdue.

Executions are named ``<order id>`` (the first, started by WatchdogWorker) and
``<order id>.<n>`` (the n-th, started by the sweep); the order keeps the name
of its current one in ``watch_execution``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from paotui.orders.transitions import TERMINAL, Status
from paotui.platform.settings import Settings

# The Await state of the watchdog (infra/statemachines/order-watchdog.asl.json) that waits on an order in each
# open status: a restarted execution's input names it as ``resume``.
RESUME_STATE: dict[Status, str] = {
    Status.PENDING_PAYMENT: "AwaitPayment",
    Status.PAID: "AwaitConfirmation",
    Status.CONFIRMED: "AwaitAssignment",
    Status.ASSIGNED: "AwaitPickup",
    Status.PICKING_UP: "AwaitPickup",
    Status.DELIVERING: "AwaitDelivery",
    Status.DELIVERY_FAILED: "AwaitContact",
    Status.RETURNING: "AwaitReturn",
}

OPEN_STATUSES = tuple(status for status in Status if status not in TERMINAL)

LOST = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
"""Execution statuses that mean the order lost its watchdog; SUCCEEDED is a watchdog that finished its work."""


def resume_state(status: Status) -> str:
    return RESUME_STATE[status]


def execution_name(order_id: str, run: int) -> str:
    return order_id if run == 1 else f"{order_id}.{run}"


def run_of(execution: str) -> int:
    """Which run of its order's watchdog an execution is (1 for the one named by the order id)."""
    _, dot, run = execution.partition(".")
    return int(run) if dot else 1


def order_of(execution: str) -> str:
    return execution.partition(".")[0]


def allowance_seconds(status: Status, settings: Settings) -> int:
    """How long an order may sit in ``status`` before the watchdog should have acted on it."""
    if status is Status.PENDING_PAYMENT:
        return settings.payment_timeout_seconds
    if status is Status.PAID:
        return settings.confirm_timeout_seconds
    if status is Status.CONFIRMED:
        return settings.offer_ttl_seconds
    if status in (Status.ASSIGNED, Status.PICKING_UP):
        return 2 * settings.pickup_timeout_seconds  # the watchdog alerts after one, pages operators after two
    if status is Status.DELIVERING:
        return settings.delivery_timeout_seconds
    if status is Status.DELIVERY_FAILED:
        return settings.delivery_contact_window_seconds
    if status is Status.RETURNING:
        return settings.return_timeout_seconds
    raise ValueError(f"{status} has no deadline: the order is closed")


@dataclass(frozen=True)
class Progress:
    """What the sweep knows about where an order stands: its status, and the latest moments that restart the
    clock on it (the status reached, the current watchdog started, the last offer's expiry, a scheduled order's
    dispatch time)."""

    status: Status
    since: datetime
    restarts: tuple[datetime | None, ...] = ()

    def clock_from(self) -> datetime:
        return max([self.since, *(moment for moment in self.restarts if moment is not None)])


def deadline(progress: Progress, settings: Settings) -> datetime:
    """When the sweep steps in: the allowance for the status, and a grace period, after the clock started."""
    allowed = allowance_seconds(progress.status, settings) + settings.reconcile_grace_seconds
    return progress.clock_from() + timedelta(seconds=allowed)


# Statuses whose last watchdog timeout pages operators itself (paotui.workflow.timeouts): the sweep raises the
# same kind, so an order overdue there is one incident whoever notices first.
WATCHDOG_INCIDENTS: dict[Status, str] = {
    Status.ASSIGNED: "pickup_overdue",
    Status.PICKING_UP: "pickup_overdue",
    Status.DELIVERING: "delivery_overdue",
    Status.RETURNING: "return_overdue",
}


def incident_kind(status: Status) -> str:
    """What an order stuck in ``status`` is raised as: the watchdog's own kind, else ``stuck_<status>``."""
    return WATCHDOG_INCIDENTS.get(status, f"stuck_{status.value}")
