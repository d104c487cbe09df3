"""Orders delivered by Dada, against moto and the local Dada fake over real HTTP both ways (docs/adr/0012).

DispatchWorker's handling of CONFIRMED hands a carrier merchant's order to the
fake (quoted, then published from the recorded quote) instead of offering it
to our riders; CANCELLED withdraws it. The fake's signed callbacks reach
CarriersApi's handler, served on a local port as API Gateway would, which
checks each with a status query and moves the order. What matters: one Dada
order however often or concurrently the event is handled; nothing moves
backwards; forged callbacks change nothing; an unreachable Dada fails the
message so that SQS retries it.
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from paotui.carriers.dada import callback_signature
from paotui.orders.transitions import Status
from paotui.platform.errors import BadGateway
from paotui.platform.events import DomainEvent
from paotui_local.fakes import Notify
from paotui_local.fakes.dada import TEST_SHOP, FakeDada
from tests.integration.builders import (
    CUSTOMER,
    Killed,
    LAMBDA_CONTEXT,
    SHOP,
    LocalRoute,
    answer,
    api_event,
    delivering_by_dada,
    load_handler,
    make_rider,
    merchant_with_products,
    order_event,
    order_request,
    principal,
    sqs_event,
)

PUBLISH = "/api/order/addAfterQuery"
QUOTE = "/api/order/queryDeliverFee"
CANCEL = "/api/order/formalCancel"


@pytest.fixture(scope="module")
def route():
    """``POST /carriers/dada/callback`` as CarriersApi serves it behind API Gateway, on a local port; the handler
    is loaded per test, inside moto."""

    def callback(path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        event = api_event("POST", path, headers={"Content-Type": headers.get("Content-Type", "")})
        event["body"] = body.decode()
        response = route.handler(event, LAMBDA_CONTEXT)
        return response["statusCode"], "application/json", (response.get("body") or "").encode()

    route = LocalRoute(callback)
    route.handler = None
    yield route
    route.close()


@pytest.fixture
def dada(route, aws, monkeypatch):
    """A fresh Dada (its app in DadaSecret, as an operator sets it) calling back our route."""
    from paotui.platform.settings import get_settings

    with FakeDada() as fake:
        arn = boto3.client("secretsmanager").create_secret(Name="dada", SecretString=fake.secret_json())["ARN"]
        monkeypatch.setenv("DADA_SECRET_ARN", arn)
        monkeypatch.setenv("PUBLIC_BASE_URL", route.base_url)
        get_settings.cache_clear()
        route.handler = load_handler("CarriersApi")
        yield fake


@pytest.fixture
def merchant(dada):
    """A merchant delivering by Dada from Dada's test shop, with a rider of ours online next door."""
    merchant, products = merchant_with_products(50)
    delivering_by_dada(merchant)
    make_rider("usr_rider_101", SHOP)
    return merchant, products[0]


def confirmed_order(merchant_and_product, key: str = "key-carrier-0001") -> Any:
    """A paid order the merchant confirmed (quantity 2)."""
    from paotui.orders import service

    merchant, product = merchant_and_product
    order, _ = service.place_order(CUSTOMER.user_id, key, order_request(merchant, (product, 2)))
    service.system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="paid")
    return service.system_transition(order.id, Status.CONFIRMED, expected={Status.PAID}, reason="confirmed")


def dispatch_worker_handles(body: str) -> None:
    """DispatchWorker's own handling of one event, without the consumer's idempotency record: a redelivery
    whose record was lost, or another event about the same order."""
    from paotui.dispatch import events

    events.handle(DomainEvent.model_validate_json(body))


def order_of(order_id: str) -> Any:
    from paotui.orders.service import get_order

    return get_order(order_id)


def published(fake: FakeDada) -> list[dict[str, Any]]:
    return [body for body, code in fake.calls(PUBLISH) if code == 0]


@pytest.fixture
def handed_over(merchant, dada) -> Any:
    order = confirmed_order(merchant)
    dispatch_worker_handles(order_event(order, "CONFIRMED", "PAID"))
    return order_of(order.id)


def deliver(fake: FakeDada, notify: Notify) -> tuple[int, Any]:
    delivery = fake.deliver(notify)
    return delivery.status, json.loads(delivery.body or b"null")


def timeline(order: Any) -> list[tuple[str, str]]:
    return [(entry.status, entry.by) for entry in order.timeline]


# --- handing over -------------------------------------------------------------------------------------------------


def test_a_confirmed_order_goes_to_dada_not_to_our_riders(handed_over, dada):
    from paotui.dispatch.service import offers_of_order

    order = handed_over
    assert order.carrier.handed_over_at and order.carrier.exception is None
    (quote,) = [body for body, code in dada.calls(QUOTE) if code == 0]
    assert quote["origin_id"] == order.id and quote["shop_no"] == TEST_SHOP and quote["city_code"] == "021"
    assert quote["cargo_price"] == order.amounts.items_total / 100  # yuan
    assert quote["receiver_phone"] == "13800000301"  # Dada's mainland form of +8613800000301
    assert quote["callback"].endswith("/carriers/dada/callback")
    assert published(dada) == [{"deliveryNo": order.carrier.quote_id}]
    assert dada.orders[order.id].status == 1
    assert (order.carrier.fee, order.carrier.name) == (dada.orders[order.id].fee, "dada")
    assert offers_of_order(order.id) == [], "no rider of ours is offered a carrier's order"
    assert order.status == Status.CONFIRMED.value


def test_handling_confirmed_again_creates_no_second_dada_order(handed_over, dada):
    dispatch_worker_handles(order_event(handed_over, "CONFIRMED", "PAID"))
    dispatch_worker_handles(json.dumps(_redispatch(handed_over.id)))  # the watchdog's re-dispatch
    assert len(published(dada)) == 1 and len(dada.calls(QUOTE)) == 1
    assert order_of(handed_over.id).carrier.handed_over_at == handed_over.carrier.handed_over_at


def test_concurrent_handling_creates_one_dada_order(merchant, dada, serialized_moto):
    order = confirmed_order(merchant)
    bodies = [order_event(order, "CONFIRMED", "PAID") for _ in range(3)] + [json.dumps(_redispatch(order.id))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(dispatch_worker_handles, bodies))
    assert len(published(dada)) == 1 and list(dada.orders) == [order.id]
    after = order_of(order.id)
    assert after.carrier.handed_over_at and after.carrier.quote_id == published(dada)[0]["deliveryNo"]


def test_dada_unreachable_fails_the_message_so_that_sqs_retries_it(merchant, dada):
    from paotui.dispatch.service import offers_of_order

    order = confirmed_order(merchant)
    own_merchant, (product,) = merchant_with_products(5)  # delivering itself, in the same batch
    own = confirmed_order((own_merchant, product), key="key-self-delivery")
    handler = load_handler("DispatchWorker")
    batch = sqs_event(order_event(order, "CONFIRMED", "PAID"), order_event(own, "CONFIRMED", "PAID"))
    dada.down = True
    result = handler(batch, LAMBDA_CONTEXT)
    assert result["batchItemFailures"] == [{"itemIdentifier": batch["Records"][0]["messageId"]}]
    assert order_of(order.id).carrier is None and dada.orders == {}
    assert len(offers_of_order(own.id)) == 1, "the rest of the batch goes on"

    dada.down = False
    assert handler(sqs_event(batch["Records"][0]["body"]), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert order_of(order.id).carrier.handed_over_at and list(dada.orders) == [order.id]


def test_a_quote_that_lapsed_before_it_was_published_is_replaced(merchant, dada):
    order = confirmed_order(merchant)
    body = order_event(order, "CONFIRMED", "PAID")
    dada.failing = {PUBLISH}  # quoted and recorded, then the worker can't publish
    with pytest.raises(BadGateway):
        dispatch_worker_handles(body)
    first = order_of(order.id).carrier.quote_id
    dada.failing = set()
    dada.expire_quotes()
    dispatch_worker_handles(body)  # SQS's retry, after the quote lapsed
    after = order_of(order.id)
    assert after.carrier.handed_over_at and after.carrier.quote_id != first
    assert [code for _, code in dada.calls(PUBLISH)] == [2062, 0]


@pytest.mark.parametrize("lapse_checked_first", [False, True], ids=["dada-says-published", "dada-says-lapsed"])
def test_a_run_that_died_as_dada_published_the_order_is_finished_by_a_retry_after_the_quote_lapsed(
    merchant, dada, monkeypatch, lapse_checked_first
):
    """The worker dies after Dada publishes the order and before the hand-over is written; by SQS's retry the quote
    has lapsed. Whichever Dada answers to that quote (published, or lapsed, and then it won't quote the order again),
    the retry records the hand-over: the order is Dada's to follow and withdraw, not a refusal."""
    from paotui.carriers import service as carriers

    order = confirmed_order(merchant)
    body = order_event(order, "CONFIRMED", "PAID")
    dada.lapse_checked_first = lapse_checked_first

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(carriers, "_handed_over", killed)
    with pytest.raises(Killed):
        dispatch_worker_handles(body)
    monkeypatch.undo()
    assert list(dada.orders) == [order.id] and order_of(order.id).carrier.handed_over_at is None
    dada.expire_quotes()

    dispatch_worker_handles(body)  # SQS's retry

    after = order_of(order.id)
    assert after.carrier.handed_over_at and after.carrier.exception is None
    assert len(published(dada)) == 1 and list(dada.orders) == [order.id]


def test_a_refusal_is_recorded_and_alerted_and_the_next_redispatch_tries_again(merchant, dada):
    order = confirmed_order(merchant)
    dada.balance = 0
    dispatch_worker_handles(order_event(order, "CONFIRMED", "PAID"))  # handled: retrying won't top up the account
    refused = order_of(order.id)
    assert refused.carrier.exception.code == "CARRIER_REFUSED" and "2155" in refused.carrier.exception.message
    assert refused.carrier.handed_over_at is None and dada.orders == {}

    dada.balance = 100_000
    dispatch_worker_handles(json.dumps(_redispatch(order.id)))
    after = order_of(order.id)
    assert after.carrier.handed_over_at and after.carrier.exception is None and list(dada.orders) == [order.id]


def test_a_concurrent_runs_refusal_never_orphans_the_dada_order_another_run_publishes(merchant, dada, monkeypatch):
    """While one run publishes the order from its recorded quote, a concurrent run (which read the order before
    that quote) is refused by Dada and records the refusal. Dada has the order all the same: it must stay ours to
    follow and to withdraw, not be left at Dada behind a refusal."""
    from paotui.carriers import service as carriers
    from paotui.carriers.dada import DadaCarrier

    order = confirmed_order(merchant)
    before_the_quote = order_of(order.id)
    create = DadaCarrier.create

    def create_while_another_run_is_refused(carrier, order_id: str, quote_id: str) -> None:
        balance, dada.balance = dada.balance, 0
        carriers.hand_over(before_the_quote)
        dada.balance = balance
        create(carrier, order_id, quote_id)

    monkeypatch.setattr(DadaCarrier, "create", create_while_another_run_is_refused)
    carriers.hand_over(order_of(order.id))
    monkeypatch.setattr(DadaCarrier, "create", create)

    after = order_of(order.id)
    assert list(dada.orders) == [order.id]
    assert after.carrier.handed_over_at and after.carrier.quote_id == published(dada)[0]["deliveryNo"]
    assert after.carrier.exception is None

    from paotui.orders import service

    cancelled = service.system_transition(order.id, Status.CANCELLED, expected={Status.CONFIRMED}, reason="商家缺货")
    dispatch_worker_handles(order_event(cancelled, "CANCELLED", "CONFIRMED"))
    assert dada.orders[order.id].status == 5, "withdrawn at Dada with our order"


def test_orders_of_merchants_delivering_themselves_still_go_to_our_riders(dada):
    from paotui.dispatch.service import offers_of_order

    merchant, (product,) = merchant_with_products(5)
    make_rider("usr_rider_102", SHOP)
    order = confirmed_order((merchant, product), key="key-self-delivery")
    dispatch_worker_handles(order_event(order, "CONFIRMED", "PAID"))
    assert [offer.rider_id for offer in offers_of_order(order.id)] == ["usr_rider_102"]
    assert order_of(order.id).carrier is None and dada.calls(QUOTE) == []


# --- cancelling ---------------------------------------------------------------------------------------------------


def test_a_cancelled_order_is_cancelled_at_dada_once(handed_over, dada):
    from paotui.orders import service

    cancelled = service.system_transition(
        handed_over.id, Status.CANCELLED, expected={Status.CONFIRMED}, reason="商家缺货"
    )
    body = order_event(cancelled, "CANCELLED", "CONFIRMED")
    dispatch_worker_handles(body)
    dispatch_worker_handles(body)
    assert dada.orders[handed_over.id].status == 5
    assert [(call["cancel_reason_id"], call["cancel_reason"]) for call, _ in dada.calls(CANCEL)] == [
        (10000, "商家缺货")
    ]
    assert order_of(handed_over.id).carrier.cancelled_at


def test_a_customers_cancellation_the_merchant_approved_reaches_dada_as_the_customers(handed_over, dada):
    """Once confirmed, a customer cancels by asking the merchant (orders.cancellation): Dada is told 顾客取消订单."""
    from paotui.orders import cancellation

    cancellation.cancel(handed_over.id, CUSTOMER, "不想要了")
    owner = principal("usr_owner", "merchant")
    cancelled = cancellation.answer(handed_over.id, owner, approve=True, reason=None)
    dispatch_worker_handles(order_event(cancelled, "CANCELLED", "CONFIRMED"))
    assert [call["cancel_reason_id"] for call, _ in dada.calls(CANCEL)] == [4]  # 顾客取消订单
    assert dada.orders[handed_over.id].status == 5


def test_cancelling_an_order_on_its_way_is_refused_by_dada_and_alerted(handed_over, dada):
    from paotui.orders import service

    deliver(dada, dada.move(handed_over.id, 100))  # the rider is at the shop: still cancellable here
    dada.move(handed_over.id, 3)  # …and leaves before our cancellation reaches Dada (its callback is late)
    cancelled = service.system_transition(
        handed_over.id, Status.CANCELLED, expected={Status.PICKING_UP}, reason="顾客不要了"
    )
    dispatch_worker_handles(order_event(cancelled, "CANCELLED", "PICKING_UP"))
    after = order_of(handed_over.id)
    assert after.carrier.exception.code == "CARRIER_CANCEL_REFUSED" and after.carrier.cancelled_at is None


# --- following Dada's callbacks ---------------------------------------------------------------------------------------


def test_callbacks_take_the_order_to_delivered_with_dadas_rider(handed_over, dada):
    for code, ours in ((2, "ASSIGNED"), (100, "PICKING_UP"), (3, "DELIVERING"), (4, "DELIVERED")):
        assert deliver(dada, dada.move(handed_over.id, code)) == (200, {"status": "ok"})
        after = order_of(handed_over.id)
        assert (after.status, after.carrier.status) == (ours, code)
    assert (after.carrier.rider.name, after.carrier.rider.phone) == ("达达骑士 赵师傅", "+8613700000001")
    assert after.carrier.order_no == dada.orders[handed_over.id].client_id
    assert (float(after.carrier.position.lat), float(after.carrier.position.lng)) == dada.orders[
        handed_over.id
    ].position
    assert timeline(after)[-4:] == [
        ("ASSIGNED", "carrier:dada"),
        ("PICKING_UP", "carrier:dada"),
        ("DELIVERING", "carrier:dada"),
        ("DELIVERED", "carrier:dada"),
    ]
    assert after.rider_id is None


def test_a_skipped_status_still_leaves_the_whole_timeline(handed_over, dada):
    deliver(dada, dada.move(handed_over.id, 3))  # 待取货 and 骑士到店 never called back
    after = order_of(handed_over.id)
    assert [status for status, _ in timeline(after)][-4:] == ["CONFIRMED", "ASSIGNED", "PICKING_UP", "DELIVERING"]


def test_late_and_repeated_callbacks_never_move_the_order_back(handed_over, dada):
    taken, on_the_way = dada.move(handed_over.id, 2), dada.move(handed_over.id, 3)
    assert deliver(dada, on_the_way)[0] == 200  # 配送中 arrives before 待取货
    done = dada.move(handed_over.id, 4)
    assert deliver(dada, done)[0] == 200
    delivered = order_of(handed_over.id)
    for late in (taken, on_the_way, done, taken):
        assert deliver(dada, late) == (200, {"status": "ok"}), "acknowledged, so that Dada stops sending it"
    after = order_of(handed_over.id)
    assert (after.status, after.version, len(after.timeline)) == ("DELIVERED", delivered.version, 7)


def test_dadas_slow_answer_to_an_earlier_check_never_overwrites_a_later_one(handed_over, dada, monkeypatch):
    """Two callbacks are checked with Dada at nearly the same time: the first check's answer (待取货) is slow, and
    the second callback (配送中) is checked and recorded meanwhile. The first answer, recorded last, is older news:
    the order must keep showing 配送中."""
    from paotui.carriers.dada import DadaCarrier

    taken = dada.move(handed_over.id, 2)
    track = DadaCarrier.track

    def slow_track(carrier, order_id: str):
        answered = track(carrier, order_id)
        monkeypatch.setattr(DadaCarrier, "track", track)
        assert deliver(dada, dada.move(handed_over.id, 3)) == (200, {"status": "ok"})
        return answered

    monkeypatch.setattr(DadaCarrier, "track", slow_track)
    assert deliver(dada, taken) == (200, {"status": "ok"})

    after = order_of(handed_over.id)
    assert (after.status, after.carrier.status) == ("DELIVERING", 3)


def test_a_forged_callback_is_refused_and_changes_nothing(handed_over, dada):
    deliver(dada, dada.move(handed_over.id, 2))
    before = order_of(handed_over.id)
    status, body = deliver(dada, dada.forged_callback(handed_over.id, 4))
    assert (status, body["error"]["code"]) == (401, "INVALID_SIGNATURE")
    after = order_of(handed_over.id)
    assert (after.status, after.version, after.carrier.seen_at) == ("ASSIGNED", before.version, before.carrier.seen_at)


def test_a_genuine_callback_with_a_changed_status_is_checked_with_dada(handed_over, dada):
    """Dada doesn't sign the status: a real callback with 4 written in moves the order only as far as Dada says."""
    genuine = dada.move(handed_over.id, 2)
    lied = Notify(genuine.url, genuine.headers, json.dumps({**json.loads(genuine.body), "order_status": 4}).encode())
    assert deliver(dada, lied)[0] == 200
    assert order_of(handed_over.id).status == "ASSIGNED"


def test_a_callback_anyone_can_sign_never_gives_the_order_another_dada_number(handed_over, dada):
    """Dada's callback signature holds no secret, so a stranger can sign one with a 运单号 of their own. The order
    takes Dada's number only from a callback whose status Dada's own answer bears out, and keeps the first."""

    def signed_by_a_stranger(status: int) -> Notify:
        genuine = dada.callback(dada.orders[handed_over.id])
        body = {**json.loads(genuine.body), "client_id": "DD-STRANGER", "order_status": status, "update_time": 1}
        body["signature"] = callback_signature("DD-STRANGER", handed_over.id, "1")
        return dataclasses.replace(genuine, body=json.dumps(body).encode())

    assert deliver(dada, signed_by_a_stranger(2))[0] == 200  # Dada says 1 (待接单): its number is not taken
    assert order_of(handed_over.id).carrier.order_no is None
    deliver(dada, dada.move(handed_over.id, 2))
    assert deliver(dada, signed_by_a_stranger(2))[0] == 200  # the status Dada says, but a number is there already
    after = order_of(handed_over.id)
    assert (after.status, after.carrier.order_no) == ("ASSIGNED", dada.orders[handed_over.id].client_id)


def test_a_callback_for_an_order_dada_was_never_given_is_404(merchant, dada, route):
    order = confirmed_order(merchant)  # not handed over: the callback's signature is easy to make, though
    body = {"client_id": "1", "order_id": order.id, "order_status": 4, "update_time": 1700000000}
    body["signature"] = callback_signature("1", order.id, "1700000000")
    notify = Notify(f"{route.base_url}/carriers/dada/callback", {"Content-Type": "application/json"}, b"")
    status, answered = deliver(dada, dataclasses.replace(notify, body=json.dumps(body).encode()))
    assert (status, answered["error"]["code"]) == (404, "CARRIER_ORDER_NOT_FOUND")
    assert order_of(order.id).status == "CONFIRMED"


def test_a_callback_whose_text_is_no_utf8_is_422_not_a_crash_and_changes_nothing(handed_over, dada):
    """A lone surrogate can't be hashed for the signature nor stored; the callback route is open to anyone."""
    genuine = dada.move(handed_over.id, 2)
    before = order_of(handed_over.id)
    for changes in ({"client_id": "\ud800"}, {"cancel_reason": "\ud800"}, {"dm_name": "李\x00"}):
        body = json.dumps({**json.loads(genuine.body), **changes}).encode()
        status, refused = deliver(dada, dataclasses.replace(genuine, body=body))
        assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR"), changes
    assert order_of(handed_over.id).version == before.version


def test_goods_that_cannot_be_handed_over_come_back_through_returning_to_returned(handed_over, dada):
    deliver(dada, dada.move(handed_over.id, 3))
    deliver(dada, dada.move(handed_over.id, 9))
    assert order_of(handed_over.id).status == "RETURNING"
    deliver(dada, dada.move(handed_over.id, 10))
    after = order_of(handed_over.id)
    assert [status for status, _ in timeline(after)][-3:] == ["DELIVERY_FAILED", "RETURNING", "RETURNED"]


def test_dada_giving_up_is_recorded_on_the_order_and_alerted_once(handed_over, dada):
    gave_up = dada.move(handed_over.id, 1000)
    assert deliver(dada, gave_up)[0] == 200
    after = order_of(handed_over.id)
    assert after.status == "CONFIRMED"
    assert after.carrier.exception.code == "CARRIER_GAVE_UP" and "1000" in after.carrier.exception.message
    assert deliver(dada, gave_up)[0] == 200  # Dada calls again
    assert order_of(handed_over.id).carrier.exception.at == after.carrier.exception.at


def test_dada_cancelling_an_order_on_its_way_is_an_exception_not_a_cancellation(handed_over, dada):
    deliver(dada, dada.move(handed_over.id, 3))
    deliver(dada, dada.move(handed_over.id, 5))
    after = order_of(handed_over.id)
    assert after.status == "DELIVERING" and after.carrier.exception.code == "CARRIER_STATUS_UNFOLLOWABLE"


def test_dada_cancelling_before_pickup_cancels_our_order_with_its_reason(handed_over, dada):
    deliver(dada, dada.move(handed_over.id, 2))
    deliver(dada, dada.move(handed_over.id, 5))
    after = order_of(handed_over.id)
    assert (after.status, after.cancel_reason, timeline(after)[-1][1]) == ("CANCELLED", "客服取消", "carrier:dada")
    assert after.carrier.cancelled_at, "so the CANCELLED event does not cancel it at Dada again"


# --- the customer's view ----------------------------------------------------------------------------------------------


def test_the_customer_sees_dadas_rider_and_where_they_are_while_delivering(handed_over, dada, monkeypatch):
    from paotui.platform.settings import get_settings

    orders_api = load_handler("OrdersApi")

    def view() -> dict[str, Any]:
        caller = {"user_id": CUSTOMER.user_id, "roles": "customer"}
        status, body = answer(
            orders_api(api_event("GET", f"/orders/{handed_over.id}", authorizer=caller), LAMBDA_CONTEXT)
        )
        assert status == 200, body
        return body

    deliver(dada, dada.move(handed_over.id, 2))
    assert view()["rider_position"] is None, "shown only once the rider is on the way"
    deliver(dada, dada.move(handed_over.id, 3))
    shown = view()
    assert shown["carrier"] == {
        **shown["carrier"],
        "name": "dada",
        "status": 3,
        "status_label": "配送中",
        "rider": {"name": "达达骑士 赵师傅", "phone": "+8613700000001"},
    }
    assert (shown["rider_position"]["lat"], shown["rider_position"]["lng"]) == dada.orders[handed_over.id].position

    dada.orders[handed_over.id].position = (31.2320, 121.4750)  # the rider rode on; Dada calls back on statuses only
    assert view()["rider_position"]["lat"] != 31.2320, "fresh enough: not asked again"
    monkeypatch.setenv("CARRIER_POSITION_MAX_AGE_SECONDS", "0")
    get_settings.cache_clear()
    moved = view()["rider_position"]
    assert (moved["lat"], moved["lng"]) == (31.2320, 121.4750)


def test_why_dada_refused_the_order_is_shown_to_its_merchant_not_to_the_customer(merchant, dada):
    """Dada's refusal says what is wrong with the merchant's Dada account (余额不足): the merchant's to act on."""
    orders_api = load_handler("OrdersApi")
    order = confirmed_order(merchant)
    dada.balance = 0
    dispatch_worker_handles(order_event(order, "CONFIRMED", "PAID"))

    def view(user_id: str, roles: str) -> dict[str, Any]:
        caller = {"user_id": user_id, "roles": roles}
        status, body = answer(orders_api(api_event("GET", f"/orders/{order.id}", authorizer=caller), LAMBDA_CONTEXT))
        assert status == 200, body
        return body["carrier"]

    assert view("usr_owner", "merchant")["exception"]["code"] == "CARRIER_REFUSED"
    assert view("usr_admin", "admin")["exception"]["code"] == "CARRIER_REFUSED"
    shown = view(CUSTOMER.user_id, "customer")
    assert shown["exception"] is None and shown["name"] == "dada"


def test_a_dada_rider_who_gave_the_order_back_is_no_longer_shown_on_it(handed_over, dada):
    """Dada's rider reached the shop, then gave the order back (待接单 again): our order stays where it got to, but
    the customer must not be shown that rider, their phone or where they were, as if still coming."""
    orders_api = load_handler("OrdersApi")
    caller = {"user_id": CUSTOMER.user_id, "roles": "customer"}
    deliver(dada, dada.move(handed_over.id, 100))
    assert deliver(dada, dada.move(handed_over.id, 1)) == (200, {"status": "ok"})

    status, shown = answer(orders_api(api_event("GET", f"/orders/{handed_over.id}", authorizer=caller), LAMBDA_CONTEXT))
    assert status == 200, shown
    assert (shown["status"], shown["carrier"]["status"]) == ("PICKING_UP", 1)
    assert shown["carrier"]["rider"] is None and shown["rider_position"] is None


def _redispatch(order_id: str) -> dict[str, Any]:
    """The watchdog's dispatch.requested after the offer TTL (carrier orders get it too)."""
    import uuid

    return {
        "id": str(uuid.uuid4()),
        "type": "dispatch.requested",
        "occurred_at": "2026-11-25T00:00:00.000Z",
        "subject": order_id,
        "data": {"order_id": order_id, "reason": "offer_expired"},
    }
