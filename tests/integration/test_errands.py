"""Errands against moto: intake through OrdersApi's handler, the goods settlement, and every consumer of an
order taking a merchant-less one in its stride."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from paotui.orders.transitions import Status
from tests.integration.builders import (
    CUSTOMER,
    HOME,
    LAMBDA_CONTEXT,
    SHOP,
    answer,
    api_event,
    load_handler,
    make_rider,
    merchant_with_products,
    near,
    sqs_event,
    watchdog_event,
)

RIDER_ID = "rdr_001"
SENDER = {"detail": "南京东路 100 号 3 楼前台", "contact_name": "王先生", "contact_phone": "+8613800000401"}
PICKUP = {**near(SHOP, 200), **SENDER}  # dispatch looks for riders around here


def point(place: dict) -> dict:
    return {"lat": place["lat"], "lng": place["lng"]}


QUOTE = {"type": "send", "pickup": point(PICKUP), "dropoff": point(HOME)}


def errand(type_: str = "send", **overrides) -> dict:
    """A request body for POST /errands, delivered HOME."""
    body = {"type": type_, "item": "一份合同", "pickup": PICKUP, "dropoff": HOME}
    if type_ == "buy":
        shop = {**point(PICKUP), "detail": "南京东路 1 号", "name": "全家便利店"}
        body.update(item="两瓶农夫山泉 550ml", pickup=shop)
        body["goods_estimate"] = 500
    return {**body, **overrides}


class OrdersApi:
    """OrdersApi's handler, called as API Gateway calls it once the authorizer let the caller in."""

    def __init__(self) -> None:
        self.handler = load_handler("OrdersApi")

    def response(
        self, method: str, path: str, *, body=None, user=CUSTOMER.user_id, roles="customer", key=None, query=None
    ):
        headers = {"Idempotency-Key": key} if key else None
        authorizer = {"user_id": user, "roles": roles}
        return self.handler(
            api_event(method, path, body=body, query=query, authorizer=authorizer, headers=headers), LAMBDA_CONTEXT
        )

    def call(self, method: str, path: str, **kwargs) -> tuple[int, dict]:
        return answer(self.response(method, path, **kwargs))

    def place(self, body: dict, key: str | None = None) -> dict:
        status, order = self.call("POST", "/errands", body=body, key=key or uuid.uuid4().hex)
        assert status == 201, order
        return order

    def move(self, order_id: str, to: str, **fields) -> tuple[int, dict]:
        """The rider moves the order."""
        body = {"to": to, **fields}
        return self.call("POST", f"/orders/{order_id}/transitions", body=body, user=RIDER_ID, roles="rider")


@pytest.fixture
def api(aws) -> OrdersApi:
    return OrdersApi()


def stored_count() -> int:
    from paotui.orders.records import OrderRecord

    return OrderRecord.count()


# --- intake -----------------------------------------------------------------------------------------


def test_a_quote_names_the_fee_and_its_parts(api):
    status, quote = api.call("POST", "/errands/quotes", body=QUOTE)
    assert status == 200, quote
    assert set(quote) == {"delivery_fee", "total", "distance_m", "eta", "eta_minutes", "breakdown"}
    assert quote["total"] == quote["delivery_fee"] == sum(line["amount"] for line in quote["breakdown"])
    assert 500 < quote["distance_m"] < 3000 and quote["breakdown"][0]["code"] == "base"
    assert stored_count() == 0


def test_the_same_key_places_one_errand_and_a_reused_key_is_refused(api):
    key = "errand-key-0001"
    first = api.response("POST", "/errands", body=errand(), key=key)
    again = api.response("POST", "/errands", body=errand(), key=key)
    assert (first["statusCode"], again["statusCode"]) == (201, 201)
    replayed = [response["multiValueHeaders"]["Idempotent-Replayed"] for response in (first, again)]
    assert replayed == [["false"], ["true"]]
    assert json.loads(first["body"])["id"] == json.loads(again["body"])["id"]

    status, refused = api.call("POST", "/errands", body=errand(item="另一份合同"), key=key)
    assert (status, refused["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    status, refused = api.call("POST", "/errands", body=errand())
    assert (status, refused["error"]["code"]) == (400, "IDEMPOTENCY_KEY_REQUIRED")
    assert stored_count() == 1


def test_a_key_used_for_a_food_order_is_not_an_errands(api):
    merchant, (dumplings,) = merchant_with_products(10)
    food = {"merchant_id": merchant.id, "items": [{"product_id": dumplings.id, "quantity": 1}], "address": HOME}
    assert api.call("POST", "/orders", body=food, key="shared-key-0001")[0] == 201
    status, refused = api.call("POST", "/errands", body=errand(), key="shared-key-0001")
    assert (status, refused["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert stored_count() == 1


def test_an_errand_is_an_order_without_a_merchant(api):
    order = api.place(errand("buy", weight_g=1200, note="要冰的"))
    assert (order["status"], order["kind"], order["merchant_id"], order["items"]) == (
        "PENDING_PAYMENT",
        "errand",
        None,
        [],
    )
    fee = order["amounts"]["delivery_fee"]
    assert fee > 0 and order["amounts"] == {
        **order["amounts"],  # and the fee's breakdown
        "items_total": 0,
        "delivery_fee": fee,
        "total": fee,
        "collect_on_delivery": 0,  # nothing to collect at the door (a buy errand's goods are settled apart)
    }
    assert order["address"] == HOME and order["note"] == "要冰的"
    assert order["pickup"] == {"lat": PICKUP["lat"], "lng": PICKUP["lng"], "name": "帮买 · 全家便利店"}
    assert order["errand"] == {
        "type": "buy",
        "item": "两瓶农夫山泉 550ml",
        "weight_g": 1200,
        "pickup_address": {"detail": "南京东路 1 号", "contact_name": None, "contact_phone": None},
        "pickup_at": None,
        "goods_estimate": 500,
        "goods_amount": None,
    }
    assert [entry["status"] for entry in order["timeline"]] == ["PENDING_PAYMENT"]

    assert len(order["delivery_code"]) == 4, "the customer sees the 收货码"
    assert api.call("GET", f"/orders/{order['id']}")[1] == order
    assert [o["id"] for o in api.call("GET", "/orders", query={"role": "customer"})[1]["items"]] == [order["id"]]
    item = _raw_item(order["id"])
    assert "merchant_id" not in item and item["kind"] == {"S": "errand"}


def test_orders_from_before_errands_read_as_food(api):
    from paotui.orders.records import OrderRecord

    merchant, (dumplings,) = merchant_with_products(10)
    food = {"merchant_id": merchant.id, "items": [{"product_id": dumplings.id, "quantity": 1}], "address": HOME}
    order_id = api.call("POST", "/orders", body=food, key="old-order-0001")[1]["id"]
    boto3.client("dynamodb").update_item(
        TableName=OrderRecord.Meta.table_name, Key={"id": {"S": order_id}}, UpdateExpression="REMOVE kind"
    )
    order = api.call("GET", f"/orders/{order_id}")[1]
    assert (order["kind"], order["merchant_id"], order["errand"]) == ("food", merchant.id, None)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (errand(pickup={**PICKUP, **near(HOME, 20)}), "POINTS_TOO_CLOSE"),
        (errand(pickup={**PICKUP, **near(HOME, 25_000)}), "OUT_OF_RANGE"),
        (errand(pickup_at="2020-01-01T00:00:00Z"), "SCHEDULE_IN_PAST"),
        (errand(pickup_at="9999-12-31T23:59:00Z"), "SCHEDULE_TOO_FAR"),  # not a 500 from the date's overflow
        (errand(pickup={**PICKUP, "lat": 60.0}), "VALIDATION_ERROR"),  # north of China
        (errand(dropoff={**HOME, "lng": 70.0}), "VALIDATION_ERROR"),  # west of China
        (errand("buy", goods_estimate=None), "VALIDATION_ERROR"),
        (errand("buy", goods_estimate=200_001), "VALIDATION_ERROR"),
        (errand("fetch", goods_estimate=800), "VALIDATION_ERROR"),
        (errand("fetch", pickup={key: PICKUP[key] for key in ("lat", "lng", "detail")}), "VALIDATION_ERROR"),
        (errand(item=""), "VALIDATION_ERROR"),
        (errand(item="文" * 201), "VALIDATION_ERROR"),
        (errand(weight_g=50_001), "VALIDATION_ERROR"),
        (errand(merchant_id="mer_1"), "VALIDATION_ERROR"),
    ],
)
def test_a_refused_errand_writes_nothing(api, body, code):
    body = {name: value for name, value in body.items() if value is not None}
    status, refused = api.call("POST", "/errands", body=body, key=uuid.uuid4().hex)
    assert (status, refused["error"]["code"]) == (422, code), refused
    assert stored_count() == 0


@pytest.mark.parametrize(("sample", "status"), [("quote-errand.json", 200), ("create-errand.json", 201)])
def test_the_sample_events_are_what_the_api_takes(api, sample, status):
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / "OrdersApi" / sample).read_text())
    assert answer(api.handler(event, LAMBDA_CONTEXT))[0] == status


def test_only_customers_place_errands(api):
    status, refused = api.call("POST", "/errands", body=errand(), key=uuid.uuid4().hex, user=RIDER_ID, roles="rider")
    assert status == 403, refused
    assert api.call("POST", "/errands/quotes", body=QUOTE, user=RIDER_ID, roles="rider")[0] == 403
    assert stored_count() == 0


def test_a_merchants_order_list_leaves_errands_out(api):
    merchant, (dumplings,) = merchant_with_products(10)
    food = {"merchant_id": merchant.id, "items": [{"product_id": dumplings.id, "quantity": 1}], "address": HOME}
    food_id = api.call("POST", "/orders", body=food, key="food-key-0001")[1]["id"]
    errand_id = api.place(errand())["id"]

    status, page = api.call("GET", "/orders", query={"role": "merchant"}, user=merchant.owner_id, roles="merchant")
    assert status == 200 and [o["id"] for o in page["items"]] == [food_id]
    status, _ = api.call("GET", f"/orders/{errand_id}", user=merchant.owner_id, roles="merchant")
    assert status == 404


# --- through to delivery ----------------------------------------------------------------------------


class NoWatchdog:
    """accept_offer answers the watchdog's assignment step; there is none here."""

    def resolve_step(self, order_id: str, step: str) -> None: ...

    def fail_step(self, order_id: str, step: str, error: str, cause: str) -> None: ...


def confirmed(api: OrdersApi, body: dict) -> dict:
    """The errand placed, paid and confirmed (as payment will do it: docs/adr/0008)."""
    from paotui.orders.service import system_transition

    order = api.place(body)
    for status, before in ((Status.PAID, Status.PENDING_PAYMENT), (Status.CONFIRMED, Status.PAID)):
        system_transition(order["id"], status, expected={before}, reason="test")
    return order


def delivering(api: OrdersApi, body: dict) -> dict:
    """The errand confirmed, dispatched, accepted by RIDER_ID (reporting from near the pick-up) and on its way."""
    from paotui.dispatch.service import accept_offer, dispatch

    make_rider(RIDER_ID, near(PICKUP, 100))
    order = confirmed(api, body)
    accept_offer(dispatch(order["id"], reason="confirmed").id, RIDER_ID, workflow=NoWatchdog())
    assert api.move(order["id"], "PICKING_UP")[0] == 200
    assert api.move(order["id"], "DELIVERING", items_checked=True)[0] == 200
    return order


def at_the_door(api: OrdersApi, order: dict) -> dict:
    """What the rider reports delivering: at the address, with the 收货码 the customer sees."""
    code = api.call("GET", f"/orders/{order['id']}")[1]["delivery_code"]
    return {"position": point(HOME), "proof": {"code": code}}


def test_dispatch_offers_an_errand_to_the_rider_nearest_its_pickup(api):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_home", near(HOME, 50))
    make_rider("rdr_pickup", near(PICKUP, 300))
    order = confirmed(api, errand())
    offer = dispatch(order["id"], reason="confirmed")
    assert offer.rider_id == "rdr_pickup"
    assert (offer.pickup.name, int(offer.fee)) == ("帮送 · 南京东路 100 号 3 楼前台", order["amounts"]["delivery_fee"])
    assert offer.dropoff.detail == HOME["detail"]


def test_a_buy_errand_is_delivered_with_what_the_goods_cost(api):
    order = delivering(api, errand("buy"))

    door = at_the_door(api, order)
    status, refused = api.move(order["id"], "DELIVERED", **door)
    assert (status, refused["error"]["code"]) == (422, "GOODS_AMOUNT_REQUIRED")
    status, refused = api.move(order["id"], "DELIVERED", goods_amount=200_001, **door)
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert api.call("GET", f"/orders/{order['id']}")[1]["status"] == "DELIVERING"

    status, delivered = api.move(order["id"], "DELIVERED", goods_amount=650, **door)
    assert status == 200, delivered
    assert (delivered["status"], delivered["errand"]["goods_amount"], delivered["errand"]["goods_estimate"]) == (
        "DELIVERED",
        650,
        500,
    )
    assert delivered["amounts"]["total"] == order["amounts"]["total"], "goods are settled in person, not charged"
    assert delivered["timeline"][-1]["by"] == f"rider:{RIDER_ID}"


def test_goods_amount_goes_only_with_a_buy_errands_delivery(api):
    order = delivering(api, errand("fetch"))
    door = at_the_door(api, order)
    status, refused = api.move(order["id"], "DELIVERED", goods_amount=650, **door)
    assert (status, refused["error"]["code"]) == (422, "GOODS_AMOUNT_UNEXPECTED")
    status, delivered = api.move(order["id"], "DELIVERED", **door)
    assert (status, delivered["status"], delivered["errand"]["goods_amount"]) == (200, "DELIVERED", None)


# --- the stream and the workers ---------------------------------------------------------------------


def stream_record(order_id: str, status: str, previous: str) -> dict:
    """The Orders stream's record of the order moving from ``previous`` to ``status`` (its stored image)."""
    from paotui.orders.records import OrderRecord
    from paotui.platform.settings import get_settings

    image = _raw_item(order_id)
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"id": {"S": order_id}},
            "NewImage": {**image, "status": {"S": status}},
            "OldImage": {**image, "status": {"S": previous}},
            "StreamViewType": OrderRecord.Meta.stream_view_type,
        },
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{get_settings().orders_table}/stream/x",
    }


def routed(order_id: str, status: str, previous: str) -> str:
    """The SQS body the EventRouter's SNS message becomes for that change (raw delivery)."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    from paotui.platform.stream_router import to_event

    return to_event(DynamoDBRecord(stream_record(order_id, status, previous))).model_dump_json()


def test_the_event_router_publishes_an_errands_changes(api, monkeypatch):
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("DOMAIN_EVENTS_TOPIC_ARN", boto3.client("sns").create_topic(Name="domain-events")["TopicArn"])
    get_settings.cache_clear()
    order = api.place(errand())
    batch = {"Records": [stream_record(order["id"], "PAID", "PENDING_PAYMENT")]}
    assert load_handler("EventRouter")(batch, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    event = json.loads(routed(order["id"], "PAID", "PENDING_PAYMENT"))
    assert (event["type"], event["data"]["order"]["kind"]) == ("order.status_changed", "errand")
    assert "merchant_id" not in event["data"]["order"]


def test_stock_worker_has_nothing_to_settle_for_an_errand(api):
    order = api.place(errand())
    batch = sqs_event(routed(order["id"], "PAID", "PENDING_PAYMENT"), routed(order["id"], "CANCELLED", "PAID"))
    assert load_handler("StockWorker")(batch, LAMBDA_CONTEXT) == {"batchItemFailures": []}


def test_notify_worker_tells_the_errands_customer_and_recipient(api):
    from paotui.notify.outbox import read

    order = api.place(errand())
    batch = sqs_event(routed(order["id"], "PAID", "PENDING_PAYMENT"), routed(order["id"], "DELIVERED", "DELIVERING"))
    assert load_handler("NotifyWorker")(batch, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    delivered, paid = read(HOME["contact_phone"])  # newest first; no merchant to tell
    assert (paid["channel"], paid["data"]["kind"]) == ("sms", "PAID") and "跑腿订单" in paid["body"]
    assert delivered["channel"] == "sms" and "已送达" in delivered["body"]


def test_the_watchdog_cancels_an_errand_nobody_confirmed(api):
    from paotui.orders.service import get_order, system_transition

    order = api.place(errand())
    system_transition(order["id"], Status.PAID, expected={Status.PENDING_PAYMENT}, reason="test")
    timeout = watchdog_event("watchdog.timeout", order["id"], event_id="wd-errand-1", step="confirmation")
    handler = load_handler("WatchdogWorker")
    batch = sqs_event(routed(order["id"], "PAID", "PENDING_PAYMENT"), timeout)
    assert handler(batch, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert get_order(order["id"]).status == "CANCELLED"


def _raw_item(order_id: str) -> dict:
    """The order as DynamoDB stores it."""
    from paotui.orders.records import OrderRecord

    return boto3.client("dynamodb").get_item(TableName=OrderRecord.Meta.table_name, Key={"id": {"S": order_id}})["Item"]
