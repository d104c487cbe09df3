"""NotifyWorker against moto: offers pushed to riders and order progress to customers, via the outbox."""

from __future__ import annotations

import pytest

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
    offer_created,
    order_event,
    sqs_event,
)


@pytest.fixture
def worker(aws):
    return load_handler("NotifyWorker")


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
