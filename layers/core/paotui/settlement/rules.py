"""What a merchant is owed for an order, and what a refund takes back: pure arithmetic in fen, no AWS calls.

Who holds the money decides the lines. The platform holds what it collected:
an order paid online through us (the mini-program), or cash our rider took at
the door. The merchant holds what it took itself: an order paid in the shop,
or on Ele.me (Ele.me pays the shop).

- **goods**: the dishes (``items_total``), credited when the platform holds
  the money for them. A coupon is the platform's (it issues them for late
  orders), so the merchant is credited the dishes in full.
- **commission**: the platform's share of the dishes of the orders it brought
  (the mini-program's), ``commission_bp`` basis points, rounded half up. Orders
  from the shop's own channels (phone, walk-in, Ele.me) pay no commission: the
  platform only delivers them.
- **delivery_fee**: our riders deliver for the customer's fee. Where the
  platform collected it, it keeps it (no line); where the shop did, the shop
  owes it (a debit). When the shop's carrier (Dada) delivers instead, the shop
  pays the carrier: the customer's fee, if the platform collected it, is the
  shop's (a credit), and **carrier_fee**, what the carrier charged, is a debit.
- **refund** and **commission_back**: a refund the merchant gave (its own, or
  its refund rules' on a returned order) comes out of the dishes credited, and
  gives back their commission; what it refunds beyond them (the delivery fee)
  is the platform's. The last refund of the dishes gives back what is left of
  the commission, so the two always net out to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORM_CHANNEL = "mini_program"
"""Orders the platform brought, paid online through it: the ones that pay commission."""

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class Line:
    kind: str  # goods | commission | delivery_fee | carrier_fee | refund | commission_back
    amount: int  # fen; the merchant's debit is negative
    detail: str


@dataclass(frozen=True)
class Sale:
    """An order that reached the end of its delivery (DELIVERED, or RETURNED to the shop), as settlement sees it."""

    channel: str  # mini_program | phone | walk_in | eleme
    delivered: bool  # False: RETURNED (cash on delivery was then never collected)
    items_total: int
    delivery_fee: int
    collect_on_delivery: int  # cash our rider takes at the door (phone and walk-in orders paid on delivery)
    carrier_fee: int | None  # what the shop's carrier charged; None: our riders delivered
    commission_bp: int


@dataclass(frozen=True)
class Settled:
    """What a sale credited that refunds may still take back."""

    goods_left: int
    commission_left: int


def commission_of(amount: int, basis_points: int) -> int:
    """``amount`` × ``basis_points`` / 10,000, rounded half up (fen are whole)."""
    return (amount * basis_points + BASIS_POINTS // 2) // BASIS_POINTS


def platform_collected(sale: Sale) -> bool:
    """The platform holds the customer's money: paid online through it, or cash its rider took at the door."""
    return sale.channel == PLATFORM_CHANNEL or (sale.collect_on_delivery > 0 and sale.delivered)


def sale_lines(sale: Sale) -> tuple[list[Line], Settled]:
    """The order's lines (zero amounts left out) and what refunds may take back of them."""
    collected = platform_collected(sale)
    goods = sale.items_total if collected else 0
    commission = commission_of(sale.items_total, sale.commission_bp) if sale.channel == PLATFORM_CHANNEL else 0
    lines = [
        Line("goods", goods, "菜品收入"),
        Line("commission", -commission, f"平台佣金 {sale.commission_bp / 100:g}%"),
    ]
    if sale.carrier_fee is None:
        if not collected:
            lines.append(Line("delivery_fee", -sale.delivery_fee, "平台配送费"))
    else:
        if collected:
            lines.append(Line("delivery_fee", sale.delivery_fee, "顾客支付的配送费"))
        lines.append(Line("carrier_fee", -sale.carrier_fee, "第三方配送费"))
    return [line for line in lines if line.amount], Settled(goods_left=goods, commission_left=commission)


def refund_lines(amount: int, settled: Settled, commission_bp: int) -> tuple[list[Line], Settled]:
    """A refund the merchant gave, out of the dishes still credited; its commission back (all that is left once the
    dishes are refunded whole)."""
    taken = min(amount, settled.goods_left)
    goods_left = settled.goods_left - taken
    back = (
        settled.commission_left
        if goods_left == 0
        else min(commission_of(taken, commission_bp), settled.commission_left)
    )
    lines = [Line("refund", -taken, "商家退款"), Line("commission_back", back, "退还佣金")]
    return [line for line in lines if line.amount], Settled(goods_left, settled.commission_left - back)
