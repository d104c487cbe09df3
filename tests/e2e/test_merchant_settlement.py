"""A shop's settlement over HTTP: a seeded rider delivers its order and the shop's statement shows the dishes less
the platform's commission; the shop refunds part of it and the refund, which reaches settlement through the
Payments table's stream, comes off with its commission back; operators see the account and can't pay out a day
that is not over."""

from __future__ import annotations

import uuid

import pytest

from paotui_local.harness import wait_for
from tests.e2e.flows import deliver

pytestmark = pytest.mark.e2e


def commission(fen: int, basis_points: int = 800) -> int:
    return (fen * basis_points + 5000) // 10000


def test_a_delivered_order_and_the_shops_refund_of_it_settle_into_its_account(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    owner, admin = cloud.login(merchant["phone"]), cloud.login(seed["admin"]["phone"])
    before = owner.get(f"/merchants/{merchant['id']}/settlement").json()["account"]["accrued"]
    order, _, _ = deliver(cloud, seed)
    goods = order["amounts"]["items_total"]

    def settled(expected: int):
        def read():
            view = owner.get(f"/merchants/{merchant['id']}/settlement").json()
            return view if view["account"]["accrued"] == expected else None

        return read

    credit = goods - commission(goods)
    view = wait_for(settled(before + credit), what="the delivered order in the shop's account")
    today = view["days"][-1]
    assert today["goods"] >= goods and today["commission"] <= -commission(goods)
    assert view["account"]["payable"] <= view["account"]["balance"] - credit, "today's credits are paid tomorrow"
    lines = owner.get(f"/merchants/{merchant['id']}/settlement/lines", params={"day": today["date"]}).json()
    mine = sorted((line["kind"], line["amount"]) for line in lines["lines"] if line["order_id"] == order["id"])
    assert mine == [("commission", -commission(goods)), ("goods", goods)]

    refunded = owner.post(
        f"/orders/{order['id']}/refunds",
        json={"amount": 300, "reason": "少送一份小菜"},
        headers={"Idempotency-Key": f"settle-{uuid.uuid4().hex}"},
    )
    assert refunded.status_code == 201, refunded.text
    view = wait_for(settled(before + credit - 300 + commission(300)), what="the shop's refund in its account")

    accounts = admin.get("/admin/settlement", params={"limit": 100}).json()["items"]
    row = next(item for item in accounts if item["merchant_id"] == merchant["id"])
    assert (row["name"], row["balance"]) == (merchant["name"], view["account"]["balance"])
    too_much = admin.post(
        f"/admin/merchants/{merchant['id']}/payouts",
        json={"amount": row["payable"] + 1, "reference": "招商银行 e2e"},
        headers={"Idempotency-Key": f"payout-{uuid.uuid4().hex}"},
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["error"]["details"] == {"payable": row["payable"]}
