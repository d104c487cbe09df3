"""The order lifecycle table: who may move an order where (DESIGN.md §5)."""

import pytest

from paotui.orders.transitions import TERMINAL, TRANSITIONS, Actor, Status, is_allowed, may_move

HAPPY_PATH = [
    (Status.PENDING_PAYMENT, Status.PAID, Actor.SYSTEM),
    (Status.PAID, Status.CONFIRMED, Actor.MERCHANT),
    (Status.CONFIRMED, Status.ASSIGNED, Actor.SYSTEM),
    (Status.ASSIGNED, Status.PICKING_UP, Actor.RIDER),
    (Status.PICKING_UP, Status.DELIVERING, Actor.RIDER),
    (Status.DELIVERING, Status.DELIVERED, Actor.RIDER),
]


@pytest.mark.parametrize(("current", "target", "actor"), HAPPY_PATH)
def test_happy_path_moves_are_allowed_to_their_actor(current, target, actor):
    assert may_move(current, target, actor)


@pytest.mark.parametrize(("current", "target", "actor"), HAPPY_PATH)
def test_admin_may_make_any_allowed_move(current, target, actor):
    assert may_move(current, target, Actor.ADMIN)


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (Status.PENDING_PAYMENT, Status.PAID, Actor.CUSTOMER),  # only a payment callback pays
        (Status.PAID, Status.CONFIRMED, Actor.RIDER),
        (Status.ASSIGNED, Status.PICKING_UP, Actor.MERCHANT),
        (Status.DELIVERING, Status.DELIVERED, Actor.CUSTOMER),
        (Status.PICKING_UP, Status.CANCELLED, Actor.CUSTOMER),  # not after pickup starts
        (Status.CONFIRMED, Status.CANCELLED, Actor.CUSTOMER),  # after confirmation only by the merchant's consent
        (Status.ASSIGNED, Status.CANCELLED, Actor.CUSTOMER),
    ],
)
def test_wrong_actor_is_refused(current, target, actor):
    assert not may_move(current, target, actor)


def test_no_state_is_skipped_and_terminal_states_are_final():
    assert not is_allowed(Status.PAID, Status.DELIVERED)
    assert not is_allowed(Status.CONFIRMED, Status.PICKING_UP)
    for terminal in TERMINAL:
        assert not [target for (source, target) in TRANSITIONS if source is terminal]


def test_nothing_can_be_cancelled_once_delivering():
    for status in (Status.DELIVERING, Status.DELIVERED, Status.RETURNING, Status.RETURNED):
        assert not is_allowed(status, Status.CANCELLED)


def test_every_status_is_reachable_from_pending_payment():
    reached, frontier = {Status.PENDING_PAYMENT}, [Status.PENDING_PAYMENT]
    while frontier:
        current = frontier.pop()
        for source, target in TRANSITIONS:
            if source is current and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(Status)
