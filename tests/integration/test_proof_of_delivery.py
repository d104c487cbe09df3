"""The rider's status flow against moto (orders.proof): geofences at the store and the door, items checked, the
customer's 收货码 and its lock, photo proof through S3, DELIVERY_FAILED, and who sees the code."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
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
    order_request,
    principal,
)

RIDER = principal("usr_rider_pod", "rider")
OTHER_RIDER = principal("usr_rider_other", "rider")
OWNER = principal("usr_owner", "merchant")  # merchant_with_products' owner
ADMIN = principal("usr_admin", "admin")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
AT_STORE, AT_DOOR = near(SHOP, 40), near(HOME, -30, 20)
FAR = near(SHOP, 1200)


def far_from_store() -> int:
    from paotui.orders.proof import distance_m

    return distance_m((SHOP["lat"], SHOP["lng"]), (FAR["lat"], FAR["lng"]))


class OrdersHttp:
    """OrdersApi's handler, called as API Gateway calls it once the authorizer let ``who`` in."""

    def __init__(self) -> None:
        self.handler = load_handler("OrdersApi")

    def call(self, method: str, path: str, who, body=None, query=None) -> tuple[int, dict]:
        authorizer = {"user_id": who.user_id, "roles": ",".join(sorted(who.roles))}
        event = api_event(method, path, body=body, query=query, authorizer=authorizer)
        return answer(self.handler(event, LAMBDA_CONTEXT))

    def move(self, order_id: str, to: str, who=RIDER, **report) -> tuple[int, dict]:
        return self.call("POST", f"/orders/{order_id}/transitions", who, body={"to": to, **report})

    def view(self, order_id: str, who=CUSTOMER) -> dict:
        status, order = self.call("GET", f"/orders/{order_id}", who)
        assert status == 200, order
        return order


@pytest.fixture
def api(aws) -> OrdersHttp:
    make_rider(RIDER.user_id, FAR)  # online, and last seen far from both the store and the door
    make_rider(OTHER_RIDER.user_id, AT_STORE)
    return OrdersHttp()


@pytest.fixture
def photos(aws) -> str:
    from paotui.platform.settings import get_settings

    bucket = get_settings().proof_photos_bucket
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket


def assigned(proof_of_delivery: str | None = None, **fields):
    """A paid, confirmed order of a fresh merchant, assigned to RIDER (as accepting an offer leaves it)."""
    from paotui.catalog.records import MerchantRecord
    from paotui.orders import service
    from paotui.platform.dynamo import transact_write
    from paotui.riders.service import stage_take_order

    merchant, (product,) = merchant_with_products(10)
    if proof_of_delivery:
        merchant.update(actions=[MerchantRecord.proof_of_delivery.set(proof_of_delivery)])
    order, _ = service.place_order(CUSTOMER.user_id, uuid.uuid4().hex, order_request(merchant, (product, 1)))
    if fields:
        order.update(actions=[getattr(type(order), name).set(value) for name, value in fields.items()])
    for status, before in ((Status.PAID, Status.PENDING_PAYMENT), (Status.CONFIRMED, Status.PAID)):
        service.system_transition(order.id, status, expected={before}, reason="test")
    order = service.get_order(order.id)
    with transact_write() as transaction:
        service.stage_assignment(transaction, order, RIDER.user_id, at=clock.now())
        stage_take_order(transaction, RIDER.user_id)
    return service.get_order(order.id)


def delivering(api: OrdersHttp, **merchant) -> dict:
    order = assigned(**merchant)
    assert api.move(order.id, "PICKING_UP", position=AT_STORE)[0] == 200
    status, moved = api.move(order.id, "DELIVERING", items_checked=True)
    assert status == 200, moved
    return moved


def unchanged(api: OrdersHttp, before: dict) -> bool:
    after = api.view(before["id"], ADMIN)
    return (after["status"], after["version"], len(after["timeline"])) == (
        before["status"],
        before["version"],
        len(before["timeline"]),
    )


def error(result: tuple[int, dict]) -> tuple[int, str]:
    status, body = result
    return status, body["error"]["code"]


def rider_last_seen(point: dict, ago: timedelta) -> None:
    from paotui.platform.dynamo import LatLngMap
    from paotui.riders.records import RiderRecord

    RiderRecord(RIDER.user_id).update(
        actions=[
            RiderRecord.location.set(LatLngMap(lat=point["lat"], lng=point["lng"])),
            RiderRecord.location_at.set(clock.iso(clock.now() - ago)),
        ]
    )


# --- arriving at the store ----------------------------------------------------------------------------------------


def test_arriving_far_from_the_store_is_409_and_changes_nothing(api):
    order = assigned()
    before = api.view(order.id, ADMIN)

    status, refused = api.move(order.id, "PICKING_UP", position=FAR)
    assert (status, refused["error"]["code"]) == (409, "OUTSIDE_GEOFENCE")
    assert refused["error"]["details"] == {"step": "arrival", "distance_m": far_from_store(), "radius_m": 300}
    status, refused = api.move(order.id, "PICKING_UP")  # the rider's last location: fresh, and as far
    assert (status, refused["error"]["details"]["distance_m"]) == (409, far_from_store())
    rider_last_seen(AT_STORE, timedelta(minutes=10))  # at the store, but too long ago to count
    status, refused = api.move(order.id, "PICKING_UP")
    assert (status, refused["error"]["details"]["distance_m"]) == (409, None), "no usable position is outside"
    assert unchanged(api, before)
    assert api.view(order.id, ADMIN)["geofence_overrides"] == []


def test_the_riders_fresh_location_stands_in_for_a_position(api):
    order = assigned()
    rider_last_seen(AT_STORE, timedelta(seconds=30))
    status, moved = api.move(order.id, "PICKING_UP")
    assert (status, moved["status"], moved["geofence_overrides"]) == (200, "PICKING_UP", [])


def test_a_reason_overrides_the_geofence_and_is_recorded_logged_and_counted(api, capsys, caplog):
    order = assigned()
    status, moved = api.move(order.id, "PICKING_UP", position=FAR, reason="店在商场里面，定位漂移")
    assert (status, moved["status"]) == (200, "PICKING_UP"), moved
    assert moved["timeline"][-1] == {
        **moved["timeline"][-1],
        "reason": "店在商场里面，定位漂移",
        "by": "rider:" + RIDER.user_id,
    }
    (override,) = moved["geofence_overrides"]
    assert override == {
        **override,
        "step": "arrival",
        "distance_m": far_from_store(),
        "reason": "店在商场里面，定位漂移",
    }
    assert [r.levelname for r in caplog.records if r.getMessage() == "geofence overridden"] == ["WARNING"]
    assert '"GeofenceOverrides":[1.0]' in capsys.readouterr().out, "the metric, flushed as EMF"


# --- picked up ----------------------------------------------------------------------------------------------------


def test_picking_up_needs_the_items_checked(api):
    order = assigned()
    assert api.move(order.id, "PICKING_UP", position=AT_STORE)[0] == 200
    before = api.view(order.id, ADMIN)
    assert error(api.move(order.id, "DELIVERING")) == (422, "ITEMS_NOT_CHECKED")
    assert error(api.move(order.id, "DELIVERING", items_checked=False)) == (422, "ITEMS_NOT_CHECKED")
    status, refused = api.move(order.id, "DELIVERING", items_checked=["prd_not_on_the_order"])
    assert (status, refused["error"]["details"]["missing"]) == (422, [order.items[0].product_id])
    assert unchanged(api, before)
    status, moved = api.move(order.id, "DELIVERING", items_checked=[order.items[0].product_id])
    assert (status, moved["status"]) == (200, "DELIVERING")


def test_reports_that_do_not_go_with_the_move_are_refused(api):
    order = assigned()
    assert error(api.move(order.id, "PICKING_UP", position=AT_STORE, proof={"code": "1234"})) == (
        422,
        "VALIDATION_ERROR",
    )
    assert error(api.move(order.id, "PICKING_UP", position=AT_STORE, failure_reason="unreachable")) == (
        422,
        "VALIDATION_ERROR",
    )


# --- delivered: the 收货码 ------------------------------------------------------------------------------------------


def test_delivering_needs_the_door_and_the_customers_code(api):
    order = delivering(api)
    code = api.view(order["id"])["delivery_code"]
    wrong = f"{(int(code) + 1) % 10_000:04d}"

    status, refused = api.move(order["id"], "DELIVERED", position=FAR, proof={"code": code})
    assert (status, refused["error"]["code"], refused["error"]["details"]["step"]) == (
        409,
        "OUTSIDE_GEOFENCE",
        "dropoff",
    )
    assert error(api.move(order["id"], "DELIVERED", position=AT_DOOR)) == (422, "PROOF_REQUIRED")
    assert error(api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"code": "12345"})) == (
        422,
        "VALIDATION_ERROR",
    )
    status, refused = api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"code": wrong})
    assert (status, refused["error"]["code"], refused["error"]["details"]) == (
        422,
        "WRONG_DELIVERY_CODE",
        {"attempts_left": 4},
    )
    assert unchanged(api, {**order, "version": order["version"]})

    status, delivered = api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"code": code})
    assert (status, delivered["status"]) == (200, "DELIVERED"), delivered
    assert delivered["proof"] == {**delivered["proof"], "kind": "code", "photo_key": None, "photo_url": None}
    assert delivered["delivery_code"] is None, "the rider's view never shows the code"


def test_the_code_locks_after_the_limit_even_when_guesses_race(api, photos, serialized_moto, fine_thread_switching):
    from paotui.orders import service
    from paotui.orders.models import TransitionRequest
    from paotui.platform.errors import DomainError

    order = delivering(api)
    code = api.view(order["id"])["delivery_code"]
    wrongs = [f"{(int(code) + n) % 10_000:04d}" for n in range(1, 9)]

    def guess(wrong: str) -> tuple[int, str, dict]:
        report = TransitionRequest(to=Status.DELIVERED, position=AT_DOOR, proof={"code": wrong})
        try:
            service.transition(order["id"], Status.DELIVERED, RIDER, report=report)
        except DomainError as refused:
            return refused.status, refused.code, refused.details
        return 200, "DELIVERED", {}

    serialized_moto.gather("UpdateItem", len(wrongs))  # every guess has read the order before any is counted
    with ThreadPoolExecutor(len(wrongs)) as pool:
        answers = list(pool.map(guess, wrongs))
    assert sorted(a[:2] for a in answers) == [(409, "DELIVERY_CODE_LOCKED")] * 3 + [(422, "WRONG_DELIVERY_CODE")] * 5
    assert sorted(a[2]["attempts_left"] for a in answers if a[0] == 422) == [0, 1, 2, 3, 4]
    assert int(service.get_order(order["id"]).delivery_code_attempts) == 5

    assert error(api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"code": code})) == (
        409,
        "DELIVERY_CODE_LOCKED",
    )
    delivered = deliver_with_photo(api, order["id"], photos)
    assert (delivered["status"], delivered["proof"]["kind"]) == ("DELIVERED", "photo")


def test_a_right_code_loses_to_a_lock_that_lands_first(api, serialized_moto):
    """The right code was read while one attempt was left; the last wrong guess lands before its write."""
    from paotui.orders.records import OrderRecord
    from paotui.platform.settings import get_settings

    order = delivering(api)
    code = api.view(order["id"])["delivery_code"]
    record = OrderRecord(order["id"])
    limit = get_settings().delivery_code_max_attempts
    record.update(actions=[OrderRecord.delivery_code_attempts.set(limit - 1)])
    serialized_moto.gather(
        "TransactWriteItems",
        1,
        on_arrival=lambda: record.update(actions=[OrderRecord.delivery_code_attempts.add(1)]),
    )
    assert error(api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"code": code})) == (
        409,
        "DELIVERY_CODE_LOCKED",
    )
    assert api.view(order["id"])["status"] == "DELIVERING"


def test_an_admin_delivers_without_checks_and_is_never_locked(api):
    order = delivering(api)
    status, delivered = api.move(order["id"], "DELIVERED", who=ADMIN)
    assert (status, delivered["status"], delivered["proof"]) == (200, "DELIVERED", None)
    assert delivered["timeline"][-1]["by"] == f"admin:{ADMIN.user_id}"
    assert delivered["delivery_code"] is not None, "admins see the code"


# --- delivered: a photo -------------------------------------------------------------------------------------------


def photo_grant(api: OrdersHttp, order_id: str, who=RIDER, content_type: str = "image/png") -> tuple[int, dict]:
    return api.call("POST", f"/orders/{order_id}/proof-photos", who, body={"content_type": content_type})


def deliver_with_photo(api: OrdersHttp, order_id: str, bucket: str, content: bytes = PNG) -> dict:
    status, grant = photo_grant(api, order_id)
    assert status == 201, grant
    boto3.client("s3").put_object(Bucket=bucket, Key=grant["photo_key"], Body=content)
    status, delivered = api.move(order_id, "DELIVERED", position=AT_DOOR, proof={"photo_key": grant["photo_key"]})
    assert status == 200, delivered
    return delivered


def test_a_photo_proves_the_delivery_for_a_merchant_that_asks_for_one(api, photos):
    order = delivering(api, proof_of_delivery="photo")
    code = api.view(order["id"])["delivery_code"]
    status, refused = api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"code": code})
    assert (status, refused["error"]["code"], refused["error"]["details"]) == (
        422,
        "PROOF_REQUIRED",
        {"accepts": ["photo"]},
    )

    status, grant = photo_grant(api, order["id"])
    assert status == 201, grant
    assert grant["photo_key"].startswith(f"proofs/{order['id']}/") and grant["fields"]["key"] == grant["photo_key"]
    policy = json.loads(base64.b64decode(grant["fields"]["policy"]))
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", 1, grant["max_bytes"]] in policy["conditions"]
    boto3.client("s3").put_object(Bucket=photos, Key=grant["photo_key"], Body=PNG)

    status, delivered = api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"photo_key": grant["photo_key"]})
    assert (status, delivered["proof"]["kind"], delivered["proof"]["photo_key"]) == (200, "photo", grant["photo_key"])
    assert delivered["proof"]["photo_url"] is None, "the rider gets no link"
    for viewer in (CUSTOMER, OWNER, ADMIN):
        url = api.view(order["id"], viewer)["proof"]["photo_url"]
        assert grant["photo_key"] in url and "Signature" in url, viewer


def test_bad_photos_are_422_and_change_nothing(api, photos, monkeypatch):
    from paotui.platform.settings import get_settings

    order = delivering(api, proof_of_delivery="code_or_photo")
    other = delivering(api)
    s3 = boto3.client("s3")

    def refusal(key: str) -> tuple[int, str, str]:
        status, body = api.move(order["id"], "DELIVERED", position=AT_DOOR, proof={"photo_key": key})
        return status, body["error"]["code"], body["error"]["details"]["problem"]

    not_an_image = photo_grant(api, order["id"])[1]["photo_key"]
    s3.put_object(Bucket=photos, Key=not_an_image, Body=b"<html>hello</html>")
    assert refusal(not_an_image) == (422, "INVALID_PROOF_PHOTO", "not_an_image")
    assert refusal(photo_grant(api, order["id"])[1]["photo_key"]) == (422, "INVALID_PROOF_PHOTO", "missing")
    others = photo_grant(api, other["id"])[1]["photo_key"]
    s3.put_object(Bucket=photos, Key=others, Body=PNG)
    assert refusal(others) == (422, "INVALID_PROOF_PHOTO", "not_this_orders")
    too_big = photo_grant(api, order["id"])[1]["photo_key"]
    s3.put_object(Bucket=photos, Key=too_big, Body=PNG + b"\x00" * 100)
    monkeypatch.setenv("PROOF_PHOTO_MAX_BYTES", "64")
    get_settings.cache_clear()
    assert refusal(too_big) == (422, "INVALID_PROOF_PHOTO", "too_large")
    assert api.view(order["id"])["status"] == "DELIVERING"


def test_only_the_orders_rider_gets_an_upload_and_only_while_delivering(api, photos):
    order = assigned()
    assert error(photo_grant(api, order.id)) == (409, "ORDER_NOT_DELIVERING")
    assert error(photo_grant(api, order.id, who=OTHER_RIDER)) == (404, "ORDER_NOT_FOUND")
    assert photo_grant(api, order.id, who=CUSTOMER)[0] == 403
    assert error(photo_grant(api, order.id, content_type="image/gif")) == (422, "VALIDATION_ERROR")


def test_an_order_whose_customer_never_sees_a_code_is_proven_by_photo(api, photos):
    """A platform's customer (Ele.me) never gets our 收货码: the code rule asks for a photo instead."""
    order = assigned(channel="eleme")
    assert api.move(order.id, "PICKING_UP", position=AT_STORE)[0] == 200
    assert api.move(order.id, "DELIVERING", items_checked=True)[0] == 200
    status, refused = api.move(order.id, "DELIVERED", position=AT_DOOR, proof={"code": order.delivery_code})
    assert (status, refused["error"]["details"]) == (422, {"accepts": ["photo"]})
    assert deliver_with_photo(api, order.id, photos)["status"] == "DELIVERED"


# --- who sees the code --------------------------------------------------------------------------------------------


def test_the_code_is_shown_to_the_customer_and_admins_only(api):
    order = assigned()
    assert len(order.delivery_code) == 4 and order.delivery_code.isdigit()
    assert api.view(order.id, CUSTOMER)["delivery_code"] == order.delivery_code
    assert api.view(order.id, ADMIN)["delivery_code"] == order.delivery_code
    assert api.view(order.id, RIDER)["delivery_code"] is None
    assert api.view(order.id, OWNER)["delivery_code"] is None
    for who, role in ((RIDER, "rider"), (OWNER, "merchant"), (CUSTOMER, "customer")):
        status, page = api.call("GET", "/orders", who, query={"role": role})
        assert status == 200, page
        (listed,) = page["items"]
        assert listed["delivery_code"] == (order.delivery_code if who is CUSTOMER else None), role
    status, moved = api.move(order.id, "PICKING_UP", position=AT_STORE)
    assert (status, moved["delivery_code"]) == (200, None)


# --- delivery failed ----------------------------------------------------------------------------------------------


def test_a_failed_delivery_says_why_and_the_event_carries_it(api):
    order = delivering(api)
    assert error(api.move(order["id"], "DELIVERY_FAILED")) == (422, "FAILURE_REASON_REQUIRED")
    assert error(api.move(order["id"], "DELIVERY_FAILED", failure_reason="gone_fishing")) == (422, "VALIDATION_ERROR")
    assert unchanged(api, order)

    status, failed = api.move(
        order["id"], "DELIVERY_FAILED", failure_reason="unreachable", reason="电话打不通", position=AT_DOOR
    )
    assert (status, failed["status"]) == (200, "DELIVERY_FAILED"), failed
    assert failed["delivery_failure"] == {
        **failed["delivery_failure"],
        "reason": "unreachable",
        "note": "电话打不通",
        "by": "rider",
        "position": AT_DOOR,
    }
    assert failed["timeline"][-1]["reason"] == "unreachable: 电话打不通"
    event = stream_event(order["id"], "DELIVERY_FAILED")
    assert event.type == "order.status_changed"
    assert event.data["order"]["delivery_failure"]["reason"] == "unreachable"


@pytest.mark.parametrize("reason", ["buyer_refused", "wrong_address"])
def test_every_failure_reason_is_taken(api, reason):
    order = delivering(api)
    status, failed = api.move(order["id"], "DELIVERY_FAILED", failure_reason=reason)
    assert (status, failed["delivery_failure"]["reason"], failed["timeline"][-1]["reason"]) == (200, reason, reason)


def stream_event(order_id: str, status: str):
    """The domain event EventRouter makes of the Orders stream's record of ``order_id`` reaching ``status``."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    from paotui.orders.records import OrderRecord
    from paotui.platform.stream_router import to_event

    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=OrderRecord.Meta.table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    for record in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]:
        change = {key: value for key, value in record["dynamodb"].items() if key != "ApproximateCreationDateTime"}
        event = to_event(DynamoDBRecord({**record, "dynamodb": change, "eventSourceARN": arn}))
        if event and event.subject == order_id and event.data.get("status") == status:
            return event
    raise AssertionError(f"no stream record of {order_id} becoming {status}")


# --- carriers, merchants and notifications ------------------------------------------------------------------------


def test_a_carriers_moves_need_no_position_or_proof(api):
    from paotui.orders import service

    order = assigned()
    for status, before in (
        (Status.PICKING_UP, Status.ASSIGNED),
        (Status.DELIVERING, Status.PICKING_UP),
        (Status.DELIVERED, Status.DELIVERING),
    ):
        moved = service.system_transition(
            order.id, status, expected={before}, reason="dada", by="carrier:dada", actor=Actor.CARRIER
        )
        assert moved is not None and moved.status == status.value
    assert moved.proof is None and moved.geofence_overrides is None


def test_the_merchant_sets_its_proof_of_delivery_in_the_console(aws):
    merchant, _ = merchant_with_products(1)
    catalog = load_handler("CatalogApi")

    def patch(body: dict) -> tuple[int, dict]:
        authorizer = {"user_id": OWNER.user_id, "roles": "merchant"}
        return answer(
            catalog(api_event("PATCH", f"/merchants/{merchant.id}", body=body, authorizer=authorizer), LAMBDA_CONTEXT)
        )

    assert (
        answer(catalog(api_event("GET", f"/merchants/{merchant.id}"), LAMBDA_CONTEXT))[1]["proof_of_delivery"] == "code"
    )
    status, view = patch({"proof_of_delivery": "code_or_photo"})
    assert (status, view["proof_of_delivery"]) == (200, "code_or_photo")
    assert patch({"proof_of_delivery": "signature"})[0] == 422


def test_the_customer_is_told_the_code_when_the_order_is_on_its_way(api):
    from paotui.notify.outbox import read
    from paotui.notify.service import notify_order

    for order in (assigned(), assigned(channel="phone")):  # the app's customer, and a phone order's
        notify_order({**order.to_simple_dict(), "status": "DELIVERING"}, "DELIVERING", event_id=f"evt-{order.id}")
        texts = [m for m in read(HOME["contact_phone"]) if m["data"]["order_id"] == order.id]
        assert [f"收货码 {order.delivery_code}" in m["body"] for m in texts] == [True]


@pytest.mark.parametrize(
    "sample",
    [
        "rider-arrives-at-store.json",
        "rider-delivers-buy-errand.json",
        "rider-delivery-failed.json",
        "rider-proof-photo.json",
    ],
)
def test_the_sample_events_are_what_the_api_takes(api, sample):
    """Bodies the API accepts: the sample order doesn't exist, so past validation the answer is 404."""
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / "OrdersApi" / sample).read_text())
    assert error(answer(api.handler(event, LAMBDA_CONTEXT))) == (404, "ORDER_NOT_FOUND")
