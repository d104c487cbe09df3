"""A delivery gone wrong against moto (orders.exceptions): the customer told, tries again by the rider or on the
customer's word, the contact window lapsing into a return, and the returned order refunded by rule, once."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from paotui.orders.transitions import Status
from paotui.platform import clock
from tests.integration.builders import (
    CUSTOMER,
    HOME,
    LAMBDA_CONTEXT,
    SHOP,
    SignedInApi,
    answer,
    api_event,
    confirmed_order,
    in_process_sandbox,
    load_handler,
    make_rider,
    merchant_with_products,
    near,
    order_event,
    principal,
    sqs_event,
)

RIDER = principal("usr_rider_exc", "rider")
OWNER = principal("usr_owner", "merchant")  # merchant_with_products' owner
OTHER_CUSTOMER = principal("usr_other_customer", "customer")
AT_STORE, AT_DOOR = near(SHOP, 40), near(HOME, -30, 20)


class OrdersHttp:
    """OrdersApi's handler, called as API Gateway calls it once the authorizer let ``who`` in."""

    def __init__(self) -> None:
        self.handler = load_handler("OrdersApi")

    def call(self, method: str, path: str, who, body=None) -> tuple[int, dict]:
        authorizer = {"user_id": who.user_id, "roles": ",".join(sorted(who.roles))}
        return answer(self.handler(api_event(method, path, body=body, authorizer=authorizer), LAMBDA_CONTEXT))

    def move(self, order_id: str, to: str, who=RIDER, **report) -> tuple[int, dict]:
        return self.call("POST", f"/orders/{order_id}/transitions", who, body={"to": to, **report})

    def retry(self, order_id: str, who=CUSTOMER, **body) -> tuple[int, dict]:
        return self.call("POST", f"/orders/{order_id}/delivery-retry", who, body=body)


@pytest.fixture
def api(aws) -> OrdersHttp:
    make_rider(RIDER.user_id, AT_STORE)
    return OrdersHttp()


def on_its_way(api: OrdersHttp, *, paid: bool = True) -> tuple[dict, object]:
    """A fresh merchant's order, paid in the sandbox (or not: a cash order), taken by RIDER and on its way."""
    from paotui.orders import service
    from paotui.platform.dynamo import transact_write
    from paotui.riders.service import stage_take_order

    order, merchant = confirmed_order(paid=paid)
    with transact_write() as transaction:
        service.stage_assignment(transaction, service.get_order(order.id), RIDER.user_id, at=clock.now())
        stage_take_order(transaction, RIDER.user_id)
    assert api.move(order.id, "PICKING_UP", position=AT_STORE)[0] == 200
    status, moved = api.move(order.id, "DELIVERING", items_checked=True)
    assert status == 200, moved
    return moved, merchant


def failed(api: OrdersHttp, reason: str = "buyer_refused", **merchant) -> tuple[dict, object]:
    order, merchant = on_its_way(api, **merchant)
    status, moved = api.move(order["id"], "DELIVERY_FAILED", failure_reason=reason, position=AT_DOOR)
    assert (status, moved["status"]) == (200, "DELIVERY_FAILED"), moved
    return moved, merchant


def alerts(order_id: str) -> list[tuple[str, dict]]:
    from paotui.orders.records import OrderRecord

    order = OrderRecord.get(order_id, consistent_read=True)
    return [(alert.kind, alert.detail.as_dict() if alert.detail else {}) for alert in order.alerts or []]


def kinds(order_id: str) -> list[str]:
    return [kind for kind, _ in alerts(order_id)]


def stored(order_id: str):
    from paotui.orders.service import get_order

    return get_order(order_id)


# --- the failure and the contact window ---------------------------------------------------------------------------


def test_a_failed_delivery_tells_the_customer_until_when_to_reach_the_rider(api):
    from paotui.platform.settings import get_settings

    order, _ = failed(api, "unreachable")
    ((kind, detail),) = alerts(order["id"])
    window = timedelta(seconds=get_settings().delivery_contact_window_seconds)
    assert (kind, detail["reason"], detail["attempt"]) == ("delivery_failed", "unreachable", 1)
    assert clock.parse_iso(detail["contact_until"]) == clock.parse_iso(order["delivery_failure"]["at"]) + window


def test_news_of_a_failure_the_request_died_before_recording_comes_from_the_stream_once(api, monkeypatch):
    from paotui.orders import exceptions

    with monkeypatch.context() as crashed:  # the request's process dies between the move and the alert
        crashed.setattr(exceptions, "announce", lambda order, status: None)
        order, _ = failed(api, "unreachable")
    assert alerts(order["id"]) == []

    watchdog_worker = load_handler("WatchdogWorker")
    event = order_event(stored(order["id"]), "DELIVERY_FAILED", "DELIVERING")
    for _ in range(2):  # and the stream's record delivered twice
        assert watchdog_worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert kinds(order["id"]) == ["delivery_failed"]


def test_the_rider_tries_again_with_nothing_more_than_the_move(api):
    order, _ = failed(api)
    status, moved = api.move(order["id"], "DELIVERING")
    assert (status, moved["status"], moved["timeline"][-1]["by"]) == (200, "DELIVERING", f"rider:{RIDER.user_id}")
    assert api.move(order["id"], "DELIVERY_FAILED", failure_reason="unreachable")[0] == 200
    assert [detail["attempt"] for kind, detail in alerts(order["id"]) if kind == "delivery_failed"] == [1, 2]


def test_the_customer_asks_for_another_try_and_the_rider_hears_it(api):
    order, _ = failed(api, "unreachable")
    status, moved = api.retry(order["id"], note="在北门等")
    assert (status, moved["status"]) == (200, "DELIVERING"), moved
    assert moved["timeline"][-1] == {
        **moved["timeline"][-1],
        "by": f"customer:{CUSTOMER.user_id}",
        "reason": "customer asked for another try: 在北门等",
    }
    assert alerts(order["id"])[-1] == ("delivery_retry", {"attempt": 2, "note": "在北门等"})
    status, delivered = api.move(
        order["id"], "DELIVERED", position=AT_DOOR, proof={"code": stored(order["id"]).delivery_code}
    )
    assert (status, delivered["status"]) == (200, "DELIVERED"), delivered


def test_a_retry_is_refused_unless_the_customers_failed_order_may_be_tried_again(api):
    order, _ = on_its_way(api)
    assert api.retry(order["id"])[1]["error"]["code"] == "DELIVERY_NOT_FAILED"
    api.move(order["id"], "DELIVERY_FAILED", failure_reason="unreachable")
    before = stored(order["id"])

    assert api.retry(order["id"], OTHER_CUSTOMER)[0] == 404
    status, body = api.call("POST", f"/orders/{order['id']}/delivery-retry", RIDER, body={})
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
    assert api.retry(order["id"], note="x" * 201)[0] == 422
    assert stored(order["id"]).version == before.version

    assert api.retry(order["id"])[0] == 200
    assert api.move(order["id"], "DELIVERY_FAILED", failure_reason="unreachable")[0] == 200
    status, body = api.retry(order["id"])
    assert (status, body["error"]["code"]) == (409, "RETRY_LIMIT_REACHED"), body
    assert body["error"]["details"] == {"attempts": 2, "max_attempts": 2}
    assert stored(order["id"]).status == "DELIVERY_FAILED"


def test_the_rider_cannot_try_again_past_the_limit_either(api):
    order, _ = failed(api, "unreachable")
    assert api.move(order["id"], "DELIVERING")[0] == 200  # the rider tries again: attempt 2 of 2
    assert api.move(order["id"], "DELIVERY_FAILED", failure_reason="unreachable")[0] == 200
    before = stored(order["id"])
    status, body = api.move(order["id"], "DELIVERING")
    assert (status, body["error"]["code"]) == (409, "RETRY_LIMIT_REACHED"), body
    assert stored(order["id"]).version == before.version  # and the customer is not told of a third failure
    assert api.move(order["id"], "RETURNING")[0] == 200  # what is left: take it back


def test_a_lapsed_window_sends_the_order_back_to_the_store_once(api):
    from paotui.orders.exceptions import contact_window_lapsed

    order, _ = failed(api, "unreachable")
    moved = contact_window_lapsed(order["id"])
    assert moved.status == "RETURNING"
    assert (moved.timeline[-1].by, moved.timeline[-1].reason) == ("watchdog", "contact_window_lapsed")
    assert contact_window_lapsed(order["id"]) is None
    assert kinds(order["id"]) == ["delivery_failed", "returning"]
    assert alerts(order["id"])[-1][1] == {"reason": "unreachable"}


def test_a_lapse_after_the_order_was_tried_again_changes_nothing(api):
    from paotui.orders.exceptions import contact_window_lapsed

    order, _ = failed(api)
    api.retry(order["id"])
    assert contact_window_lapsed(order["id"]) is None
    assert stored(order["id"]).status == "DELIVERING"
    assert "returning" not in kinds(order["id"])


def test_the_rider_may_take_the_order_back_at_once(api):
    order, _ = failed(api)
    status, moved = api.move(order["id"], "RETURNING", reason="顾客拒收")
    assert (status, moved["status"]) == (200, "RETURNING"), moved
    assert kinds(order["id"]) == ["delivery_failed", "returning"]


# --- returned: the refund by rule ---------------------------------------------------------------------------------


def returned(api: OrdersHttp, reason: str, **merchant) -> tuple[dict, object]:
    """An order whose delivery failed for ``reason``, taken back by the rider and received by the merchant."""
    order, shop = failed(api, reason, **merchant)
    assert api.move(order["id"], "RETURNING")[0] == 200
    status, back = api.move(order["id"], "RETURNED", OWNER)
    assert (status, back["status"]) == (200, "RETURNED"), back
    return back, shop


def refund_worker(order: dict, times: int = 1) -> None:
    from paotui.payments import refund_events
    from paotui.platform.events import DomainEvent

    event = DomainEvent.model_validate_json(order_event(stored(order["id"]), "RETURNED", "RETURNING"))
    for _ in range(times):
        refund_events.handle(event, in_process_sandbox())


def money_back(order_id: str) -> list[tuple[str, int]]:
    from paotui.payments.refunds import refunds_of

    return [(refund.status, int(refund.amount)) for refund in refunds_of(order_id)]


def test_a_refused_order_refunds_the_delivery_fee_once_however_often_returned_is_delivered(api):
    order, _ = returned(api, "buyer_refused")
    refund_worker(order, times=3)
    fee = order["amounts"]["delivery_fee"]
    assert money_back(order["id"]) == [("SUCCEEDED", fee)]
    assert alerts(order["id"])[-1] == (
        "returned",
        {"amount": fee, "rule": "delivery_fee_only", "reason": "buyer_refused"},
    )
    view = stored(order["id"])
    assert (int(view.refunded), int(view.refunds_pending)) == (fee, 0)


def test_a_merchants_rule_and_the_merchant_fault_list_decide_the_refund(api, monkeypatch):
    from paotui.catalog.records import MerchantRecord
    from paotui.platform.settings import get_settings

    order, shop = returned(api, "wrong_address")
    shop.update(actions=[MerchantRecord.refund_rules.set({"wrong_address": "goods_only"})])
    refund_worker(order)
    amounts = order["amounts"]
    assert money_back(order["id"]) == [("SUCCEEDED", amounts["total"] - amounts["delivery_fee"])]

    monkeypatch.setenv("MERCHANT_FAULT_FAILURE_REASONS", "wrong_address")
    get_settings.cache_clear()
    order, shop = returned(api, "wrong_address")
    shop.update(actions=[MerchantRecord.refund_rules.set({"wrong_address": "none"})])
    refund_worker(order)
    assert money_back(order["id"]) == [("SUCCEEDED", order["amounts"]["total"])]


def test_an_order_paid_in_cash_is_returned_with_nothing_to_refund_and_the_customer_told(api):
    order, _ = returned(api, "buyer_refused", paid=False)
    refund_worker(order)
    assert money_back(order["id"]) == []
    assert alerts(order["id"])[-1] == (
        "returned",
        {"amount": 0, "rule": "delivery_fee_only", "reason": "buyer_refused"},
    )


def test_merchants_set_their_refund_rules_in_the_console(aws):
    merchant, _ = merchant_with_products(1)
    catalog = SignedInApi("CatalogApi")
    path = f"/merchants/{merchant.id}"
    status, view = catalog.call(
        "PATCH", path, user=OWNER.user_id, roles="merchant", body={"refund_rules": {"buyer_refused": "none"}}
    )
    assert (status, view["refund_rules"]) == (200, {"buyer_refused": "none"}), view
    for wrong in ({"buyer_refused": "half"}, {"lost_in_space": "full"}):
        status, body = catalog.call("PATCH", path, user=OWNER.user_id, roles="merchant", body={"refund_rules": wrong})
        assert status == 422, body
    status, view = catalog.call("PATCH", path, user=OWNER.user_id, roles="merchant", body={"refund_rules": None})
    assert (status, view["refund_rules"]) == (200, {})


def test_a_carriers_failed_delivery_is_told_as_a_return_and_refunded_in_full(api):
    from paotui.orders import service
    from paotui.orders.transitions import Actor

    order, _ = confirmed_order()
    path = ["CONFIRMED", "ASSIGNED", "PICKING_UP", "DELIVERING", "DELIVERY_FAILED", "RETURNING", "RETURNED"]
    for current, target in itertools.pairwise(map(Status, path)):
        moved = service.system_transition(
            order.id, target, expected={current}, reason="dada 9 妥投异常", by="carrier:dada", actor=Actor.CARRIER
        )
        assert moved is not None, target
    refund_worker({"id": order.id})
    assert money_back(order.id) == [("SUCCEEDED", int(order.amounts.total))]
    assert alerts(order.id) == [
        ("returning", {"reason": "unspecified"}),
        ("returned", {"amount": int(order.amounts.total), "rule": "full", "reason": "unspecified"}),
    ]
