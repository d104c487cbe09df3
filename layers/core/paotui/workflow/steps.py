"""Which watchdog step an order status satisfies (pure)."""

from __future__ import annotations

from paotui.orders.transitions import PROGRESS, Status

STEPS = ("payment", "confirmation", "assignment", "delivery")

_REACHED_AT = {"payment": 1, "confirmation": 2, "assignment": 3, "delivery": 6}


def is_reached(step: str, status: Status) -> bool:
    return PROGRESS.get(status, -1) >= _REACHED_AT[step]


def is_closed(status: Status) -> bool:
    """The order will never reach another step: the watchdog should stop."""
    return status is Status.CANCELLED
