"""Coupons against moto (paotui.coupons): redeemed once at intake, in the order's own transaction, refused clearly,
given back when the order is cancelled, and listed to their customer only."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from paotui.platform import clock
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from tests.integration.builders import (
    CUSTOMER,
    HOME,
    LAMBDA_CONTEXT,
    SignedInApi,
    answer,
    api_event,
    in_process_sandbox,
    load_handler,
    merchant_with_products,
    order_event,
    order_request,
    principal,
    stock_of,
)

OTHER = principal("usr_other_customer", "customer")


def coupon(customer=CUSTOMER, *, amount: int = 300, min_spend: int = 0, valid_days: int = 30, name: str = "c1"):
    from paotui.coupons.service import issue

    issued, _ = issue(
        customer.user_id,
        f"cpn_{name}",
        amount=amount,
        min_spend=min_spend,
        valid_days=valid_days,
        source="test",
    )
    return issued


def place(merchant, product, coupon_id: str | None, *, quantity: int = 1, key: str | None = None, who=CUSTOMER):
    from paotui.orders import service

    request = order_request(merchant, (product, quantity)).model_copy(update={"coupon_id": coupon_id})
    order, _ = service.place_order(who.user_id, key or uuid.uuid4().hex, request)
    return order


@pytest.fixture
def shop(aws):
    merchant, (product,) = merchant_with_products(10)  # 1000 fen a piece
    return merchant, product


def state(issued) -> tuple[str, str | None]:
    issued.refresh(consistent_read=True)
    return issued.status, issued.order_id


def test_a_coupon_takes_its_amount_off_the_total_and_is_used_up_with_the_order(shop):
    merchant, product = shop
    issued = coupon(amount=300)
    without = place(merchant, product, None)
    order = place(merchant, product, issued.id)
    assert int(order.amounts.discount) == 300
    assert int(order.amounts.total) == int(without.amounts.total) - 300
    assert order.coupon_id == issued.id
    assert state(issued) == ("USED", order.id)


def test_a_coupon_worth_more_than_the_order_leaves_one_fen_to_pay(shop):
    merchant, product = shop
    order = place(merchant, product, coupon(amount=99_999).id)
    assert int(order.amounts.total) == 1


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("someone else's", NotFound, "COUPON_NOT_FOUND"),
        ("expired", Conflict, "COUPON_EXPIRED"),
        ("below its minimum spend", Unprocessable, "COUPON_MIN_SPEND"),
        ("used", Conflict, "COUPON_USED"),
    ],
)
def test_a_coupon_that_may_not_be_used_is_refused_and_nothing_is_held(shop, case, error, code):
    from paotui.coupons.records import CouponRecord
    from paotui.orders.records import OrderRecord

    merchant, product = shop
    issued = {
        "someone else's": lambda: coupon(OTHER),
        "expired": lambda: coupon(),
        "below its minimum spend": lambda: coupon(min_spend=5000),
        "used": lambda: coupon(),
    }[case]()
    if case == "expired":
        issued.update(actions=[CouponRecord.expires_at.set(clock.iso(clock.now() - timedelta(seconds=1)))])
    if case == "used":
        place(merchant, product, issued.id)
    orders_before, stock_before = OrderRecord.count(), stock_of(product)
    with pytest.raises(error) as refused:
        place(merchant, product, issued.id)
    assert refused.value.code == code
    assert (OrderRecord.count(), stock_of(product)) == (orders_before, stock_before)


def test_two_orders_racing_for_one_coupon_place_one(shop, serialized_moto, fine_thread_switching):
    from paotui.orders.records import OrderRecord

    merchant, product = shop
    issued = coupon()
    serialized_moto.gather("TransactWriteItems", 2)

    def attempt(key: str):
        try:
            return place(merchant, product, issued.id, key=key)
        except Conflict as refused:
            return refused.code

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(attempt, ["race-key-00001", "race-key-00002"]))
    placed = [result for result in results if isinstance(result, OrderRecord)]
    assert len(placed) == 1 and results.count("COUPON_USED") == 1, results
    assert state(issued) == ("USED", placed[0].id)
    assert stock_of(product)[1] == 1, "only the placed order holds stock"


def test_a_coupon_moved_away_between_its_check_and_the_orders_write_is_refused_not_a_500(shop, monkeypatch):
    """An account merge moves the absorbed customer's coupons: one checked just before it moved is gone at the
    write, which must be the same clear refusal as a coupon used meanwhile."""
    from paotui.coupons import service as coupons
    from paotui.orders.records import OrderRecord

    merchant, product = shop
    issued = coupon()
    check = coupons.discount_for

    def then_moved(*args, **kwargs):
        discount = check(*args, **kwargs)
        issued.delete()  # as coupons.move_all does, for the survivor's copy
        return discount

    monkeypatch.setattr(coupons, "discount_for", then_moved)
    with pytest.raises(Conflict) as refused:
        place(merchant, product, issued.id)
    assert refused.value.code == "COUPON_USED"
    assert (OrderRecord.count(), stock_of(product)[1]) == (0, 0), "nothing written, nothing held"


def test_a_retried_placement_is_the_same_order_with_the_coupon_used_once(shop):
    merchant, product = shop
    issued = coupon()
    first = place(merchant, product, issued.id, key="retry-key-0001")
    again = place(merchant, product, issued.id, key="retry-key-0001")
    assert again.id == first.id and int(again.amounts.discount) == 300
    assert state(issued) == ("USED", first.id)


def test_a_cancelled_order_gives_its_coupon_back_once(shop):
    from paotui.orders import service
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events
    from paotui.platform.events import DomainEvent

    merchant, product = shop
    issued = coupon()
    order = place(merchant, product, issued.id)
    cancelled = service.system_transition(
        order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout"
    )
    event = DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PENDING_PAYMENT"))
    for _ in range(2):
        refund_events.handle(event, in_process_sandbox())
    assert state(issued) == ("AVAILABLE", None)
    second = place(merchant, product, issued.id)
    refund_events.handle(event, in_process_sandbox())  # a late redelivery of the first order's cancellation
    assert state(issued) == ("USED", second.id)


def test_customers_list_their_own_coupons(shop):
    from paotui.coupons.records import CouponRecord

    merchant, product = shop
    fresh, lapsed, used = coupon(name="fresh"), coupon(name="lapsed", amount=200), coupon(name="used", min_spend=100)
    lapsed.update(actions=[CouponRecord.expires_at.set(clock.iso(clock.now() - timedelta(days=1)))])
    order = place(merchant, product, used.id)
    coupon(OTHER, name="theirs")

    api = SignedInApi("OrdersApi")
    status, listed = api.call("GET", "/me/coupons", user=CUSTOMER.user_id, roles="customer")
    assert status == 200, listed
    assert {c["id"]: (c["status"], c["order_id"]) for c in listed} == {
        fresh.id: ("AVAILABLE", None),
        lapsed.id: ("EXPIRED", None),
        used.id: ("USED", order.id),
    }
    assert api.call("GET", "/me/coupons", user="usr_rider", roles="rider")[0] == 403


def test_the_order_api_takes_a_coupon_and_shows_the_discount(shop):
    merchant, product = shop
    issued = coupon(amount=250)
    body = {
        "merchant_id": merchant.id,
        "items": [{"product_id": product.id, "quantity": 1}],
        "address": HOME,
        "coupon_id": issued.id,
    }
    event = api_event(
        "POST",
        "/orders",
        body=body,
        authorizer={"user_id": CUSTOMER.user_id, "roles": "customer"},
        headers={"Idempotency-Key": "coupon-http-0001"},
    )
    status, order = answer(load_handler("OrdersApi")(event, LAMBDA_CONTEXT))
    assert status == 201, order
    amounts = order["amounts"]
    assert (amounts["discount"], amounts["total"], order["coupon_id"]) == (
        250,
        amounts["items_total"] + amounts["delivery_fee"] - 250,
        issued.id,
    )
