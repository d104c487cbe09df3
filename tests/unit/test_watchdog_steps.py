"""Which watchdog waits an order's status settles."""

import pytest

from paotui.orders.transitions import Status
from paotui.workflow.steps import is_closed, is_reached


@pytest.mark.parametrize(
    ("status", "reached"),
    [
        (Status.PENDING_PAYMENT, set()),
        (Status.PAID, {"payment"}),
        (Status.CONFIRMED, {"payment", "confirmation"}),
        (Status.ASSIGNED, {"payment", "confirmation", "assignment"}),
        (Status.DELIVERING, {"payment", "confirmation", "assignment"}),
        (Status.DELIVERED, {"payment", "confirmation", "assignment", "delivery"}),
    ],
)
def test_steps_reached_by_status(status, reached):
    assert {s for s in ("payment", "confirmation", "assignment", "delivery") if is_reached(s, status)} == reached


def test_cancelled_closes_every_wait_and_reaches_none():
    assert is_closed(Status.CANCELLED)
    assert not any(is_reached(s, Status.CANCELLED) for s in ("payment", "confirmation", "assignment", "delivery"))
    assert not is_closed(Status.DELIVERING)
