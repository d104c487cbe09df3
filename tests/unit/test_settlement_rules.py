"""What a merchant is owed for an order and what its refunds take back (settlement.rules), channel by channel."""

from __future__ import annotations

import pytest

from paotui.settlement.rules import Sale, Settled, commission_of, refund_lines, sale_lines


def sale(**changes) -> Sale:
    base = {
        "channel": "mini_program",
        "delivered": True,
        "items_total": 4250,
        "delivery_fee": 500,
        "collect_on_delivery": 0,
        "carrier_fee": None,
        "commission_bp": 800,
    }
    return Sale(**{**base, **changes})


def amounts(lines) -> dict[str, int]:
    return {line.kind: line.amount for line in lines}


@pytest.mark.parametrize(
    ("amount", "basis_points", "expected"),
    [(4250, 800, 340), (1, 800, 0), (7, 800, 1), (1250, 1250, 156), (125, 400, 5), (999, 0, 0)],
)
def test_commission_is_rounded_half_up_to_the_fen(amount, basis_points, expected):
    assert commission_of(amount, basis_points) == expected


def test_an_order_paid_through_the_platform_credits_the_dishes_less_commission_and_the_platform_keeps_the_fee():
    lines, settled = sale_lines(sale())
    assert amounts(lines) == {"goods": 4250, "commission": -340}
    assert settled == Settled(goods_left=4250, commission_left=340)


def test_a_coupon_is_the_platforms_the_merchant_is_credited_its_dishes_in_full():
    # the discount is not an input: the merchant's lines do not depend on what the customer paid
    lines, _ = sale_lines(sale())
    assert amounts(lines)["goods"] == 4250


def test_a_phone_order_paid_in_cash_to_our_rider_credits_the_dishes_without_commission():
    lines, settled = sale_lines(sale(channel="phone", collect_on_delivery=4750))
    assert amounts(lines) == {"goods": 4250}
    assert settled == Settled(goods_left=4250, commission_left=0)


def test_orders_the_shop_was_paid_for_itself_owe_the_platform_its_delivery():
    for channel, collect in (("walk_in", 0), ("eleme", 0), ("phone", 0)):
        lines, _ = sale_lines(sale(channel=channel, collect_on_delivery=collect))
        assert amounts(lines) == {"delivery_fee": -500}, channel


def test_a_cash_order_returned_collected_nothing_and_owes_the_ride():
    lines, settled = sale_lines(sale(channel="phone", collect_on_delivery=4750, delivered=False))
    assert amounts(lines) == {"delivery_fee": -500}
    assert settled == Settled(0, 0)


def test_the_shops_carrier_is_paid_by_the_shop_which_keeps_the_customers_fee():
    lines, _ = sale_lines(sale(carrier_fee=830))
    assert amounts(lines) == {"goods": 4250, "commission": -340, "delivery_fee": 500, "carrier_fee": -830}
    lines, _ = sale_lines(sale(channel="eleme", carrier_fee=830))
    assert amounts(lines) == {"carrier_fee": -830}, "Ele.me paid the shop the customer's fee"


def test_a_merchants_refund_takes_back_dishes_and_gives_back_their_commission():
    _, settled = sale_lines(sale())
    lines, settled = refund_lines(1000, settled, 800)
    assert amounts(lines) == {"refund": -1000, "commission_back": 80}
    assert settled == Settled(goods_left=3250, commission_left=260)


def test_refunds_never_take_back_more_than_the_dishes_and_their_commission_nets_to_the_fen():
    _, settled = sale_lines(sale(items_total=1001, commission_bp=850))  # 85.085 → 85
    total_back = 0
    for amount in (333, 333, 333, 500):  # the last one reaches into the delivery fee
        lines, settled = refund_lines(amount, settled, 850)
        total_back += amounts(lines).get("commission_back", 0)
    assert settled == Settled(0, 0)
    assert total_back == commission_of(1001, 850)
    lines, settled = refund_lines(200, settled, 850)
    assert lines == [], "nothing left of the dishes: the rest is the platform's"


def test_a_refund_of_a_shop_paying_no_commission_gives_none_back():
    _, settled = sale_lines(sale(commission_bp=0))
    lines, _ = refund_lines(500, settled, 0)
    assert amounts(lines) == {"refund": -500}
