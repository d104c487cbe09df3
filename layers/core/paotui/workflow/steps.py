"""How an order's status answers each step the watchdog waits on (pure).

Each ``Await*`` state of infra/statemachines/order-watchdog.asl.json posts a
task token for one step. A status either leaves the step waiting, reaches it
(the token succeeds) or fails it with an error the state machine branches on:
``OrderClosed`` (cancelled: the execution ends cleanly), ``RiderReassigned``
(the rider was taken off before pickup: back to assignment; also when the
order was assigned again since the pickup wait began, its clock being the
previous rider's),
``DeliveryFailed`` (the rider could not hand it over: the contact window) and
``DeliveryRetried`` (the rider set out again instead of returning it).
``OfferRejected`` is not a status: the reject route sends it.
"""

from __future__ import annotations

from dataclasses import dataclass

from paotui.orders.transitions import Status

S = Status

ORDER_CLOSED = "OrderClosed"
OFFER_REJECTED = "OfferRejected"
RIDER_REASSIGNED = "RiderReassigned"
DELIVERY_FAILED = "DeliveryFailed"
DELIVERY_RETRIED = "DeliveryRetried"

_PICKED_UP = frozenset({S.DELIVERING, S.DELIVERY_FAILED, S.RETURNING, S.DELIVERED, S.RETURNED})
_ASSIGNED = frozenset({S.ASSIGNED, S.PICKING_UP}) | _PICKED_UP
_CONFIRMED = frozenset({S.CONFIRMED}) | _ASSIGNED
_PAID = frozenset({S.PAID}) | _CONFIRMED

REACHED_AT: dict[str, frozenset[Status]] = {
    "payment": _PAID,
    "confirmation": _CONFIRMED,
    "schedule": _CONFIRMED,  # ReadSchedule: the order's timers, once it is confirmed (a timeout may confirm it)
    "assignment": _ASSIGNED,
    "pickup": _PICKED_UP,
    "delivery": frozenset({S.DELIVERED}),
    "contact": frozenset({S.DELIVERING, S.DELIVERED, S.RETURNING, S.RETURNED}),
    "return": frozenset({S.RETURNED}),
}
"""The statuses that reach each step."""

FAILED_AT: dict[str, dict[Status, str]] = {
    "pickup": {S.CONFIRMED: RIDER_REASSIGNED},
    "delivery": {S.DELIVERY_FAILED: DELIVERY_FAILED, S.RETURNING: DELIVERY_FAILED, S.RETURNED: DELIVERY_FAILED},
    "return": {S.DELIVERING: DELIVERY_RETRIED, S.DELIVERED: DELIVERY_RETRIED},
}
"""The statuses that fail a step, and with which error (besides CANCELLED, which closes every step)."""

BOUND_TO_ASSIGNMENT = frozenset({"pickup"})
"""The steps whose wait belongs to one assignment: a new assignment fails them with ``RiderReassigned``."""

STEPS = tuple(REACHED_AT)


@dataclass(frozen=True)
class Answer:
    """What to tell a waiting step: success (``error`` None) or a failure the state machine catches."""

    error: str | None = None


def is_closed(status: Status) -> bool:
    """The order will never reach another step: every wait ends with ``OrderClosed``."""
    return status is S.CANCELLED


def is_reached(step: str, status: Status) -> bool:
    return status in REACHED_AT[step]


def answer(step: str, status: Status, *, reassigned: bool = False) -> Answer | None:
    """How ``status`` answers ``step``; None: keep waiting. ``reassigned``: the order was assigned again since the
    step's wait began (a CONFIRMED in between went unseen, or came before the wait's token)."""
    if is_closed(status):
        return Answer(ORDER_CLOSED)
    if is_reached(step, status):
        return Answer()
    if reassigned and step in BOUND_TO_ASSIGNMENT:
        return Answer(RIDER_REASSIGNED)
    error = FAILED_AT.get(step, {}).get(status)
    return Answer(error) if error else None
