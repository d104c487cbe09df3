"""Rider push against moto: devices with SNS platform endpoints, the inbox, and the SMS fallback for offers.

RidersApi and NotifyWorker run through their handlers; SNS is moto's, with
FCM and APNs platform applications made as an operator makes them (the APNs
sandbox one is left unset). Pushes go out as in the local cloud
(``sns+outbox``): to the devices' endpoints and into the outbox.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from paotui.platform.events import DomainEvent
from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    answer,
    api_event,
    failing_once_for,
    lapse,
    load_handler,
    make_order,
    make_rider,
    near,
    offer_created,
    order_event,
    sqs_event,
)

FCM_TOKEN = "fcm-token-rider-a:APA91bHun4MxP5egoKMwt2KZFBaFUH"
APNS_TOKEN = "ab" * 32
RIDER, OTHER = "rdr_a", "rdr_b"


@pytest.fixture
def sns(aws, monkeypatch):
    """moto's SNS with an FCM and an APNs platform application in the settings; pushes go to SNS and the outbox."""
    from paotui.platform.settings import get_settings

    client = boto3.client("sns")
    for setting, platform in (("FCM_PLATFORM_APPLICATION_ARN", "GCM"), ("APNS_PLATFORM_APPLICATION_ARN", "APNS")):
        application = client.create_platform_application(
            Name=f"riders-{platform.lower()}", Platform=platform, Attributes={"PlatformCredential": "test"}
        )
        monkeypatch.setenv(setting, application["PlatformApplicationArn"])
    monkeypatch.setenv("PUSH_SENDER", "sns+outbox")
    get_settings.cache_clear()
    yield client
    get_settings.cache_clear()


@pytest.fixture
def api(sns):
    handler = load_handler("RidersApi")

    def call(method: str, path: str, *, user: str = RIDER, body: Any = None, query: dict | None = None):
        event = api_event(method, path, body=body, query=query, authorizer={"user_id": user, "roles": "rider"})
        return answer(handler(event, LAMBDA_CONTEXT))

    return call


@pytest.fixture
def worker(sns):
    return load_handler("NotifyWorker")


def endpoints() -> dict[str, Any]:
    """moto's SNS platform endpoints by ARN (each keeps the messages published to it)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints


def endpoint_of(device_id: str) -> str:
    from paotui.notify.records import DeviceRecord

    return DeviceRecord.get(device_id, consistent_read=True).endpoint


def delivered(endpoint: str) -> list[dict[str, Any]]:
    return [json.loads(message) for message in endpoints()[endpoint].messages.values()]


def outbox(to: str) -> list[dict[str, Any]]:
    from paotui.notify.outbox import read

    return read(to)


def register(api, token: str = FCM_TOKEN, platform: str = "fcm", user: str = RIDER) -> tuple[int, Any]:
    return api("POST", "/riders/me/devices", user=user, body={"platform": platform, "token": token})


def send(to: str, title: str = "新订单", **kwargs: Any) -> None:
    from paotui.notify.push import get_push_sender

    get_push_sender().send(to, title, f"{title}的内容", **kwargs)


# --- devices ---------------------------------------------------------------------------------------


def test_a_device_registers_once_and_again_refreshes_it(api):
    status, first = register(api)
    assert status == 201
    assert set(first) == {"id", "platform", "created_at", "last_seen_at"}
    assert first["platform"] == "fcm" and first["id"].startswith("dev_")
    endpoint = endpoints()[endpoint_of(first["id"])]
    assert (endpoint.token, endpoint.enabled) == (FCM_TOKEN, True)

    time.sleep(0.002)
    status, again = register(api)
    assert status == 200
    assert (again["id"], again["created_at"]) == (first["id"], first["created_at"])
    assert again["last_seen_at"] > first["last_seen_at"]
    assert api("GET", "/riders/me/devices") == (200, [again])
    assert len(endpoints()) == 1


def test_registering_again_enables_an_endpoint_sns_disabled(api, sns):
    _, device = register(api)
    arn = endpoint_of(device["id"])
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})

    assert register(api)[0] == 200
    assert endpoint_of(device["id"]) == arn
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]["Enabled"] == "true"


def test_a_device_whose_endpoint_was_deleted_gets_a_new_one(api, sns):
    _, device = register(api)
    sns.delete_endpoint(EndpointArn=endpoint_of(device["id"]))

    assert register(api)[0] == 200
    assert endpoints()[endpoint_of(device["id"])].token == FCM_TOKEN


def test_a_token_registered_by_another_account_moves_to_it(api):
    _, device = register(api, user=RIDER)
    arn = endpoint_of(device["id"])

    status, taken = register(api, user=OTHER)

    assert status == 201 and taken["id"] == device["id"]
    assert api("GET", "/riders/me/devices", user=RIDER) == (200, [])
    assert api("GET", "/riders/me/devices", user=OTHER) == (200, [taken])
    assert endpoint_of(device["id"]) == arn, "the same endpoint, now the other account's"
    send(RIDER, "给旧账号")
    send(OTHER, "给新账号")
    assert [json.loads(m["GCM"])["notification"]["title"] for m in delivered(arn)] == ["给新账号"]


def test_past_the_limit_the_least_recently_seen_device_is_dropped(api, monkeypatch):
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("MAX_DEVICES_PER_USER", "2")
    get_settings.cache_clear()
    ids = []
    for n in range(3):
        ids.append(register(api, token=f"{FCM_TOKEN}-{n}")[1]["id"])
        if n == 0:
            dropped_endpoint = endpoint_of(ids[0])
        time.sleep(0.002)

    status, listed = api("GET", "/riders/me/devices")

    assert status == 200
    assert [device["id"] for device in listed] == [ids[2], ids[1]]
    assert dropped_endpoint not in endpoints()


def test_deleting_a_device_deletes_its_endpoint_and_only_the_owner_may(api):
    _, device = register(api)
    arn = endpoint_of(device["id"])

    status, refused = api("DELETE", f"/riders/me/devices/{device['id']}", user=OTHER)
    assert (status, refused["error"]["code"]) == (404, "DEVICE_NOT_FOUND")
    assert arn in endpoints()

    assert api("DELETE", f"/riders/me/devices/{device['id']}") == (204, None)
    assert arn not in endpoints()
    assert api("GET", "/riders/me/devices") == (200, [])
    status, again = api("DELETE", f"/riders/me/devices/{device['id']}")
    assert (status, again["error"]["code"]) == (404, "DEVICE_NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"platform": "apns_sandbox", "token": APNS_TOKEN}, "PUSH_PLATFORM_NOT_CONFIGURED"),
        ({"platform": "apns", "token": "not-a-hex-token"}, "PUSH_TOKEN_INVALID"),
        ({"platform": "fcm", "token": "too-short"}, "PUSH_TOKEN_INVALID"),
        ({"platform": "fcm", "token": "has a space in it, twenty chars"}, "VALIDATION_ERROR"),
        ({"platform": "getui", "token": FCM_TOKEN}, "VALIDATION_ERROR"),
        ({"platform": "fcm"}, "VALIDATION_ERROR"),
        ({"platform": "fcm", "token": FCM_TOKEN, "user_id": OTHER}, "VALIDATION_ERROR"),
    ],
)
def test_a_device_that_cant_be_registered_is_refused_and_nothing_is_kept(api, body, code):
    from paotui.notify.records import DeviceRecord

    status, refused = api("POST", "/riders/me/devices", body=body)

    assert (status, refused["error"]["code"]) == (422, code)
    assert list(DeviceRecord.scan()) == []
    assert endpoints() == {}


def test_a_caller_without_the_rider_role_may_not_register(sns):
    handler = load_handler("RidersApi")
    event = api_event(
        "POST",
        "/riders/me/devices",
        body={"platform": "fcm", "token": FCM_TOKEN},
        authorizer={"user_id": "usr_customer", "roles": "customer"},
    )
    assert answer(handler(event, LAMBDA_CONTEXT))[0] == 403


# --- sending -----------------------------------------------------------------------------------------


def test_a_push_goes_to_every_device_into_the_inbox_and_the_outbox(api):
    _, android = register(api)
    _, iphone = register(api, token=APNS_TOKEN, platform="apns")

    send(RIDER, "新订单", data={"offer_id": "ofr_1", "fee": 650})

    (to_android,) = delivered(endpoint_of(android["id"]))
    assert json.loads(to_android["GCM"])["data"] == {"offer_id": "ofr_1", "fee": "650"}
    (to_iphone,) = delivered(endpoint_of(iphone["id"]))
    assert json.loads(to_iphone["APNS"])["aps"]["alert"] == {"title": "新订单", "body": "新订单的内容"}
    status, page = api("GET", "/riders/me/inbox")
    assert status == 200 and page["next_cursor"] is None
    (item,) = page["items"]
    assert (item["title"], item["data"], item["read"]) == ("新订单", {"offer_id": "ofr_1", "fee": 650}, False)
    assert [m["title"] for m in outbox(RIDER)] == ["新订单"]


def test_a_push_to_one_endpoint_reaches_only_that_device(api):
    _, android = register(api)
    _, iphone = register(api, token=APNS_TOKEN, platform="apns")

    send(RIDER, endpoint_arn=endpoint_of(iphone["id"]))

    assert delivered(endpoint_of(android["id"])) == []
    assert len(delivered(endpoint_of(iphone["id"]))) == 1


def test_a_disabled_endpoint_is_cleaned_up_when_a_push_finds_it(api, sns):
    _, gone = register(api)
    _, kept = register(api, token=APNS_TOKEN, platform="apns")
    gone_arn = endpoint_of(gone["id"])
    sns.set_endpoint_attributes(EndpointArn=gone_arn, Attributes={"Enabled": "false"})  # the app was uninstalled

    send(RIDER)

    assert [device["id"] for device in api("GET", "/riders/me/devices")[1]] == [kept["id"]]
    assert gone_arn not in endpoints()
    assert len(delivered(endpoint_of(kept["id"]))) == 1
    assert len(api("GET", "/riders/me/inbox")[1]["items"]) == 1


def test_a_user_without_devices_still_gets_the_push_in_the_inbox(api):
    send(RIDER, "您已被设为下线", data={"type": "presence"})  # e.g. the presence job's notice
    (item,) = api("GET", "/riders/me/inbox")[1]["items"]
    assert item["title"] == "您已被设为下线"


def test_a_push_with_a_message_id_goes_out_once_and_again_only_if_it_failed(api, monkeypatch):
    """A notification is retried whole when any of its recipients failed: one already pushed isn't pushed again,
    one whose push failed gets it on the retry."""
    from paotui.notify import devices

    _, device = register(api)
    send(RIDER, message_id="offer:ofr_1")
    send(RIDER, message_id="offer:ofr_1")  # a retry: neither kept nor pushed again
    monkeypatch.setattr(devices, "push", failing_once_for(RIDER, devices.push))
    with pytest.raises(RuntimeError):
        send(RIDER, message_id="offer:ofr_2")  # in the inbox, but not on the device
    send(RIDER, message_id="offer:ofr_2")

    assert len(api("GET", "/riders/me/inbox")[1]["items"]) == 2
    assert len(delivered(endpoint_of(device["id"]))) == 2


# --- the inbox ----------------------------------------------------------------------------------------


def test_the_inbox_pages_newest_first_and_is_marked_read_up_to_a_message(api, monkeypatch):
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("INBOX_PAGE_SIZE", "2")
    get_settings.cache_clear()
    for n in range(5):
        send(RIDER, f"消息 {n}")
        time.sleep(0.002)

    titles, cursor, pages = [], None, 0
    while True:
        status, page = api("GET", "/riders/me/inbox", query={"cursor": cursor} if cursor else None)
        assert status == 200
        titles += [item["title"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert titles == [f"消息 {n}" for n in (4, 3, 2, 1, 0)] and pages == 3

    first_page = api("GET", "/riders/me/inbox")[1]["items"]
    up_to = first_page[1]["sent_at"]  # 消息 3
    assert api("POST", "/riders/me/inbox/read", body={"up_to": up_to}) == (200, {"read_up_to": up_to})
    assert [item["read"] for item in api("GET", "/riders/me/inbox")[1]["items"]] == [False, True]
    older = {"up_to": "2020-01-01T00:00:00Z"}
    assert api("POST", "/riders/me/inbox/read", body=older) == (200, {"read_up_to": up_to}), "never moves back"
    assert api("GET", "/riders/me/inbox", user=OTHER) == (200, {"items": [], "next_cursor": None})


def test_inbox_refusals(api):
    status, refused = api("GET", "/riders/me/inbox", query={"cursor": "bm90IGEgY3Vyc29y"})
    assert (status, refused["error"]["code"]) == (422, "INVALID_CURSOR")
    status, refused = api("POST", "/riders/me/inbox/read", body={"up_to": "yesterday"})
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR")
    status, refused = api("POST", "/riders/me/inbox/read", body={"up_to": "2026-01-01T00:00:00"})  # no zone
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR")


def test_an_inbox_cursor_that_is_not_ascii_is_refused_not_a_server_error(api):
    """A query string decodes to any text (``?cursor=%E8%B7%91``); base64 only takes ASCII."""
    status, refused = api("GET", "/riders/me/inbox", query={"cursor": "跑腿"})
    assert (status, refused["error"]["code"]) == (422, "INVALID_CURSOR")


def test_a_read_mark_in_the_future_stops_at_now(api):
    from paotui.platform import clock

    before = clock.now_iso()
    _, mark = api("POST", "/riders/me/inbox/read", body={"up_to": "2999-01-01T00:00:00Z"})
    assert before <= mark["read_up_to"] <= clock.now_iso()
    send(RIDER)
    assert api("GET", "/riders/me/inbox")[1]["items"][0]["read"] is False


def test_a_read_mark_before_the_calendar_begins_in_utc_marks_nothing_read_instead_of_a_500(api):
    send(RIDER)
    status, mark = api("POST", "/riders/me/inbox/read", body={"up_to": "0001-01-01T00:30:00+01:00"})  # year 0 in UTC
    assert (status, mark) == (200, {"read_up_to": "0001-01-01T00:00:00.000Z"})
    assert api("GET", "/riders/me/inbox")[1]["items"][0]["read"] is False


# --- offers: pushed, in the inbox, and texted once when unanswered ------------------------------------------


def offer_for(rider_id: str = RIDER):
    from paotui.dispatch.service import dispatch

    make_rider(rider_id, near(SHOP, 100))
    make_order()
    return dispatch(ORDER_ID, reason="confirmed")


def reminder(offer) -> str:
    from paotui.notify.offer_reminders import reminder_event

    return reminder_event({"id": offer.id, "rider_id": offer.rider_id}).model_dump_json()


def texts_about(offer) -> list[dict[str, Any]]:
    from paotui.riders.service import find_rider

    phone = find_rider(offer.rider_id).phone
    return [m for m in outbox(phone) if m["data"].get("offer_id") == offer.id]


def queued(queue_url: str, wait: int = 0) -> list[dict[str, Any]]:
    return (
        boto3.client("sqs")
        .receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        .get("Messages", [])
    )


def test_an_offer_is_pushed_into_the_inbox_once_and_its_reminder_waits_on_the_queue(api, worker, monkeypatch):
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("OFFER_SMS_FALLBACK_SECONDS", "5")  # long enough to see it delayed on a busy machine
    get_settings.cache_clear()
    queue_url = get_settings().notify_queue_url
    _, device = register(api)
    offer = offer_for()

    # the same offer.created twice, as if the consumer's idempotency record was lost in between
    assert worker(sqs_event(offer_created(offer, "evt-1")), LAMBDA_CONTEXT)["batchItemFailures"] == []
    counts = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessagesDelayed"], counts["ApproximateNumberOfMessages"]) == ("1", "0")
    assert worker(sqs_event(offer_created(offer, "evt-2")), LAMBDA_CONTEXT)["batchItemFailures"] == []

    (item,) = api("GET", "/riders/me/inbox")[1]["items"]
    assert item["data"]["offer_id"] == offer.id and item["title"] == "新订单"
    assert len(delivered(endpoint_of(device["id"]))) == 1, "and on the device once"
    reminders, deadline = [], time.monotonic() + 15
    while len(reminders) < 2 and time.monotonic() < deadline:
        reminders += queued(queue_url, wait=1)
    assert len(reminders) == 2, "one per offer.created handled"
    assert {json.loads(m["Body"])["id"] for m in reminders} == {json.loads(reminder(offer))["id"]}, "one event id"

    batch = sqs_event(*(m["Body"] for m in reminders))
    assert worker(batch, LAMBDA_CONTEXT)["batchItemFailures"] == []
    (text,) = texts_about(offer)
    assert text["channel"] == "sms" and "老王生煎" in text["body"] and "¥6.50" in text["body"]
    assert text["data"] == {"type": "offer_reminder", "offer_id": offer.id, "order_id": ORDER_ID}


def test_the_fallback_is_texted_once_even_when_the_reminder_comes_twice(worker):
    from paotui.notify.service import handle

    offer = offer_for()
    event = DomainEvent.model_validate_json(reminder(offer))

    handle(event)
    handle(event)  # a redelivery the consumer's idempotency did not catch
    worker(sqs_event(reminder(offer), reminder(offer)), LAMBDA_CONTEXT)

    assert len(texts_about(offer)) == 1


@pytest.mark.parametrize("answer_with", ["ACCEPTED", "REJECTED", "WITHDRAWN", "expired"])
def test_an_offer_answered_before_its_reminder_is_not_texted(worker, answer_with):
    from paotui.dispatch.records import OfferRecord

    offer = offer_for()
    if answer_with == "expired":
        lapse(offer)
    else:
        offer.update(actions=[OfferRecord.status.set(answer_with)])

    assert worker(sqs_event(reminder(offer)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert texts_about(offer) == []


def test_a_failed_text_can_be_sent_by_the_retry(worker, monkeypatch):
    from paotui.notify import offer_reminders
    from paotui.notify.service import handle

    offer = offer_for()
    event = DomainEvent.model_validate_json(reminder(offer))

    class Down:
        def send(self, *args, **kwargs):
            raise ConnectionError("SMS provider unreachable")

    monkeypatch.setattr(offer_reminders, "get_sms_sender", Down)
    with pytest.raises(ConnectionError):
        handle(event)
    monkeypatch.undo()
    handle(event)

    assert len(texts_about(offer)) == 1


def test_no_reminder_is_scheduled_when_it_would_come_after_the_offer_expired(worker, monkeypatch):
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("OFFER_SMS_FALLBACK_SECONDS", "600")  # past the offer's 30 s
    get_settings.cache_clear()
    offer = offer_for()
    assert worker(sqs_event(offer_created(offer)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=get_settings().notify_queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesDelayed"] == "0"
    assert len(outbox(RIDER)) == 1, "the push itself still goes out"


def test_order_progress_pushed_to_a_customer_lands_in_their_inbox(worker):
    from paotui.notify.inbox import page

    order = make_order(status="PAID")
    worker(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)

    (item,) = page("usr_customer").items
    assert item.title == "支付成功" and item.data["order_id"] == order.id
    assert page(HOME["contact_phone"]).items == [], "texts are not pushes"


def test_a_rider_record_written_with_a_push_endpoint_is_still_readable(aws):
    from paotui.platform.settings import get_settings
    from paotui.riders.service import find_rider

    make_rider(RIDER, near(SHOP, 100))
    boto3.client("dynamodb").update_item(
        TableName=get_settings().riders_table,
        Key={"id": {"S": RIDER}},
        UpdateExpression="SET push_endpoint_arn = :arn",
        ExpressionAttributeValues={":arn": {"S": "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/old/1"}},
    )
    assert find_rider(RIDER).id == RIDER
