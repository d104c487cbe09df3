"""The reconciliation sweep's rules: where a restarted watchdog resumes, how executions are named, when an
order is overdue."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paotui.ops import rules
from paotui.orders.transitions import TERMINAL, Status
from paotui.platform.settings import Settings

DEFINITION = Path(__file__).resolve().parents[2] / "infra" / "statemachines" / "order-watchdog.asl.json"
SETTINGS = Settings(
    payment_timeout_seconds=900,
    confirm_timeout_seconds=600,
    offer_ttl_seconds=30,
    pickup_timeout_seconds=1800,
    delivery_timeout_seconds=3600,
    delivery_contact_window_seconds=600,
    return_timeout_seconds=3600,
    reconcile_grace_seconds=120,
)
T0 = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)


def watchdog() -> dict:
    """The watchdog's definition, its ``${...}`` substitutions filled with any value that parses."""
    return json.loads(re.sub(r"\$\{\w+\}", "1", DEFINITION.read_text(encoding="utf-8")))


def test_every_open_status_resumes_at_a_state_and_closed_ones_at_none():
    assert set(rules.RESUME_STATE) == set(Status) - TERMINAL == set(rules.OPEN_STATUSES)
    assert rules.resume_state(Status.PENDING_PAYMENT) == "AwaitPayment"
    assert rules.resume_state(Status.PAID) == "AwaitConfirmation"
    assert rules.resume_state(Status.CONFIRMED) == "AwaitAssignment"
    assert rules.resume_state(Status.ASSIGNED) == rules.resume_state(Status.PICKING_UP) == "AwaitPickup"
    assert rules.resume_state(Status.DELIVERING) == "AwaitDelivery"
    assert rules.resume_state(Status.DELIVERY_FAILED) == "AwaitContact"
    assert rules.resume_state(Status.RETURNING) == "AwaitReturn"
    with pytest.raises(KeyError):
        rules.resume_state(Status.DELIVERED)


def every_state(states: dict[str, dict]) -> dict[str, dict]:
    """The states and those of every Parallel's branches, by name."""
    found = dict(states)
    for state in states.values():
        for branch in state.get("Branches", []):
            found |= every_state(branch["States"])
    return found


def test_every_resume_state_is_a_wait_for_the_order_the_watchdog_can_start_at():
    definition = watchdog()
    states = every_state(definition["States"])
    resumable = set()  # the values of $.resume a Choice tells apart, and where a Choice on it goes by default
    for state in states.values():
        on_resume = [c for c in state.get("Choices", []) if c.get("Variable") == "$.resume" and "StringEquals" in c]
        resumable |= {choice["StringEquals"] for choice in on_resume}
        if on_resume and "Default" in state:
            resumable.add(state["Default"])
    assert states[definition["StartAt"]]["Type"] == "Choice"
    for state in set(rules.RESUME_STATE.values()):
        assert states[state]["Type"] == "Task", state
        assert states[state]["Resource"].endswith(".waitForTaskToken"), state
    assert set(rules.RESUME_STATE.values()) <= resumable


@pytest.mark.parametrize(
    ("order_id", "run", "name"), [("ord_1", 1, "ord_1"), ("ord_1", 2, "ord_1.2"), ("o", 12, "o.12")]
)
def test_executions_are_named_by_order_and_run(order_id, run, name):
    assert rules.execution_name(order_id, run) == name
    assert rules.run_of(name) == run
    assert rules.order_of(name) == order_id


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (Status.PENDING_PAYMENT, 900),
        (Status.PAID, 600),
        (Status.CONFIRMED, 30),
        (Status.ASSIGNED, 3600),  # the watchdog alerts after one pickup timeout and pages after two
        (Status.PICKING_UP, 3600),
        (Status.DELIVERING, 3600),
        (Status.DELIVERY_FAILED, 600),
        (Status.RETURNING, 3600),
    ],
)
def test_the_deadline_is_the_status_allowance_and_the_grace_after_the_clock_started(status, allowed):
    progress = rules.Progress(status=status, since=T0)
    assert rules.deadline(progress, SETTINGS) == T0 + timedelta(seconds=allowed + 120)


def test_the_clock_restarts_at_the_latest_moment_known():
    later, latest = T0 + timedelta(minutes=3), T0 + timedelta(minutes=9)
    progress = rules.Progress(status=Status.CONFIRMED, since=T0, restarts=(None, latest, later))
    assert progress.clock_from() == latest
    assert rules.deadline(progress, SETTINGS) == latest + timedelta(seconds=30 + 120)
    assert rules.Progress(status=Status.PAID, since=latest, restarts=(T0,)).clock_from() == latest


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_closed_orders_have_no_deadline(status):
    with pytest.raises(ValueError, match="closed"):
        rules.allowance_seconds(status, SETTINGS)


def test_stuck_orders_are_raised_as_the_watchdog_would_or_by_status():
    assert rules.incident_kind(Status.PAID) == "stuck_PAID"
    assert rules.incident_kind(Status.DELIVERY_FAILED) == "stuck_DELIVERY_FAILED"
    assert rules.incident_kind(Status.PICKING_UP) == "pickup_overdue"
    assert rules.incident_kind(Status.DELIVERING) == "delivery_overdue"
    assert rules.incident_kind(Status.RETURNING) == "return_overdue"
