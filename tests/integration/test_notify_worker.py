"""NotifyWorker against moto: offers pushed to riders; order changes and alerts to customers (texted here: no
WeChat; see test_wechat_subscribe), merchants (console alerts) and riders, via the outbox."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from paotui.platform.events import DomainEvent
from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    AwsFaults,
    alert_event,
    crash_at_every_step,
    failing_once_for,
    lapse,
    load_handler,
    make_order,
    make_rider,
    merchant_with_products,
    near,
    offer_created,
    order_event,
    sqs_event,
)

OWNER = "usr_owner"


@pytest.fixture
def worker(aws):
    return load_handler("NotifyWorker")


def outbox(to: str):
    from paotui.notify.outbox import read

    return read(to)


def shop_order(**fields):
    """An order of a merchant that exists (owned by OWNER), so its console alerts have someone to go to."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    merchant, _ = merchant_with_products(5, owner_id=OWNER)
    order = make_order(**fields)
    paid = TimelineEntryMap(status="PAID", at=order.created_at, by="system")
    order.update(actions=[OrderRecord.merchant_id.set(merchant.id), OrderRecord.timeline.set([paid, *order.timeline])])
    return order


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
        "collect": 0,
    }
    assert push["sent_at"].endswith("Z")


def test_an_offer_of_an_order_paid_at_the_door_tells_the_rider_the_cash_to_take(worker):
    from paotui.dispatch.service import dispatch
    from paotui.orders.records import OrderRecord

    make_rider("rdr_a", near(SHOP, 100))
    make_order().update(actions=[OrderRecord.amounts.collect_on_delivery.set(1850)])
    offer = dispatch(ORDER_ID, reason="confirmed")

    assert worker(sqs_event(offer_created(offer)), LAMBDA_CONTEXT)["batchItemFailures"] == []

    [push] = outbox("rdr_a")
    assert "到门收现金 ¥18.50" in push["body"] and push["data"]["collect"] == 1850


def test_an_offer_that_expired_in_the_queue_is_not_pushed(worker):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_order()
    offer = dispatch(ORDER_ID, reason="confirmed")
    lapse(offer)
    assert worker(sqs_event(offer_created(offer)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert outbox("rdr_a") == []


def test_a_customer_without_wechat_is_texted_each_step_and_keeps_it_in_the_inbox(worker):
    from paotui.notify.inbox import page

    make_rider("rdr_a", near(SHOP, 100), name="李师傅")
    order = make_order(status="ASSIGNED", rider_id="rdr_a")
    batch = sqs_event(
        order_event(order, "PAID", "PENDING_PAYMENT"),
        order_event(order, "ASSIGNED", "CONFIRMED"),
        order_event(order, "DELIVERED", "DELIVERING"),
        order_event(order, "DELIVERY_FAILED", "DELIVERING"),  # told by its delivery_failed alert
    )

    assert worker(batch, LAMBDA_CONTEXT)["batchItemFailures"] == []

    texts = outbox(HOME["contact_phone"])
    assert [m["channel"] for m in texts] == ["sms"] * 3
    assert [m["data"]["kind"] for m in reversed(texts)] == ["PAID", "ASSIGNED", "DELIVERED"]
    assert all(m["body"].startswith("【跑腿】") for m in texts)
    assert "李师傅" in texts[1]["body"]
    assert texts[1]["data"] == {"type": "order_alert", "order_id": order.id, "kind": "ASSIGNED"}
    assert [item.title for item in page("usr_customer").items] == ["已送达", "骑手已接单", "支付成功"]
    assert outbox("usr_customer") == [], "customers get no device push"


def test_a_cancellation_is_texted_with_its_reason(worker):
    from paotui.orders.records import OrderRecord

    order = make_order(status="CANCELLED")
    order.update(actions=[OrderRecord.cancel_reason.set("merchant_confirm_timeout")])
    worker(sqs_event(order_event(order, "CANCELLED", "PAID")), LAMBDA_CONTEXT)
    (text,) = outbox(HOME["contact_phone"])
    assert text["body"].endswith("已取消：商家未及时接单。")


def test_the_merchant_hears_a_new_order_and_a_cancellation_it_did_not_make_in_its_console(worker):
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    order = shop_order(status="PAID")
    assert worker(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)["batchItemFailures"] == []
    (new_order,) = outbox(OWNER)
    assert (new_order["channel"], new_order["title"]) == ("push", "新订单")
    assert new_order["data"] == {
        "type": "order_alert",
        "order_id": order.id,
        "kind": "PAID",
        "merchant_id": order.merchant_id,
    }

    by_merchant = TimelineEntryMap(status="CANCELLED", at=order.created_at, by=f"merchant:{OWNER}", reason="备料不足")
    order.update(
        actions=[OrderRecord.timeline.set([*order.timeline, by_merchant]), OrderRecord.cancel_reason.set("备料不足")]
    )
    worker(sqs_event(order_event(order, "CANCELLED", "PAID")), LAMBDA_CONTEXT)
    assert len(outbox(OWNER)) == 1, "a merchant isn't told what it did itself"
    assert "商家取消了订单（备料不足）" in outbox(HOME["contact_phone"])[0]["body"]

    by_customer = TimelineEntryMap(status="CANCELLED", at=order.created_at, by="customer:usr_customer")
    order.update(actions=[OrderRecord.timeline.set([*order.timeline, by_customer])])
    worker(sqs_event(order_event(order, "CANCELLED", "PAID")), LAMBDA_CONTEXT)
    assert outbox(OWNER)[0]["body"].endswith("已取消（顾客取消），请停止备餐。")


def test_an_owner_ordering_from_their_own_shop_still_finds_the_new_order_in_its_console(worker):
    from paotui.catalog.records import MerchantRecord
    from paotui.notify.inbox import page
    from paotui.notify.merchant_alerts import alerts_page

    order = shop_order(status="PAID", customer_id=OWNER)  # the owner trying their shop out
    assert worker(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)["batchItemFailures"] == []

    (alert,) = alerts_page(MerchantRecord.get(order.merchant_id)).items
    assert (alert.title, alert.data["kind"]) == ("新订单", "PAID")
    assert sorted(item.title for item in page(OWNER).items) == ["支付成功", "新订单"], "and their own as a customer"


def test_an_owner_delivering_their_own_shops_order_hears_an_overdue_pickup_as_merchant_and_as_rider(worker):
    make_rider(OWNER, near(SHOP, 100))  # 老板自己送
    order = shop_order(status="ASSIGNED", rider_id=OWNER)
    event = alert_event(order, "pickup_overdue", {"minutes": 12, "reason": "rider_not_arrived"})
    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert sorted(push["title"] for push in outbox(OWNER)) == ["到店超时", "骑手到店超时"]


def test_a_rider_on_a_cancelled_order_is_told_to_stop(worker):
    make_rider("rdr_a", near(SHOP, 100))
    order = make_order(status="CANCELLED", rider_id="rdr_a")
    worker(sqs_event(order_event(order, "CANCELLED", "ASSIGNED")), LAMBDA_CONTEXT)
    (push,) = outbox("rdr_a")
    assert push["title"] == "订单已取消" and push["data"]["kind"] == "CANCELLED"


def test_an_overdue_pickup_alerts_the_merchant_and_the_rider_in_their_language(worker):
    from paotui.riders.records import RiderRecord

    make_rider("rdr_a", near(SHOP, 100))
    RiderRecord("rdr_a").update(actions=[RiderRecord.locale.set("en")])
    order = shop_order(status="ASSIGNED", rider_id="rdr_a")
    event = alert_event(order, "pickup_overdue", {"minutes": 12, "reason": "rider_not_arrived"})

    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []

    (to_rider,) = outbox("rdr_a")
    assert to_rider["title"] == "Pick-up overdue" and "12 min" in to_rider["body"]
    (to_merchant,) = outbox(OWNER)
    assert to_merchant["title"] == "骑手到店超时"
    assert to_merchant["data"]["kind"] == "pickup_overdue" and to_merchant["data"]["merchant_id"] == order.merchant_id
    assert outbox(HOME["contact_phone"]) == [], "the customer is not told"


def test_a_failed_delivery_is_texted_once_with_the_time_to_answer_by(worker):
    from paotui.notify.service import handle

    order = make_order(status="DELIVERY_FAILED")
    detail = {"reason": "unreachable", "contact_until": "2026-11-25T04:40:00.000Z", "attempt": 1}
    event = alert_event(order, "delivery_failed", detail)

    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []
    handle(DomainEvent.model_validate_json(event))  # a redelivery the consumer's idempotency did not catch

    (text,) = outbox(HOME["contact_phone"])
    assert "请在 12:40 前联系骑手" in text["body"] and text["data"]["kind"] == "delivery_failed"


def test_a_retried_event_sends_nothing_twice(worker):
    from paotui.notify.inbox import page
    from paotui.notify.service import handle

    order = shop_order(status="PAID")
    event = DomainEvent.model_validate_json(order_event(order, "PAID", "PENDING_PAYMENT"))
    handle(event)
    handle(event)

    assert len(outbox(HOME["contact_phone"])) == 1
    assert len(page("usr_customer").items) == 1 and len(page(OWNER).items) == 1
    assert len(outbox(OWNER)) == 1, "the merchant's devices were pushed once"


def test_an_alert_retried_for_the_rider_whose_push_failed_pushes_the_merchant_once(worker, monkeypatch):
    """SQS redelivers an event when any recipient failed; the recipients told already must not be told again."""
    from paotui.notify import outbox as outbox_module

    make_rider("rdr_a", near(SHOP, 100))
    order = shop_order(status="ASSIGNED", rider_id="rdr_a")
    monkeypatch.setattr(outbox_module, "write", failing_once_for("rdr_a", outbox_module.write))
    event = alert_event(order, "pickup_overdue", {"minutes": 12, "reason": "rider_not_arrived"})

    with pytest.raises(BatchProcessingError):  # the whole batch failed: Lambda retries it
        worker(sqs_event(event), LAMBDA_CONTEXT)
    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []

    assert len(outbox("rdr_a")) == 1, "the rider got it on the retry"
    assert len(outbox(OWNER)) == 1, "the merchant's devices were pushed once"


def test_alerts_nobody_hears_and_platform_orders_customers_send_nothing(worker):
    from paotui.orders.records import OrderRecord

    order = make_order(status="CONFIRMED")
    batch = sqs_event(
        alert_event(order, "operations", {"error": "States.Timeout"}),
        alert_event(order, "teleported", {}),
        alert_event(order, "escalated", {"level": 1, "step": "widen"}),  # a merchant that is gone: nobody
    )
    assert worker(batch, LAMBDA_CONTEXT)["batchItemFailures"] == []

    order.update(actions=[OrderRecord.channel.set("eleme")])
    order.refresh()
    worker(sqs_event(alert_event(order, "late", {"promised_at": "2026-11-25T04:30:00.000Z"})), LAMBDA_CONTEXT)
    assert outbox(HOME["contact_phone"]) == [] and outbox(OWNER) == []


def test_what_an_alert_tells_is_not_told_again_by_the_status_change(worker):
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    order = shop_order(status="CONFIRMED")
    at = order.created_at
    reassigned = [
        *order.timeline,
        TimelineEntryMap(status="ASSIGNED", at=at, by="rider:rdr_a"),
        TimelineEntryMap(status="CONFIRMED", at=at, by="watchdog", reason="rider_offline"),
    ]
    order.update(actions=[OrderRecord.timeline.set(reassigned)])
    worker(sqs_event(order_event(order, "CONFIRMED", "ASSIGNED")), LAMBDA_CONTEXT)
    assert outbox(HOME["contact_phone"]) == [], "the rider_reassigned alert tells the customer"

    timed_out = [*order.timeline, TimelineEntryMap(status="CANCELLED", at=at, by="watchdog")]
    order.update(
        actions=[OrderRecord.timeline.set(timed_out), OrderRecord.cancel_reason.set("merchant_confirm_timeout")]
    )
    batch = sqs_event(
        order_event(order, "CANCELLED", "PAID"), alert_event(order, "confirm_timeout", {"action": "cancelled"})
    )
    assert worker(batch, LAMBDA_CONTEXT)["batchItemFailures"] == []
    (to_merchant,) = outbox(OWNER)
    assert to_merchant["title"] == "超时未接单"
    (to_customer,) = outbox(HOME["contact_phone"])
    assert to_customer["body"].endswith("已取消：商家未及时接单。已支付的款项将原路退回。")


def _told(order_id: str, *, distinct: bool = False):
    """What each party was sent about the order: (to, channel, title) from the outbox (each once, if
    ``distinct``), and inbox items."""
    from paotui.notify.inbox import page

    people = (HOME["contact_phone"], "usr_customer", OWNER, "rdr_a")
    sent = sorted(
        (message["to"], message["channel"], message["title"])
        for to in people
        for message in outbox(to)
        if order_id in (message["data"].get("order_id"), message["body"])
    )
    sent = sorted(set(sent)) if distinct else sent
    kept = sorted(
        (user, item.title)
        for user in people[1:]
        for item in page(user).items
        if (item.data or {}).get("order_id") == order_id
    )
    return sent, kept


def test_each_party_is_told_once_whichever_call_fails_and_at_least_once_whichever_kills_the_worker(worker, monkeypatch):
    """A throttled call at any step, then redelivery: everyone told once. A Lambda killed at any step (the SMS of a
    failed delivery claimed but not sent, before): everyone still told, a text twice if killed just after it went."""
    import uuid

    faults = AwsFaults(monkeypatch)
    make_rider("rdr_a", near(SHOP, 100))

    def cancelled_with_rider(distinct=False):
        order = shop_order(order_id=f"ord_{uuid.uuid4().hex[:12]}", status="ASSIGNED", rider_id="rdr_a")
        event = alert_event(order, "delivery_failed", {"reason": "no_answer", "contact_until": "2026-11-25T00:10:00Z"})
        return sqs_event(event, order_event(order, "CANCELLED", "ASSIGNED")), lambda: _told(order.id, distinct=distinct)

    assert crash_at_every_step(faults, worker, cancelled_with_rider, modes=("throttled",))
    assert crash_at_every_step(
        faults, worker, lambda: cancelled_with_rider(True), modes=("killed_before", "killed_after")
    )
