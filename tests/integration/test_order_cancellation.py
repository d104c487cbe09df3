"""Cancellation rules over the OrdersApi routes: free before confirmation, by the merchant's consent after, never
after pickup; the order view's refund, fee breakdown and rider position; order lists by status and date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from paotui.orders.transitions import Status
from tests.integration.builders import CUSTOMER, answer, api_event, placed_order

CUSTOMER_CTX = {"user_id": CUSTOMER.user_id, "roles": "customer"}
OWNER_CTX = {"user_id": "usr_owner", "roles": "merchant"}
ADMIN_CTX = {"user_id": "usr_admin", "roles": "admin"}
RIDER_CTX = {"user_id": "usr_rider", "roles": "rider"}


class Orders:
    def __init__(self) -> None:
        from paotui.orders.api import router
        from paotui.platform.http import create_app

        self.app = create_app(router)

    def call(self, method: str, path: str, body: Any = None, who: dict | None = CUSTOMER_CTX, **query: str):
        return answer(self.app.resolve(api_event(method, path, body=body, query=query or None, authorizer=who), None))


@pytest.fixture
def api(aws):
    return Orders()


def _moved(order_id: str, *statuses: Status) -> None:
    from paotui.orders import service

    current = service.get_order(order_id).status
    for status in statuses:
        service.system_transition(order_id, status, expected={Status(current)}, reason="test")
        current = status.value


def test_a_customer_cancels_an_unconfirmed_order_at_once(api):
    order, _ = placed_order("key-cancel-0001", 1)
    _moved(order.id, Status.PAID)
    status, body = api.call("POST", f"/orders/{order.id}/cancel", {"reason": "点错了"})
    assert (status, body["status"], body["cancel_reason"]) == (200, "CANCELLED", "点错了")


def test_after_confirmation_the_customer_asks_and_the_merchant_decides(api):
    order, _ = placed_order("key-cancel-0002", 1)
    _moved(order.id, Status.PAID, Status.CONFIRMED)
    status, body = api.call("POST", f"/orders/{order.id}/cancel", {"reason": "地址填错了"})
    assert (status, body["status"]) == (202, "CONFIRMED")
    assert body["cancel_request"]["status"] == "PENDING" and body["cancel_request"]["reason"] == "地址填错了"
    status, again = api.call("POST", f"/orders/{order.id}/cancel", {"reason": "快点"})
    assert (status, again["error"]["code"]) == (409, "CANCEL_REQUEST_PENDING")

    status, refused = api.call("POST", f"/orders/{order.id}/cancel-request", {"approve": True}, who=CUSTOMER_CTX)
    assert status == 403  # the customer can't approve their own request
    status, rejected = api.call(
        "POST", f"/orders/{order.id}/cancel-request", {"approve": False, "reason": "已出餐"}, who=OWNER_CTX
    )
    assert (status, rejected["status"], rejected["cancel_request"]["status"]) == (200, "CONFIRMED", "REJECTED")
    assert rejected["cancel_request"]["answer"] == "已出餐"
    status, none_left = api.call("POST", f"/orders/{order.id}/cancel-request", {"approve": True}, who=OWNER_CTX)
    assert (status, none_left["error"]["code"]) == (409, "NO_CANCEL_REQUEST")

    status, asked_again = api.call("POST", f"/orders/{order.id}/cancel", {"reason": "还是不要了"})
    assert status == 202 and asked_again["cancel_request"]["status"] == "PENDING"
    status, approved = api.call("POST", f"/orders/{order.id}/cancel-request", {"approve": True}, who=OWNER_CTX)
    assert (status, approved["status"], approved["cancel_request"]["status"]) == (200, "CANCELLED", "APPROVED")
    assert approved["cancel_reason"] == "customer asked: 还是不要了"
    assert approved["timeline"][-1]["by"] == "merchant:usr_owner"


def test_nobody_but_the_merchant_cancels_after_pickup(api):
    from paotui.orders import service
    from paotui.riders.service import create_rider

    create_rider("usr_rider", name="张三", phone="+8613800000201", location={"lat": 31.2336, "lng": 121.4761})
    order, _ = placed_order("key-cancel-0003", 1)
    _moved(order.id, Status.PAID, Status.CONFIRMED)
    service.get_order(order.id).update(
        actions=[type(order).status.set(Status.PICKING_UP.value), type(order).rider_id.set("usr_rider")]
    )
    status, body = api.call("POST", f"/orders/{order.id}/cancel", {"reason": "太慢了"})
    assert (status, body["error"]["code"]) == (409, "TOO_LATE_TO_CANCEL")
    status, body = api.call(
        "POST", f"/orders/{order.id}/cancel", {"reason": "x"}, who={"user_id": "usr_x", "roles": "customer"}
    )
    assert status == 403
    status, body = api.call("POST", f"/orders/{order.id}/cancel", {"reason": "做不了"}, who=OWNER_CTX)
    assert (status, body["status"]) == (200, "CANCELLED")


def _moved_first(monkeypatch, move: str, status: Status) -> None:
    """The order becomes ``status`` just before the cancel's ``service.<move>`` writes: it lost that race."""
    from paotui.orders import service
    from paotui.orders.records import OrderRecord

    real_move = getattr(service, move)

    def moved_first(order_id, *args, **kwargs):
        service.get_order(order_id).update(actions=[OrderRecord.status.set(status.value), OrderRecord.version.add(1)])
        return real_move(order_id, *args, **kwargs)

    monkeypatch.setattr(service, move, moved_first)


def test_an_errand_is_cancelled_at_once_and_a_cancel_that_loses_to_the_pickup_is_too_late(api, monkeypatch):
    """An errand has no merchant to ask: a cancel that loses the race to the rider's pickup is refused, not 202."""
    from paotui.orders import service
    from paotui.orders.records import OrderRecord
    from tests.integration.builders import make_order

    for order_id, status in (("ord_errand", "CONFIRMED"), ("ord_errand_race", "ASSIGNED")):
        make_order(order_id, status=status, rider_id="usr_rider" if status == "ASSIGNED" else None).update(
            actions=[OrderRecord.merchant_id.remove(), OrderRecord.kind.set("errand")]
        )
    status, body = api.call("POST", "/orders/ord_errand/cancel", {"reason": "不要了"})
    assert (status, body["status"]) == (200, "CANCELLED")
    _moved_first(monkeypatch, "system_transition", Status.PICKING_UP)
    status, body = api.call("POST", "/orders/ord_errand_race/cancel", {"reason": "不要了"})
    assert status == 409, (status, body)
    assert body["error"]["code"] == "TOO_LATE_TO_CANCEL"
    assert service.get_order("ord_errand_race").cancel_request is None


def test_a_cancel_that_loses_to_the_merchants_confirmation_becomes_a_request_to_the_merchant(api, monkeypatch):
    """The customer saw PAID and tapped cancel as the merchant confirmed: that is a cancel after confirmation."""
    from paotui.orders import service
    from tests.integration.builders import make_order

    make_order("ord_race", status="PAID")
    _moved_first(monkeypatch, "transition", Status.CONFIRMED)
    status, body = api.call("POST", "/orders/ord_race/cancel", {"reason": "不想要了"})
    assert (status, body.get("status")) == (202, "CONFIRMED"), body
    assert service.get_order("ord_race").cancel_request.status == "PENDING"


def test_the_view_shows_the_fee_breakdown_the_refund_and_the_rider_on_the_way(api):
    from paotui.orders import service
    from paotui.orders.records import OrderRecord
    from paotui.riders.location import update_location
    from paotui.riders.service import create_rider

    order, _ = placed_order("key-view-0001", 1)
    status, body = api.call("GET", f"/orders/{order.id}")
    breakdown = body["amounts"]["breakdown"]
    assert breakdown and sum(line["amount"] for line in breakdown) == body["amounts"]["delivery_fee"]
    assert body["refund"] is None and body["rider_position"] is None

    create_rider("usr_rider", name="张三", phone="+8613800000201", location={"lat": 31.2336, "lng": 121.4761})
    update_location("usr_rider", 31.2320, 121.4750)
    service.get_order(order.id).update(
        actions=[
            OrderRecord.status.set(Status.DELIVERING.value),
            OrderRecord.rider_id.set("usr_rider"),
            OrderRecord.refunded.set(300),
        ]
    )
    status, body = api.call("GET", f"/orders/{order.id}")
    assert (body["rider_position"]["lat"], body["rider_position"]["lng"]) == (31.2320, 121.4750)
    assert body["refund"] == {"status": "PARTIALLY_REFUNDED", "refunded": 300}


def test_merchants_and_admins_list_orders_by_status_and_date_page_by_page(api):
    from paotui.platform import clock

    orders = [placed_order(f"key-list-{n:04d}", 1)[0] for n in range(5)]
    for order in orders[:3]:
        _moved(order.id, Status.PAID)
    today = clock.china_date(clock.now())

    def pages(who: dict, **query: str) -> list[list[str]]:
        found, cursor = [], None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            status, body = api.call("GET", "/orders", who=who, **query, **extra)
            assert status == 200, body
            found.append([item["id"] for item in body["items"]])
            cursor = body["next_cursor"]
            if not cursor:
                return found

    merchant_id = orders[0].merchant_id
    by_merchant = pages(OWNER_CTX, role="merchant", merchant_id=merchant_id, status="PAID", limit="2")
    assert sorted(sum(by_merchant, [])) == sorted(o.id for o in orders[:3] if o.merchant_id == merchant_id)
    admin_all = pages(ADMIN_CTX, role="admin", limit="2", **{"from": today, "to": today})
    assert sorted(sum(admin_all, [])) == sorted(o.id for o in orders)
    admin_pending = pages(ADMIN_CTX, role="admin", status="PENDING_PAYMENT")
    assert sorted(sum(admin_pending, [])) == sorted(o.id for o in orders[3:])
    yesterday = clock.china_date(clock.now() - timedelta(days=1))
    assert pages(ADMIN_CTX, role="admin", **{"from": yesterday, "to": yesterday}) == [[]]

    assert api.call("GET", "/orders", who=OWNER_CTX, role="admin")[0] == 403
    assert (
        api.call("GET", "/orders", who=ADMIN_CTX, role="admin", **{"from": today, "to": "2020-01-01"})[1]["error"][
            "code"
        ]
        == "INVALID_DATE_RANGE"
    )
    assert api.call("GET", "/orders", who=ADMIN_CTX, role="admin", **{"from": "2020-01-01", "to": today})[0] == 422


@pytest.mark.parametrize(
    ("who", "role", "start"),
    [
        (CUSTOMER_CTX, "customer", 1),  # JSON, not a start key
        (CUSTOMER_CTX, "customer", {"id": {"S": "x"}}),  # a key, not the index's
        (
            CUSTOMER_CTX,
            "customer",
            {"id": {"S": "x"}, "created_at": {"S": "x"}, "customer_id": {"S": "usr_someone_else"}},
        ),
        (
            CUSTOMER_CTX,
            "customer",
            {"id": {"N": "1"}, "created_at": {"S": "x"}, "customer_id": {"S": CUSTOMER.user_id}},
        ),
        (ADMIN_CTX, "admin", [1]),
        (ADMIN_CTX, "admin", {"day": "9999-12-31", "key": None, "to": "today"}),  # outside: days of empty queries
        (ADMIN_CTX, "admin", {"day": "not a day", "key": None, "to": "today"}),
        (ADMIN_CTX, "admin", {"day": "today", "key": {"id": {"S": "x"}}, "to": "today"}),
        (ADMIN_CTX, "admin", {"day": "today", "key": None, "to": "not a day"}),
    ],
)
def test_a_cursor_we_did_not_issue_is_a_400(api, who, role, start):
    import base64
    import json

    from paotui.platform import clock

    placed_order("key-cursor-0001", 1)
    today = clock.china_date(clock.now())
    if isinstance(start, dict):
        start = {name: today if value == "today" else value for name, value in start.items()}
    cursor = base64.urlsafe_b64encode(json.dumps(start).encode()).decode()
    status, body = api.call("GET", "/orders", who=who, role=role, cursor=cursor)
    assert (status, body["error"]["code"]) == (400, "INVALID_CURSOR")


def test_a_days_list_ends_at_china_midnight_the_order_placed_on_the_stroke_is_the_next_days(api, monkeypatch):
    from datetime import UTC, datetime

    from paotui.platform import clock

    midnight = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 2026-11-27 00:00:00.000 in China
    monkeypatch.setattr(clock, "now", lambda: midnight)
    order, _ = placed_order("key-midnight-0001", 1)

    def listed(day: str) -> list[str]:
        status, body = api.call("GET", "/orders", **{"from": day, "to": day})
        assert status == 200, body
        return [item["id"] for item in body["items"]]

    assert listed("2026-11-26") == []
    assert listed("2026-11-27") == [order.id]


@pytest.mark.parametrize(
    ("who", "role", "dates", "listed"),
    [
        (CUSTOMER_CTX, "customer", {"from": "0001-01-01"}, True),
        (CUSTOMER_CTX, "customer", {"to": "9999-12-31"}, True),
        (CUSTOMER_CTX, "customer", {"from": "0001-01-01", "to": "9999-12-31"}, True),
        (ADMIN_CTX, "admin", {"from": "0001-01-01", "to": "0001-01-02"}, False),
        (ADMIN_CTX, "admin", {"from": "9999-12-31", "to": "9999-12-31"}, False),
    ],
)
def test_dates_at_the_ends_of_the_calendar_list_what_there_is_instead_of_a_500(api, who, role, dates, listed):
    order, _ = placed_order("key-calendar-0001", 1)

    status, body = api.call("GET", "/orders", who=who, role=role, **dates)

    assert status == 200, body
    assert [item["id"] for item in body["items"]] == ([order.id] if listed else [])


def test_an_operator_paging_through_today_goes_on_past_midnight_with_the_day_they_began(api, monkeypatch):
    from datetime import UTC, datetime

    from paotui.platform import clock

    before_midnight = datetime(2026, 11, 26, 15, 59, 50, tzinfo=UTC)  # 23:59:50 in China
    monkeypatch.setattr(clock, "now", lambda: before_midnight)
    orders = [placed_order(f"key-late-{n:04d}", 1)[0] for n in range(2)]
    status, first = api.call("GET", "/orders", who=ADMIN_CTX, role="admin", limit="1")
    assert status == 200 and first["next_cursor"], first

    monkeypatch.setattr(clock, "now", lambda: before_midnight + timedelta(seconds=20))  # 00:00:10 the next day
    status, second = api.call("GET", "/orders", who=ADMIN_CTX, role="admin", limit="1", cursor=first["next_cursor"])

    assert status == 200, second
    listed = [item["id"] for page in (first, second) for item in page["items"]]
    assert sorted(listed) == sorted(order.id for order in orders)
