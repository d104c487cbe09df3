"""The one transition table every status change is checked against (DESIGN.md §5).

Each entry names who may make the move. ``system`` is the platform itself
(payment notify, dispatch, the watchdog); ``rider`` means the order's assigned
rider; ``merchant`` the order's merchant; ``customer`` the order's customer;
``carrier`` a third-party carrier delivering the order, on its verified word
(``paotui.carriers``), which takes the moves a rider would and those of a
delivery the platform itself ends. Admins may make any move the table allows.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    CONFIRMED = "CONFIRMED"
    ASSIGNED = "ASSIGNED"
    PICKING_UP = "PICKING_UP"
    DELIVERING = "DELIVERING"
    DELIVERED = "DELIVERED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    RETURNING = "RETURNING"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


class Actor(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    RIDER = "rider"
    SYSTEM = "system"
    CARRIER = "carrier"
    ADMIN = "admin"


S, A = Status, Actor

TRANSITIONS: dict[tuple[Status, Status], frozenset[Actor]] = {
    (S.PENDING_PAYMENT, S.PAID): frozenset({A.SYSTEM}),
    (S.PAID, S.CONFIRMED): frozenset({A.MERCHANT, A.SYSTEM}),
    (S.CONFIRMED, S.ASSIGNED): frozenset({A.SYSTEM, A.CARRIER}),
    # the watchdog takes an order back from a rider gone offline before pickup, for another rider (UNASSIGNING)
    (S.ASSIGNED, S.CONFIRMED): frozenset({A.SYSTEM}),
    (S.PICKING_UP, S.CONFIRMED): frozenset({A.SYSTEM}),
    (S.ASSIGNED, S.PICKING_UP): frozenset({A.RIDER, A.CARRIER}),
    (S.PICKING_UP, S.DELIVERING): frozenset({A.RIDER, A.CARRIER}),
    (S.DELIVERING, S.DELIVERED): frozenset({A.RIDER, A.CARRIER}),
    (S.DELIVERING, S.DELIVERY_FAILED): frozenset({A.RIDER, A.CARRIER}),
    (S.DELIVERY_FAILED, S.DELIVERING): frozenset({A.RIDER, A.SYSTEM}),
    (S.DELIVERY_FAILED, S.RETURNING): frozenset({A.RIDER, A.SYSTEM, A.CARRIER}),
    (S.RETURNING, S.RETURNED): frozenset({A.MERCHANT, A.SYSTEM, A.CARRIER}),
    (S.PENDING_PAYMENT, S.CANCELLED): frozenset({A.CUSTOMER, A.MERCHANT, A.SYSTEM}),
    (S.PAID, S.CANCELLED): frozenset({A.CUSTOMER, A.MERCHANT, A.SYSTEM}),
    # once the merchant has confirmed, a customer asks (orders.cancellation) and the merchant decides
    (S.CONFIRMED, S.CANCELLED): frozenset({A.MERCHANT, A.SYSTEM, A.CARRIER}),
    (S.ASSIGNED, S.CANCELLED): frozenset({A.MERCHANT, A.SYSTEM, A.CARRIER}),
    (S.PICKING_UP, S.CANCELLED): frozenset({A.MERCHANT, A.SYSTEM, A.CARRIER}),
}

TERMINAL = frozenset({S.DELIVERED, S.RETURNED, S.CANCELLED})

UNASSIGNING = frozenset({(S.ASSIGNED, S.CONFIRMED), (S.PICKING_UP, S.CONFIRMED)})
"""Moves that take the order from its rider: the rider's capacity is freed and ``rider_id`` cleared with them."""

# Rider-facing names shown in the app.
RIDER_LABELS = {S.ASSIGNED: "接单", S.PICKING_UP: "取餐中", S.DELIVERING: "配送中", S.DELIVERED: "完成配送"}

# How far along the happy path a status is; the watchdog uses it to tell whether a step is reached.
PROGRESS = {
    S.PENDING_PAYMENT: 0,
    S.PAID: 1,
    S.CONFIRMED: 2,
    S.ASSIGNED: 3,
    S.PICKING_UP: 4,
    S.DELIVERING: 5,
    S.DELIVERY_FAILED: 5,
    S.RETURNING: 5,
    S.DELIVERED: 6,
    S.RETURNED: 6,
}


def is_allowed(current: Status, target: Status) -> bool:
    return (current, target) in TRANSITIONS


def may_move(current: Status, target: Status, actor: Actor) -> bool:
    """Whether ``actor`` may move an order from ``current`` to ``target``."""
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        return False
    return actor is Actor.ADMIN or actor in allowed
