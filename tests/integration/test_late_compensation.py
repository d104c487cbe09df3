"""A late order against moto (orders.compensation): marked late, the customer told and compensated by rule, once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from paotui.orders.transitions import Status
from paotui.platform import clock
from tests.integration.builders import (
    CUSTOMER,
    SignedInApi,
    confirmed_order,
    in_process_sandbox,
)

REFUND_HALF_THE_FEE = '{"kind": "refund", "percent_of_delivery_fee": 50}'


def late_order(*, paid: bool = True, promised_ago: timedelta = timedelta(minutes=20)):
    """A confirmed order of a fresh merchant, its promised time ``promised_ago`` in the past."""
    from paotui.orders import service
    from paotui.orders.records import OrderRecord

    order, _ = confirmed_order(paid=paid)
    order.update(actions=[OrderRecord.promised_at.set(clock.iso(clock.now() - promised_ago))])
    return service.get_order(order.id)


def compensate(order_id: str):
    from paotui.orders.compensation import compensate_late

    return compensate_late(order_id, in_process_sandbox())


def alerts(order_id: str) -> list[tuple[str, dict]]:
    from paotui.orders.service import get_order

    return [(a.kind, a.detail.as_dict() if a.detail else {}) for a in get_order(order_id).alerts or []]


def stored(order_id: str):
    from paotui.orders.service import get_order

    return get_order(order_id)


def refunds(order_id: str) -> list[tuple[str, int, str]]:
    from paotui.payments.refunds import refunds_of

    return [(r.status, int(r.amount), r.reason) for r in refunds_of(order_id)]


@pytest.fixture
def refund_rule(aws, monkeypatch):
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("LATE_COMPENSATION_RULE", REFUND_HALF_THE_FEE)
    get_settings.cache_clear()


def test_a_late_order_is_marked_and_its_customer_gets_a_coupon_once(aws):
    from paotui.coupons.service import coupons_of

    order = late_order()
    given = compensate(order.id)
    assert (given.kind, given.amount) == ("coupon", 500)
    assert compensate(order.id) is None, "a second call gives nothing more"

    (issued,) = coupons_of(CUSTOMER.user_id)
    assert (int(issued.amount), int(issued.min_spend), issued.source_order_id) == (500, 2000, order.id)
    assert alerts(order.id) == [
        ("late", {"promised_at": order.promised_at}),
        ("compensated", {"kind": "coupon", "amount": 500}),
    ]
    status, view = SignedInApi("OrdersApi").call("GET", f"/orders/{order.id}", user=CUSTOMER.user_id, roles="customer")
    assert (status, view["late"], view["late_at"] is not None) == (200, True, True), view
    assert refunds(order.id) == []


def test_a_refund_rule_gives_part_of_the_money_back_once_even_when_called_at_once(
    refund_rule, serialized_moto, fine_thread_switching
):
    order = late_order()
    with ThreadPoolExecutor(3) as pool:
        given = list(pool.map(lambda _: compensate(order.id), range(3)))
    half_the_fee = int(order.amounts.delivery_fee) // 2
    assert {(g.kind, g.amount) for g in given if g} == {("refund", half_the_fee)}
    assert refunds(order.id) == [("SUCCEEDED", half_the_fee, "late delivery compensation")]
    assert [kind for kind, _ in alerts(order.id)] == ["late", "compensated"]
    assert int(stored(order.id).refunded) == half_the_fee


def test_an_order_paid_in_cash_gets_a_coupon_instead_of_a_refund(refund_rule):
    from paotui.coupons.service import coupons_of

    order = late_order(paid=False)
    given = compensate(order.id)
    assert given.kind == "coupon" and [int(c.amount) for c in coupons_of(CUSTOMER.user_id)] == [given.amount]


def test_an_order_not_late_or_no_longer_on_its_way_gets_nothing(aws):
    from paotui.coupons.service import coupons_of
    from paotui.orders import service

    early = late_order(promised_ago=timedelta(minutes=-10))
    cancelled = late_order()
    service.system_transition(cancelled.id, Status.CANCELLED, expected={Status.CONFIRMED}, reason="test")
    for order in (early, cancelled):
        assert compensate(order.id) is None
        assert (stored(order.id).late_at, alerts(order.id)) == (None, [])
    assert coupons_of(CUSTOMER.user_id) == []
