"""NotifyWorker against moto: offers pushed to riders and order progress to customers, via the outbox."""

from __future__ import annotations

import json

import pytest

from paotui.platform import clock
from paotui.platform.events import DomainEvent
from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    lapse,
    load_handler,
    make_order,
    make_rider,
    near,
    order_event,
    sqs_event,
)


@pytest.fixture
def worker(aws):
    return load_handler("NotifyWorker")


def offer_created(offer, event_id: str = "evt-offer-1") -> str:
    from paotui.platform.stream_router import plain

    image = plain(offer.to_simple_dict())
    return DomainEvent(
        id=event_id,
        type="offer.created",
        occurred_at=clock.now_iso(),
        subject=offer.id,
        data={"offer": image, "status": image["status"]},
    ).model_dump_json()


def outbox(to: str):
    from paotui.notify.outbox import read

    return read(to)


def test_a_new_offer_is_pushed_to_its_rider_once(worker):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_order()
    offer = dispatch(ORDER_ID, reason="confirmed")
    event = offer_created(offer)

    response = worker(sqs_event(event, event), LAMBDA_CONTEXT)

    assert response["batchItemFailures"] == []
    messages = outbox("rdr_a")
    assert len(messages) == 1
    push = messages[0]
    assert (push["to"], push["channel"], push["title"]) == ("rdr_a", "push", "新订单")
    assert "老王生煎" in push["body"] and "¥6.50" in push["body"]
    assert push["data"] == {
        "type": "offer",
        "offer_id": offer.id,
        "order_id": ORDER_ID,
        "expires_at": offer.expires_at,
        "fee": 650,
    }
    assert push["sent_at"].endswith("Z")


def test_an_offer_that_expired_in_the_queue_is_not_pushed(worker):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_order()
    offer = dispatch(ORDER_ID, reason="confirmed")
    lapse(offer)
    assert worker(sqs_event(offer_created(offer)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert outbox("rdr_a") == []


def test_the_customer_hears_progress_by_push_and_the_end_by_sms(worker):
    make_rider("rdr_a", near(SHOP, 100), name="李师傅")
    order = make_order(status="ASSIGNED", rider_id="rdr_a")
    batch = sqs_event(
        order_event(order, "PAID", "PENDING_PAYMENT"),
        order_event(order, "ASSIGNED", "CONFIRMED"),
        order_event(order, "DELIVERED", "DELIVERING"),
        order_event(order, "DELIVERY_FAILED", "DELIVERING"),
    )

    assert worker(batch, LAMBDA_CONTEXT)["batchItemFailures"] == []

    pushes = outbox("usr_customer")
    assert [(m["channel"], m["title"]) for m in reversed(pushes)] == [("push", "支付成功"), ("push", "骑手已接单")]
    assert "李师傅" in pushes[0]["body"]
    assert pushes[0]["data"] == {"type": "order_status", "order_id": order.id, "status": "ASSIGNED"}
    texts = outbox(HOME["contact_phone"])
    assert len(texts) == 1
    assert texts[0]["channel"] == "sms" and "已送达" in texts[0]["body"]


def test_a_cancellation_is_texted_with_its_reason(worker):
    from paotui.orders.records import OrderRecord

    order = make_order(status="CANCELLED")
    order.update(actions=[OrderRecord.cancel_reason.set("merchant_confirm_timeout")])
    worker(sqs_event(order_event(order, "CANCELLED", "PAID")), LAMBDA_CONTEXT)
    (text,) = outbox(HOME["contact_phone"])
    assert text["body"].endswith("已取消：商家未及时接单。")


def test_sns_push_goes_to_the_riders_endpoint_and_skips_riders_without_one(aws):
    import boto3

    from paotui.notify.push import SnsPushSender

    sns = boto3.client("sns")
    app = sns.create_platform_application(Name="paotui-rider", Platform="GCM", Attributes={"PlatformCredential": "k"})
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app["PlatformApplicationArn"], Token="device-1")
    sender = SnsPushSender()
    sender.send("rdr_a", "新订单", "取货：老王生煎", data={"offer_id": "ofr_1"}, endpoint_arn=endpoint["EndpointArn"])
    sender.send("rdr_b", "新订单", "取货：老王生煎", data={"offer_id": "ofr_2"}, endpoint_arn=None)  # skipped, no error

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    delivered = list(
        sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints[endpoint["EndpointArn"]].messages.values()
    )
    assert len(delivered) == 1
    payload = json.loads(delivered[0])
    assert json.loads(payload["GCM"])["data"] == {"offer_id": "ofr_1"}
    sns.set_endpoint_attributes(EndpointArn=endpoint["EndpointArn"], Attributes={"Enabled": "false"})
    sender.send("rdr_a", "新订单", "取货：老王生煎", endpoint_arn=endpoint["EndpointArn"])  # disabled: logged, no error
