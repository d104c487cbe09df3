"""Cash riders take at doors for the platform, against moto: SettlementWorker puts a delivered cash order on its
rider's balance once; the rider reads it (RidersApi); operators read it and record hand-ins, at most what the
rider holds, once per Idempotency-Key."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from paotui.platform import clock
from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    SignedInApi,
    answer,
    load_handler,
    make_rider,
    merchant_with_products,
    near,
    order_event,
    principal,
    sqs_event,
    SHOP,
)

OWNER, RIDER = "usr_owner", "usr_rider_cash1"
ADMIN = {"user": "usr_admin", "roles": "admin"}


@pytest.fixture
def riders(aws) -> SignedInApi:
    return SignedInApi("RidersApi")


@pytest.fixture
def worker(aws):
    handler = load_handler("SettlementWorker")
    return lambda *bodies: handler(sqs_event(*bodies), LAMBDA_CONTEXT)


def cash_order(payment: str = "cash_on_delivery", *, rider: str | None = RIDER, status: str = "DELIVERED"):
    """A phone order of 2 dishes (20.00, delivery 5.00) the shop entered, taken to the door by ``rider``."""
    from paotui.orders.channel_models import MerchantOrder
    from paotui.orders.channels import place_merchant_order
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    body = {"channel": "phone", "payment": payment, "address": HOME}
    request = MerchantOrder.model_validate({**body, "items": [{"product_id": dumplings.id, "quantity": 2}]})
    order, _ = place_merchant_order(merchant.id, principal(OWNER, "merchant"), f"cash-{merchant.id}", request)
    moved = TimelineEntryMap(status=status, at=clock.now_iso(), by=f"rider:{rider}")
    actions = [OrderRecord.status.set(status), OrderRecord.timeline.set(OrderRecord.timeline.append([moved]))]
    if rider:
        actions.append(OrderRecord.rider_id.set(rider))
    order.update(actions=actions)
    return OrderRecord.get(order.id, consistent_read=True)


def hand_in(riders, rider_id: str, body: dict, key: str | None = "handin-key-0001", **who) -> dict[str, Any]:
    who = {"user": "usr_admin", "roles": "admin", **who}
    return riders.response("POST", f"/admin/riders/{rider_id}/cash-handins", body=body, key=key, **who)


def my_cash(riders, rider_id: str = RIDER) -> dict[str, Any]:
    status, body = riders.call("GET", "/riders/me/cash", user=rider_id, roles="rider")
    assert status == 200, body
    return body


def test_a_cash_order_delivered_puts_its_cash_on_the_riders_balance_once(riders, worker):
    make_rider(RIDER, near(SHOP, 100))
    order = cash_order()
    event = order_event(order, "DELIVERED", "DELIVERING", event_id="evt-cash")
    for body in (event, event, order_event(order, "DELIVERED", "DELIVERING")):
        assert worker(body) == {"batchItemFailures": []}

    cash = my_cash(riders)
    assert cash["held"] == 2500 == int(order.amounts.collect_on_delivery)
    assert [(m["kind"], m["amount"], m["order_id"]) for m in cash["moves"]] == [("collected", 2500, order.id)]
    status, me = riders.call("GET", "/admin/riders", **ADMIN)
    assert next(r for r in me["items"] if r["id"] == RIDER)["cash_held"] == 2500, "operators see it on the rider"


def test_a_rider_reading_their_cash_as_a_delivery_settles_sees_a_balance_counting_every_move_listed(
    riders, worker, monkeypatch
):
    """The delivery's cash lands between the two reads of ``GET /riders/me/cash`` (its moves, the balance): the
    balance shown counts every move shown."""
    from paotui.settlement.records import CashMove

    make_rider(RIDER, near(SHOP, 100))
    order = cash_order()
    query, landed = CashMove.query, []

    def settling_meanwhile(*args, **kwargs):
        if not landed:
            landed.append(worker(order_event(order, "DELIVERED", "DELIVERING")))
        return query(*args, **kwargs)

    monkeypatch.setattr(CashMove, "query", settling_meanwhile)
    cash = my_cash(riders)
    assert landed == [{"batchItemFailures": []}]
    assert cash["held"] == sum(move["amount"] for move in cash["moves"]) == 2500


@pytest.mark.parametrize(
    ("payment", "rider", "status"),
    [
        ("paid_in_store", RIDER, "DELIVERED"),  # nothing to collect
        ("cash_on_delivery", RIDER, "RETURNED"),  # never paid
        ("cash_on_delivery", None, "DELIVERED"),  # a carrier's rider, not ours
    ],
)
def test_orders_whose_cash_no_rider_of_ours_took_hold_nothing(riders, worker, payment, rider, status):
    make_rider(RIDER, near(SHOP, 100))
    order = cash_order(payment, rider=rider, status=status)
    assert worker(order_event(order, status, "DELIVERING")) == {"batchItemFailures": []}
    assert my_cash(riders) == {"rider_id": RIDER, "held": 0, "moves": [], "next_cursor": None}


def test_operators_record_hand_ins_up_to_what_the_rider_holds_once_per_key(riders, worker):
    make_rider(RIDER, near(SHOP, 100))
    worker(order_event(cash_order(), "DELIVERED", "DELIVERING"))

    too_much = answer(hand_in(riders, RIDER, {"amount": 2501}))
    assert too_much[0] == 409 and too_much[1]["error"] == {
        "code": "CASH_EXCEEDS_HELD",
        "message": "The rider holds less cash than that.",
        "details": {"held": 2500},
    }
    body = {"amount": 2000, "note": "人民广场站 收据 0042"}
    made = hand_in(riders, RIDER, body)
    assert (made["statusCode"], made["multiValueHeaders"]["Idempotent-Replayed"][0]) == (201, "false")
    assert json.loads(made["body"])["held"] == 500
    replayed = hand_in(riders, RIDER, body)
    assert (replayed["statusCode"], replayed["multiValueHeaders"]["Idempotent-Replayed"][0]) == (201, "true")
    assert answer(hand_in(riders, RIDER, {"amount": 100}))[1]["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert answer(hand_in(riders, RIDER, body, key=None))[1]["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"

    cash = my_cash(riders)
    assert cash["held"] == 500
    assert [(m["kind"], m["amount"], m["note"], m["by"]) for m in cash["moves"]] == [
        ("handed_in", -2000, "人民广场站 收据 0042", "usr_admin"),  # newest first
        ("collected", 2500, None, None),
    ]
    status, seen = riders.call("GET", f"/admin/riders/{RIDER}/cash", **ADMIN, query={"limit": "1"})
    assert (status, len(seen["moves"]), seen["held"]) == (200, 1, 500)
    status, rest = riders.call("GET", f"/admin/riders/{RIDER}/cash", **ADMIN, query={"cursor": seen["next_cursor"]})
    assert [m["kind"] for m in rest["moves"]] == ["collected"]


def test_two_hand_ins_at_once_cannot_take_more_than_the_rider_holds(riders, worker, serialized_moto):
    make_rider(RIDER, near(SHOP, 100))
    worker(order_event(cash_order(), "DELIVERED", "DELIVERING"))
    bodies = [({"amount": 1500}, f"handin-race-{n}") for n in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(lambda b: hand_in(riders, RIDER, b[0], key=b[1])["statusCode"], bodies))
    assert codes == [201, 409]
    assert my_cash(riders)["held"] == 1000


def test_who_may_read_and_record_cash_and_bad_requests_change_nothing(riders, worker):
    make_rider(RIDER, near(SHOP, 100))
    worker(order_event(cash_order(), "DELIVERED", "DELIVERING"))
    assert riders.call("GET", f"/admin/riders/{RIDER}/cash", user=RIDER, roles="rider")[0] == 403
    assert answer(hand_in(riders, RIDER, {"amount": 100}, user=RIDER, roles="rider"))[0] == 403
    status, body = riders.call("GET", "/riders/me/cash", user="usr_not_a_rider", roles="rider")
    assert (status, body["error"]["code"]) == (404, "RIDER_NOT_FOUND")
    assert answer(hand_in(riders, "usr_nobody", {"amount": 100}))[0] == 404
    for body in ({"amount": 0}, {"amount": -5}, {"amount": "ten"}, {}, {"amount": 10, "note": "x" * 201}):
        assert answer(hand_in(riders, RIDER, body))[0] == 422, body
    cursor = riders.call("GET", "/riders/me/cash", user=RIDER, roles="rider", query={"cursor": "line#x"})
    assert (cursor[0], cursor[1]["error"]["code"]) == (400, "INVALID_CURSOR")
    assert my_cash(riders)["held"] == 2500
