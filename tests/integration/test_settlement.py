"""Merchants' settlement against moto: SettlementWorker writes an order's sale and the merchant's refunds once,
whatever order and however often their events come; the merchant reads its statement (CatalogApi), operators
list accounts, record payouts and set commission rates (OpsApi)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paotui.platform import clock
from paotui.platform.events import DomainEvent
from tests.integration.builders import (
    HandClock,
    DELIVERY,
    LAMBDA_CONTEXT,
    SHOP,
    SignedInApi,
    answer,
    confirmed_order,
    in_process_sandbox,
    load_handler,
    order_event,
    sqs_event,
)

ROOT = Path(__file__).resolve().parents[2]
OWNER = "usr_owner"  # confirmed_order's merchant's owner
ADMIN = {"user": "usr_admin", "roles": "admin"}
YESTERDAY_NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 China time
TODAY_NOON = YESTERDAY_NOON + timedelta(days=1)
GOODS = 1000  # confirmed_order: one dish at 10.00
COMMISSION = 80  # 8% by default


@pytest.fixture
def now(aws, monkeypatch) -> HandClock:
    return HandClock(monkeypatch, YESTERDAY_NOON)


@pytest.fixture
def worker(aws):
    handler = load_handler("SettlementWorker")

    def handle(*bodies: str) -> dict[str, Any]:
        return handler(sqs_event(*bodies), LAMBDA_CONTEXT)

    return handle


@pytest.fixture
def catalog(aws) -> SignedInApi:
    return SignedInApi("CatalogApi")


@pytest.fixture
def ops(aws) -> SignedInApi:
    return SignedInApi("OpsApi")


def delivered(order_id: str, status: str = "DELIVERED"):
    """The order moved on to ``status`` (as its rider would, without the steps between), read again."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    order = OrderRecord.get(order_id, consistent_read=True)
    order.update(
        actions=[
            OrderRecord.status.set(status),
            OrderRecord.timeline.set(
                OrderRecord.timeline.append([TimelineEntryMap(status=status, at=clock.now_iso(), by="usr_rider")])
            ),
        ]
    )
    return OrderRecord.get(order_id, consistent_read=True)


def refund(order, amount: int, *, by: str = OWNER, key: str | None = None):
    """A refund of the order asked for by ``by`` (the owner: the merchant's), settled by the sandbox."""
    from paotui.orders.transitions import Actor
    from paotui.payments import refunds
    from paotui.payments.records import RefundRecord

    actor = Actor.MERCHANT if by == OWNER else Actor.ADMIN
    opened = refunds.refund_part(
        order,
        {actor},
        amount=amount,
        reason="少送一份",
        key=key or uuid.uuid4().hex,
        by=by,
        providers=in_process_sandbox(),
    )
    return RefundRecord.get(order.id, opened.id, consistent_read=True)


def refund_event(refund_record, event_id: str | None = None) -> str:
    from paotui.platform.stream_router import plain

    image = plain(json.loads(json.dumps(refund_record.to_simple_dict())))
    return DomainEvent(
        id=event_id or str(uuid.uuid4()),
        type="refund.status_changed",
        occurred_at=refund_record.updated_at,
        subject=refund_record.id,
        data={"refund": image, "status": refund_record.status},
    ).model_dump_json()


def statement(catalog, merchant_id: str, user: str = OWNER, **query: str) -> tuple[int, Any]:
    return catalog.call("GET", f"/merchants/{merchant_id}/settlement", user=user, roles="merchant", query=query)


def lines_of(catalog, merchant_id: str, day: str) -> list[tuple[str, int]]:
    status, page = catalog.call(
        "GET", f"/merchants/{merchant_id}/settlement/lines", user=OWNER, roles="merchant", query={"day": day}
    )
    assert status == 200, page
    return [(line["kind"], line["amount"]) for line in page["lines"]]


def pay_out(ops, merchant_id: str, body: dict, key: str | None = "payout-key-0001", **who) -> dict[str, Any]:
    who = {"user": "usr_admin", "roles": "admin", **who}
    return ops.response("POST", f"/admin/merchants/{merchant_id}/payouts", body=body, key=key, **who)


def test_a_delivered_order_is_settled_once_however_often_its_event_comes(now, worker, catalog):
    order, merchant = confirmed_order()
    order = delivered(order.id)
    event = order_event(order, "DELIVERED", "DELIVERING", event_id="evt-delivered")
    for body in (event, event, order_event(order, "DELIVERED", "DELIVERING", event_id="evt-republished")):
        assert worker(body) == {"batchItemFailures": []}

    status, view = statement(catalog, merchant.id, to="2026-11-24")
    assert status == 200, view
    day = view["days"][-1]
    assert (day["date"], day["orders"], day["goods"], day["commission"], day["total"]) == (
        "2026-11-24",
        1,
        GOODS,
        -COMMISSION,
        GOODS - COMMISSION,
    )
    assert len(view["days"]) == 7, "a week ending on the day asked, days without lines as zeros"
    assert view["commission_bp"] == 800
    assert lines_of(catalog, merchant.id, "2026-11-24") == [("commission", -COMMISSION), ("goods", GOODS)]
    account = view["account"]
    assert (account["accrued"], account["paid"], account["balance"]) == (920, 0, 920)
    assert account["payable"] == 0, "the day is not over: today's credits are paid tomorrow"
    now.at = TODAY_NOON
    assert statement(catalog, merchant.id)[1]["account"]["payable"] == 920


def test_orders_on_their_way_and_errands_settle_nothing(now, worker, catalog):
    order, merchant = confirmed_order()
    assert worker(order_event(order, "DELIVERING", "PICKING_UP")) == {"batchItemFailures": []}
    stale = order_event(order, "DELIVERED", "DELIVERING")  # an event newer than the order it is read against
    assert worker(stale) == {"batchItemFailures": []}
    assert statement(catalog, merchant.id)[1]["account"]["accrued"] == 0


def test_the_merchants_refund_comes_out_of_the_dishes_and_gives_their_commission_back(now, worker, catalog):
    order, merchant = confirmed_order()
    order = delivered(order.id)
    worker(order_event(order, "DELIVERED", "DELIVERING"))
    now.at = YESTERDAY_NOON + timedelta(hours=2)
    given = refund(order, 400)
    assert given.status == "SUCCEEDED"
    for _ in range(2):
        assert worker(refund_event(given)) == {"batchItemFailures": []}

    assert sorted(lines_of(catalog, merchant.id, "2026-11-24")) == [
        ("commission", -80),
        ("commission_back", 32),
        ("goods", 1000),
        ("refund", -400),
    ]
    # the rest of the dishes and the delivery fee: the merchant gives back no more than its dishes, and the
    # commission left comes back whole
    rest = refund(order, 600 + int(order.amounts.delivery_fee))
    worker(refund_event(rest))
    day = statement(catalog, merchant.id, to="2026-11-24")[1]["days"][-1]
    assert (day["goods"], day["refund"], day["commission"], day["commission_back"], day["total"]) == (
        1000,
        -1000,
        -80,
        80,
        0,
    )


def test_a_refund_that_succeeds_before_the_delivery_is_written_with_the_sale(now, worker, catalog):
    order, merchant = confirmed_order()
    given = refund(order, 300)  # the shop refunds a missing drink while the rider is on the way
    assert worker(refund_event(given)) == {"batchItemFailures": []}
    assert statement(catalog, merchant.id)[1]["account"]["accrued"] == 0, "the order is not delivered yet"

    order = delivered(order.id)
    worker(order_event(order, "DELIVERED", "DELIVERING"))
    worker(refund_event(given))  # redelivered after the sale: nothing more
    assert statement(catalog, merchant.id)[1]["account"]["accrued"] == 1000 - 80 - 300 + 24


def test_the_platforms_refunds_are_not_the_merchants(now, worker, catalog):
    order, merchant = confirmed_order()
    order = delivered(order.id)
    worker(order_event(order, "DELIVERED", "DELIVERING"))
    by_operator = refund(order, 500, by="usr_admin")
    worker(refund_event(by_operator))
    assert statement(catalog, merchant.id)[1]["account"]["accrued"] == 920


def test_a_returned_order_settles_with_the_refund_its_rules_made(now, worker, catalog):
    from paotui.orders.exceptions import RETURN_PURPOSE
    from paotui.payments import refunds
    from paotui.payments.records import RefundRecord

    order, merchant = confirmed_order()
    order = delivered(order.id, "RETURNED")
    by_rules = refunds.refund_for(
        order,
        purpose=RETURN_PURPOSE,
        amount=int(order.amounts.total),
        reason="order returned",
        by="system",
        providers=in_process_sandbox(),
    )
    by_rules = RefundRecord.get(order.id, by_rules.id, consistent_read=True)
    worker(order_event(order, "RETURNED", "RETURNING"), refund_event(by_rules))
    day = statement(catalog, merchant.id, to="2026-11-24")[1]["days"][-1]
    assert (day["goods"], day["refund"], day["total"]) == (1000, -1000, 0), "the customer had it all back"


def test_sales_of_one_merchant_settled_at_once_are_all_counted(now, worker, catalog, serialized_moto):
    from paotui.catalog.records import MerchantRecord

    orders = []
    order, merchant = confirmed_order()
    orders.append(delivered(order.id))
    for _ in range(5):
        other, other_merchant = confirmed_order()
        # the same shop: move the order over (confirmed_order makes a merchant each time)
        other.update(actions=[type(other).merchant_id.set(merchant.id)])
        MerchantRecord.get(other_merchant.id).delete()
        orders.append(delivered(other.id))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda o: worker(order_event(o, "DELIVERED", "DELIVERING")), orders))
    assert all(result == {"batchItemFailures": []} for result in results)
    view = statement(catalog, merchant.id, to="2026-11-24")[1]
    assert view["days"][-1]["orders"] == 6
    assert view["account"]["accrued"] == 6 * 920
    assert len(lines_of(catalog, merchant.id, "2026-11-24")) == 12


def test_operators_pay_out_what_is_payable_once_per_key(now, worker, catalog, ops):
    order, merchant = confirmed_order()
    worker(order_event(delivered(order.id), "DELIVERED", "DELIVERING"))
    now.at = TODAY_NOON
    today, _ = confirmed_order()
    worker(order_event(delivered(today.id), "DELIVERED", "DELIVERING"))  # another shop's

    too_much = answer(pay_out(ops, merchant.id, {"amount": 921, "reference": "招商银行 20261125-01"}))
    assert too_much[0] == 409 and too_much[1]["error"]["code"] == "PAYOUT_EXCEEDS_PAYABLE"
    assert too_much[1]["error"]["details"] == {"payable": 920}

    body = {"amount": 900, "reference": "招商银行 20261125-01", "note": "11月24日结算"}
    made = pay_out(ops, merchant.id, body)
    assert (made["statusCode"], made["multiValueHeaders"]["Idempotent-Replayed"][0]) == (201, "false")
    replayed = pay_out(ops, merchant.id, body)
    assert (replayed["statusCode"], replayed["multiValueHeaders"]["Idempotent-Replayed"][0]) == (201, "true")
    assert json.loads(replayed["body"])["id"] == json.loads(made["body"])["id"]
    reused = answer(pay_out(ops, merchant.id, {**body, "amount": 10}))
    assert reused[0] == 422 and reused[1]["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert answer(pay_out(ops, merchant.id, body, key=None))[1]["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert answer(pay_out(ops, merchant.id, body, key="another-key-1"))[0] == 409, "only 20 left to pay"

    view = statement(catalog, merchant.id)[1]
    assert (view["account"]["paid"], view["account"]["balance"], view["account"]["payable"]) == (900, 20, 20)
    assert [(p["amount"], p["reference"], p["by"]) for p in view["payouts"]] == [(900, body["reference"], "usr_admin")]
    status, page = ops.call("GET", "/admin/settlement", **ADMIN)
    assert status == 200
    mine = next(row for row in page["items"] if row["merchant_id"] == merchant.id)
    assert (mine["name"], mine["balance"], mine["payable"]) == ("老王生煎", 20, 20)


def test_two_payouts_at_once_cannot_pay_more_than_is_payable(now, worker, ops, serialized_moto):
    order, merchant = confirmed_order()
    worker(order_event(delivered(order.id), "DELIVERED", "DELIVERING"))
    now.at = TODAY_NOON
    bodies = [({"amount": 600, "reference": f"transfer {n}"}, f"payout-race-{n}") for n in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(lambda b: pay_out(ops, merchant.id, b[0], key=b[1])["statusCode"], bodies))
    assert codes == [201, 409]


def test_a_payout_recorded_by_mistake_is_reversed_once_and_its_amount_is_owed_again(now, worker, catalog, ops):
    order, merchant = confirmed_order()
    worker(order_event(delivered(order.id), "DELIVERED", "DELIVERING"))
    now.at = TODAY_NOON
    payout = json.loads(pay_out(ops, merchant.id, {"amount": 900, "reference": "招商银行 错号"})["body"])
    path = f"/admin/merchants/{merchant.id}/payouts/{payout['id']}/reversal"

    now.at = TODAY_NOON + timedelta(minutes=5)
    status, reversed_ = ops.call("POST", path, **ADMIN, body={"reason": "银行退回：账号有误"})
    assert status == 200
    assert (reversed_["id"], reversed_["amount"], reversed_["reversal_reason"], reversed_["reversed_by"]) == (
        payout["id"],
        900,
        "银行退回：账号有误",
        "usr_admin",
    )
    account = statement(catalog, merchant.id)[1]["account"]
    assert (account["paid"], account["balance"], account["payable"]) == (0, 920, 920), "owed again"
    assert ops.call("POST", path, **ADMIN, body={"reason": "又点了一次"}) == (200, reversed_), "once"
    assert statement(catalog, merchant.id)[1]["account"]["paid"] == 0
    (listed,) = statement(catalog, merchant.id)[1]["payouts"]
    assert listed["reversed_at"] == reversed_["reversed_at"], "still listed, marked reversed"

    again = answer(pay_out(ops, merchant.id, {"amount": 920, "reference": "招商银行 20261125-02"}, key="right-one"))
    assert again[0] == 201, "the right transfer recorded anew"
    assert statement(catalog, merchant.id)[1]["account"]["paid"] == 920


def test_a_payout_reversed_twice_at_once_is_owed_again_once(now, worker, catalog, ops, serialized_moto):
    order, merchant = confirmed_order()
    worker(order_event(delivered(order.id), "DELIVERED", "DELIVERING"))
    now.at = TODAY_NOON
    payout = json.loads(pay_out(ops, merchant.id, {"amount": 500, "reference": "x"})["body"])
    path = f"/admin/merchants/{merchant.id}/payouts/{payout['id']}/reversal"
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda n: ops.call("POST", path, **ADMIN, body={"reason": f"点了 {n}"}), range(2)))
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1]["reversed_at"] == answers[1][1]["reversed_at"], "one reversal, answered to both"
    assert statement(catalog, merchant.id)[1]["account"]["paid"] == 0


def test_a_new_commission_rate_applies_to_orders_settled_after_it(now, worker, catalog, ops):
    first, merchant = confirmed_order()
    worker(order_event(delivered(first.id), "DELIVERED", "DELIVERING"))
    status, rate = ops.call("PUT", f"/admin/merchants/{merchant.id}/commission", **ADMIN, body={"commission_bp": 1250})
    assert (status, rate) == (200, {"merchant_id": merchant.id, "commission_bp": 1250, "own": True})
    second, _ = confirmed_order()
    second.update(actions=[type(second).merchant_id.set(merchant.id)])
    worker(order_event(delivered(second.id), "DELIVERED", "DELIVERING"))
    worker(refund_event(refund(first, 1000)))  # the first sale's refund gives back what that sale paid

    day = statement(catalog, merchant.id, to="2026-11-24")[1]["days"][-1]
    assert (day["commission"], day["commission_back"]) == (-80 - 125, 80)
    assert statement(catalog, merchant.id)[1]["commission_bp"] == 1250


def test_who_may_read_and_move_the_money(now, worker, catalog, ops):
    order, merchant = confirmed_order()
    status, body = statement(catalog, merchant.id, user="usr_someone_else")
    assert (status, body["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")
    assert statement(catalog, merchant.id, user="usr_admin")[0] == 403, "admin is a role: the route checks it"
    assert catalog.call("GET", f"/merchants/{merchant.id}/settlement", **ADMIN)[0] == 200
    assert answer(pay_out(ops, merchant.id, {"amount": 1, "reference": "x"}, user=OWNER, roles="merchant"))[0] == 403
    assert ops.call("GET", "/admin/settlement", user=OWNER, roles="merchant")[0] == 403
    put = ops.call(
        "PUT", f"/admin/merchants/{merchant.id}/commission", user=OWNER, roles="merchant", body={"commission_bp": 0}
    )
    assert put[0] == 403
    reversal = f"/admin/merchants/{merchant.id}/payouts/pout_x/reversal"
    assert ops.call("POST", reversal, user=OWNER, roles="merchant", body={"reason": "x"})[0] == 403


def test_bad_requests_change_nothing(now, worker, catalog, ops):
    order, merchant = confirmed_order()
    long_range = statement(catalog, merchant.id, **{"from": "2026-01-01", "to": "2026-11-24"})
    assert (long_range[0], long_range[1]["error"]["code"]) == (422, "RANGE_TOO_LONG")
    backwards = statement(catalog, merchant.id, **{"from": "2026-11-24", "to": "2026-11-20"})
    assert backwards[1]["error"]["code"] == "INVALID_RANGE"
    cursor = catalog.call(
        "GET",
        f"/merchants/{merchant.id}/settlement/lines",
        user=OWNER,
        roles="merchant",
        query={"day": "2026-11-24", "cursor": "line#2026-11-23#x"},
    )
    assert (cursor[0], cursor[1]["error"]["code"]) == (400, "INVALID_CURSOR")
    for body in ({"amount": 0, "reference": "x"}, {"amount": 100, "reference": ""}, {"amount": 100}):
        assert answer(pay_out(ops, merchant.id, body))[0] == 422
    assert answer(pay_out(ops, "mer_missing", {"amount": 1, "reference": "x"}))[0] == 404
    for rate in (-1, 5001, "8%"):
        assert (
            ops.call("PUT", f"/admin/merchants/{merchant.id}/commission", **ADMIN, body={"commission_bp": rate})[0]
            == 422
        )
    assert ops.call("PUT", "/admin/merchants/mer_missing/commission", **ADMIN, body={"commission_bp": 1})[0] == 404
    assert statement(catalog, merchant.id)[1]["commission_bp"] == 800
    reversal = f"/admin/merchants/{merchant.id}/payouts/pout_missing/reversal"
    status, missing = ops.call("POST", reversal, **ADMIN, body={"reason": "x"})
    assert (status, missing["error"]["code"]) == (404, "PAYOUT_NOT_FOUND")
    for body in ({}, {"reason": ""}, {"reason": "x" * 201}):
        assert ops.call("POST", reversal, **ADMIN, body=body)[0] == 422


def test_the_stream_makes_events_of_refunds_settling_only(aws):
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecordEventName

    from paotui.platform.stream_router import refund_status

    modify = DynamoDBRecordEventName.MODIFY
    processing = {"kind": "refund", "id": "rfd_1", "order_id": "ord_1", "status": "PROCESSING"}
    assert refund_status((modify, {**processing, "status": "SUCCEEDED"}, processing)) == (
        "refund.status_changed",
        {"refund": {**processing, "status": "SUCCEEDED"}, "status": "SUCCEEDED"},
    )
    assert refund_status((modify, processing, processing)) is None, "no change of status"
    payment = {"kind": "payment", "id": "pay_1", "status": "SUCCEEDED"}
    assert refund_status((modify, payment, {**payment, "status": "PENDING"})) is None


def test_the_backfill_settles_orders_delivered_before_settlement_once(now, worker, catalog):
    from paotui.settlement.backfill import backfill, main

    order, merchant = confirmed_order()
    delivered(order.id)
    given = refund(order, 200)
    confirmed_order()  # another order, still on its way: nothing to settle
    worker(refund_event(given))  # the worker saw the refund only, while it wrote nothing

    day = "2026-11-24"
    assert main([day, day]) == 0
    assert statement(catalog, merchant.id)[1]["account"]["accrued"] == 920 - 200 + 16
    assert backfill(YESTERDAY_NOON.date(), YESTERDAY_NOON.date()) == {"orders": 2, "settled": 0, "already": 1}


def test_the_sample_events_run_through_the_worker(aws, catalog):
    from paotui.catalog.service import create_merchant
    from paotui.orders.records import OrderRecord
    from paotui.payments.records import RefundRecord

    samples = ROOT / "events" / "SettlementWorker"
    delivered_sample, refund_sample = (
        json.loads((samples / name).read_text(encoding="utf-8"))
        for name in ("order-delivered.json", "refund-succeeded.json")
    )
    order = json.loads(delivered_sample["Records"][0]["body"])["data"]["order"]
    given = json.loads(refund_sample["Records"][0]["body"])["data"]["refund"]
    create_merchant(
        given["requested_by"],
        "老王牛肉面",
        "+8613800000101",
        SHOP,
        "南京东路 100 号",
        DELIVERY,
        10,
        merchant_id=order["merchant_id"],
    )
    for model, image in ((OrderRecord, order), (RefundRecord, given)):
        record = model()
        record.from_simple_dict(image)
        record.save()

    handler = load_handler("SettlementWorker")
    for sample in (delivered_sample, refund_sample):
        assert handler(sample, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    day = statement(catalog, order["merchant_id"], user=given["requested_by"], to="2026-01-15")[1]["days"][-1]
    assert (day["goods"], day["commission"], day["refund"], day["commission_back"]) == (3000, -240, -500, 40)


@pytest.mark.parametrize(
    ("payment", "status", "expected"),
    [
        ("cash_on_delivery", "DELIVERED", {"goods": 2 * 1000}),  # our rider took the cash: the dishes are the shop's
        ("cash_on_delivery", "RETURNED", {"delivery_fee": -500}),  # never collected; the ride is owed
        ("paid_in_store", "DELIVERED", {"delivery_fee": -500}),  # the shop has the money: it owes the delivery
    ],
)
def test_the_shops_own_orders_settle_by_who_holds_the_money(now, worker, catalog, payment, status, expected):
    from paotui.orders.channel_models import MerchantOrder
    from paotui.orders.channels import place_merchant_order
    from tests.integration.builders import HOME, merchant_with_products, principal

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    body = {"channel": "phone", "payment": payment, "address": HOME}
    request = MerchantOrder.model_validate({**body, "items": [{"product_id": dumplings.id, "quantity": 2}]})
    order, _ = place_merchant_order(merchant.id, principal(OWNER, "merchant"), "phone-order-settle", request)
    assert int(order.amounts.delivery_fee) == 500 and int(dumplings.price) == 1000
    worker(order_event(delivered(order.id, status), status, "DELIVERING"))

    day = statement(catalog, merchant.id, to="2026-11-24")[1]["days"][-1]
    assert {kind: day[kind] for kind in expected} == expected
    assert day["commission"] == 0, "the shop's own channels pay no commission"
    assert day["total"] == sum(expected.values())


def test_an_order_the_shops_carrier_delivered_passes_it_the_customers_fee_and_charges_the_carriers(
    now, worker, catalog
):
    from paotui.orders.records import CarrierMap, OrderRecord

    order, merchant = confirmed_order()
    handed_over = CarrierMap(name="dada", shop_no="11047059", fee=830, handed_over_at=clock.now_iso())
    order.update(actions=[OrderRecord.carrier.set(handed_over)])
    worker(order_event(delivered(order.id), "DELIVERED", "DELIVERING"))

    fee = int(order.amounts.delivery_fee)
    assert sorted(lines_of(catalog, merchant.id, "2026-11-24")) == [
        ("carrier_fee", -830),
        ("commission", -80),
        ("delivery_fee", fee),
        ("goods", 1000),
    ]
