"""How an order's status answers each step the watchdog waits on."""

import pytest

from paotui.orders.transitions import TRANSITIONS, UNASSIGNING, Actor, Status, may_move
from paotui.workflow.steps import (
    DELIVERY_FAILED,
    DELIVERY_RETRIED,
    ORDER_CLOSED,
    RIDER_REASSIGNED,
    STEPS,
    Answer,
    answer,
)

S = Status
REACHED = {
    S.PENDING_PAYMENT: set(),
    S.PAID: {"payment"},
    S.CONFIRMED: {"payment", "confirmation", "schedule"},
    S.ASSIGNED: {"payment", "confirmation", "schedule", "assignment"},
    S.PICKING_UP: {"payment", "confirmation", "schedule", "assignment"},
    S.DELIVERING: {"payment", "confirmation", "schedule", "assignment", "pickup", "contact"},
    S.DELIVERY_FAILED: {"payment", "confirmation", "schedule", "assignment", "pickup"},
    S.RETURNING: {"payment", "confirmation", "schedule", "assignment", "pickup", "contact"},
    S.DELIVERED: {"payment", "confirmation", "schedule", "assignment", "pickup", "delivery", "contact"},
    S.RETURNED: {"payment", "confirmation", "schedule", "assignment", "pickup", "contact", "return"},
}


@pytest.mark.parametrize(("status", "reached"), sorted(REACHED.items()))
def test_steps_reached_by_status(status, reached):
    assert {step for step in STEPS if answer(step, status) == Answer()} == reached


def test_cancelled_closes_every_wait():
    assert all(answer(step, S.CANCELLED) == Answer(ORDER_CLOSED) for step in STEPS)


@pytest.mark.parametrize(
    ("step", "status", "error"),
    [
        ("pickup", S.CONFIRMED, RIDER_REASSIGNED),  # the rider was taken off: a new assignment
        ("delivery", S.DELIVERY_FAILED, DELIVERY_FAILED),
        ("delivery", S.RETURNING, DELIVERY_FAILED),  # the failure was missed, the return was not
        ("delivery", S.RETURNED, DELIVERY_FAILED),
        ("return", S.DELIVERING, DELIVERY_RETRIED),  # out again before the lapse sent it back
        ("return", S.DELIVERED, DELIVERY_RETRIED),
    ],
)
def test_statuses_that_fail_a_step(step, status, error):
    assert answer(step, status) == Answer(error)


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("payment", S.PENDING_PAYMENT),
        ("assignment", S.CONFIRMED),
        ("pickup", S.ASSIGNED),
        ("pickup", S.PICKING_UP),
        ("delivery", S.DELIVERING),
        ("contact", S.DELIVERY_FAILED),
        ("return", S.DELIVERY_FAILED),  # the lapse's move to RETURNING may not have happened yet
        ("return", S.RETURNING),
    ],
)
def test_statuses_that_keep_a_step_waiting(step, status):
    assert answer(step, status) is None


def test_a_pickup_wait_on_an_order_assigned_again_since_is_the_previous_riders_and_fails():
    """The new rider's pickup clock must start at their acceptance, not run on from the previous rider's."""
    for status in (S.ASSIGNED, S.PICKING_UP):
        assert answer("pickup", status, reassigned=True) == Answer(RIDER_REASSIGNED)
    assert answer("pickup", S.DELIVERING, reassigned=True) == Answer(), "picked up by the new rider: reached"
    assert answer("delivery", S.DELIVERING, reassigned=True) is None, "only the pickup wait belongs to an assignment"


def test_only_the_platform_takes_an_order_from_its_rider_and_only_before_pickup():
    assert {(S.ASSIGNED, S.CONFIRMED), (S.PICKING_UP, S.CONFIRMED)} == UNASSIGNING
    for move in UNASSIGNING:
        assert move in TRANSITIONS
        assert may_move(*move, Actor.SYSTEM)
        assert not any(may_move(*move, actor) for actor in (Actor.RIDER, Actor.MERCHANT, Actor.CUSTOMER))
    assert (S.DELIVERING, S.CONFIRMED) not in TRANSITIONS
