"""Order intake and transitions against moto: one transaction, conditional writes, the transition table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from paotui.orders.transitions import Status
from paotui.platform.errors import Conflict, Forbidden, Unprocessable
from tests.integration.builders import CUSTOMER, merchant_with_products, order_request, principal, stock_of


def _available(product) -> int:
    return stock_of(product)[2]


def test_placing_an_order_reserves_its_stock_in_the_same_write(aws):
    from paotui.orders import service

    merchant, (dumplings, soup) = merchant_with_products(10, 5)
    order, created = service.place_order(
        CUSTOMER.user_id, "key-00000001", order_request(merchant, (dumplings, 2), (soup, 1))
    )
    assert created and order.status == Status.PENDING_PAYMENT
    assert int(order.amounts.items_total) == 2 * int(dumplings.price) + int(soup.price)
    assert int(order.amounts.total) == int(order.amounts.items_total) + int(order.amounts.delivery_fee)
    assert (_available(dumplings), _available(soup)) == (8, 4)
    assert [entry.status for entry in order.timeline] == ["PENDING_PAYMENT"]


def test_same_key_same_body_is_one_order_even_concurrently(aws, serialized_moto, fine_thread_switching):
    from paotui.orders import service

    merchant, (dumplings,) = merchant_with_products(10)
    request = order_request(merchant, (dumplings, 1))
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: service.place_order(CUSTOMER.user_id, "key-same-0001", request), range(6)))
    assert len({order.id for order, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert _available(dumplings) == 9


def test_same_key_other_body_is_refused(aws):
    from paotui.orders import service

    merchant, (dumplings,) = merchant_with_products(10)
    service.place_order(CUSTOMER.user_id, "key-reused-01", order_request(merchant, (dumplings, 1)))
    with pytest.raises(Unprocessable) as refused:
        service.place_order(CUSTOMER.user_id, "key-reused-01", order_request(merchant, (dumplings, 2)))
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert _available(dumplings) == 9


def test_out_of_stock_names_the_product_and_reserves_nothing(aws):
    from paotui.orders import service
    from paotui.orders.records import OrderRecord

    merchant, (plenty, scarce) = merchant_with_products(10, 1)
    with pytest.raises(Conflict) as refused:
        service.place_order(CUSTOMER.user_id, "key-oos-00001", order_request(merchant, (plenty, 3), (scarce, 2)))
    assert refused.value.code == "OUT_OF_STOCK"
    assert refused.value.details == {"product_ids": [scarce.id], "available": {scarce.id: 1}}
    assert (_available(plenty), _available(scarce)) == (10, 1)
    assert OrderRecord.count() == 0


def test_transitions_follow_the_table_and_the_caller(aws):
    from paotui.orders import service

    merchant, (dumplings,) = merchant_with_products(10)
    owner = principal(merchant.owner_id, "merchant")
    order, _ = service.place_order(CUSTOMER.user_id, "key-moves-001", order_request(merchant, (dumplings, 1)))

    with pytest.raises(Conflict) as early:
        service.transition(order.id, Status.CONFIRMED, owner)
    assert early.value.code == "INVALID_TRANSITION"

    service.system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="paid")
    assert service.system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="again") is None

    with pytest.raises(Forbidden):
        service.transition(order.id, Status.CONFIRMED, principal("usr_stranger", "merchant"))
    with pytest.raises(Forbidden):
        service.transition(order.id, Status.CONFIRMED, CUSTOMER)

    confirmed = service.transition(order.id, Status.CONFIRMED, owner)
    assert (confirmed.status, int(confirmed.version)) == ("CONFIRMED", 3)
    assert [e.status for e in confirmed.timeline] == ["PENDING_PAYMENT", "PAID", "CONFIRMED"]
    assert confirmed.timeline[-1].by == f"merchant:{owner.user_id}"

    with pytest.raises(Forbidden):  # confirmed: the customer asks, the merchant decides (orders.cancellation)
        service.transition(order.id, Status.CANCELLED, CUSTOMER, reason="changed my mind")
    cancelled = service.transition(order.id, Status.CANCELLED, owner, reason="sold out")
    assert (cancelled.status, cancelled.cancel_reason) == ("CANCELLED", "sold out")
    with pytest.raises(Conflict):
        service.transition(order.id, Status.CANCELLED, owner, reason="twice")


def test_concurrent_moves_of_one_order_apply_once(aws, serialized_moto, fine_thread_switching):
    from paotui.orders import service

    merchant, (dumplings,) = merchant_with_products(10)
    order, _ = service.place_order(CUSTOMER.user_id, "key-race-0001", order_request(merchant, (dumplings, 1)))

    def cancel(_):
        try:
            return service.system_transition(
                order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="race"
            )
        except Conflict:
            return None

    with ThreadPoolExecutor(5) as pool:
        results = [r for r in pool.map(cancel, range(5)) if r is not None]
    assert len(results) == 1
    assert [e.status for e in service.get_order(order.id).timeline].count("CANCELLED") == 1


def test_fifty_concurrent_orders_for_stock_ten_reserve_exactly_ten(aws, serialized_moto, fine_thread_switching):
    from paotui.catalog.records import StockLedgerRecord, product_key
    from paotui.orders import service
    from paotui.orders.records import OrderRecord

    merchant, (dumplings,) = merchant_with_products(10)
    request = order_request(merchant, (dumplings, 1))

    def place(n: int) -> str:
        try:
            service.place_order(CUSTOMER.user_id, f"key-fifty-{n:04d}", request)
        except Conflict as refused:
            return refused.code
        return "CREATED"

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(place, range(50)))
    assert (outcomes.count("CREATED"), outcomes.count("OUT_OF_STOCK")) == (10, 40)
    assert OrderRecord.count() == 10
    assert stock_of(dumplings) == (10, 10, 0)
    holds = list(StockLedgerRecord.query(product_key(merchant.id, dumplings.id)))
    assert [(int(h.qty), h.state) for h in holds] == [(1, "RESERVED")] * 10
