"""Ratings and complaints over OrdersApi against moto: once each, by whom they belong to, and every refusal
changes nothing; and the promised time an order gets at placement (what on-time KPIs measure against)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from paotui.platform import clock
from tests.integration.builders import (
    CUSTOMER,
    HOME,
    LAMBDA_CONTEXT,
    SHOP,
    answer,
    api_event,
    assign,
    load_handler,
    make_order,
    make_rider,
    merchant_with_products,
    near,
    take_back,
)

RIDER, OTHER_RIDER = "usr_rider_a", "usr_rider_b"
ADMIN = {"user": "usr_admin", "roles": "admin"}
AS_RIDER = {"user": RIDER, "roles": "rider"}
STRANGER = {"user": "usr_someone_else", "roles": "customer"}


@pytest.fixture
def api(aws):
    handler = load_handler("OrdersApi")

    def call(method: str, path: str, body=None, *, user: str = CUSTOMER.user_id, roles: str = "customer", key=None):
        headers = {"Idempotency-Key": key} if key else None
        event = api_event(method, path, body=body, authorizer={"user_id": user, "roles": roles}, headers=headers)
        return answer(handler(event, LAMBDA_CONTEXT))

    return call


def version_of(order_id: str) -> int:
    from paotui.orders.service import get_order

    return int(get_order(order_id).version)


# --- ratings ---------------------------------------------------------------------------------------------


def test_the_customer_rates_a_delivered_order_once(api):
    make_order("ord_rate", status="DELIVERED", rider_id=RIDER)
    status, order = api("POST", "/orders/ord_rate/rating", {"stars": 4, "comment": " 很快 "})
    assert status == 200, order
    assert order["rating"]["stars"] == 4 and order["rating"]["comment"] == "很快" and order["rating"]["at"]
    assert order["version"] == 4

    status, again = api("POST", "/orders/ord_rate/rating", {"stars": 1})
    assert (status, again["error"]["code"]) == (409, "ALREADY_RATED")
    assert api("GET", "/orders/ord_rate")[1]["rating"]["stars"] == 4
    assert version_of("ord_rate") == 4


@pytest.mark.parametrize(
    ("body", "who", "status", "code"),
    [
        ({"stars": 5}, STRANGER, 404, "ORDER_NOT_FOUND"),  # not theirs: as if it did not exist
        ({"stars": 5}, AS_RIDER, 403, "FORBIDDEN"),  # the order's rider is no customer of it
        ({"stars": 5}, ADMIN, 403, "NOT_YOUR_ORDER"),
        ({"stars": 0}, {}, 422, "VALIDATION_ERROR"),
        ({"stars": 6}, {}, 422, "VALIDATION_ERROR"),
        ({"stars": 5, "tip": 100}, {}, 422, "VALIDATION_ERROR"),
        ({"comment": "no stars"}, {}, 422, "VALIDATION_ERROR"),
    ],
)
def test_refused_ratings_change_nothing(api, body, who, status, code):
    make_order("ord_rate", status="DELIVERED", rider_id=RIDER)
    got, refused = api("POST", "/orders/ord_rate/rating", body, **who)
    assert (got, refused["error"]["code"]) == (status, code)
    assert version_of("ord_rate") == 3


def test_only_a_delivered_order_is_rated(api):
    make_order("ord_on_its_way", status="DELIVERING", rider_id=RIDER)
    status, refused = api("POST", "/orders/ord_on_its_way/rating", {"stars": 5})
    assert (status, refused["error"]["code"], refused["error"]["details"]) == (
        409,
        "ORDER_NOT_DELIVERED",
        {"status": "DELIVERING"},
    )
    assert api("POST", "/orders/ord_missing/rating", {"stars": 5})[0] == 404


# --- complaints ----------------------------------------------------------------------------------------


def test_a_complaint_is_filed_once_and_decided_once_by_an_admin(api):
    make_order("ord_complain", status="DELIVERED", rider_id=RIDER)
    status, order = api("POST", "/orders/ord_complain/complaints", {"reason": "汤洒了一半"})
    assert status == 200, order
    assert (order["complaint"]["status"], order["complaint"]["reason"]) == ("PENDING", "汤洒了一半")
    status, again = api("POST", "/orders/ord_complain/complaints", {"reason": "还有"})
    assert (status, again["error"]["code"]) == (409, "ALREADY_COMPLAINED")

    status, refused = api("POST", "/orders/ord_complain/complaint/decision", {"upheld": True})  # the customer
    assert (status, refused["error"]["code"]) == (403, "FORBIDDEN")
    status, decided = api("POST", "/orders/ord_complain/complaint/decision", {"upheld": True, "note": "属实"}, **ADMIN)
    assert status == 200, decided
    complaint = decided["complaint"]
    assert (complaint["status"], complaint["decided_by"], complaint["note"]) == ("UPHELD", "usr_admin", "属实")
    assert complaint["decided_at"]
    version = version_of("ord_complain")
    status, twice = api("POST", "/orders/ord_complain/complaint/decision", {"upheld": False}, **ADMIN)
    assert (status, twice["error"]["code"], twice["error"]["details"]) == (
        409,
        "COMPLAINT_ALREADY_DECIDED",
        {"status": "UPHELD"},
    )
    assert version_of("ord_complain") == version


def test_a_complaint_needs_an_assigned_rider_and_a_decision_needs_a_complaint(api):
    make_order("ord_unassigned", status="CONFIRMED")
    status, refused = api("POST", "/orders/ord_unassigned/complaints", {"reason": "太慢"})
    assert (status, refused["error"]["code"]) == (409, "ORDER_NOT_ASSIGNED")
    status, refused = api("POST", "/orders/ord_unassigned/complaint/decision", {"upheld": False}, **ADMIN)
    assert (status, refused["error"]["code"]) == (409, "NO_COMPLAINT")
    for body in ({"reason": ""}, {"reason": "x" * 501}, {}):
        assert api("POST", "/orders/ord_unassigned/complaints", body)[0] == 422
    assert api("POST", "/orders/ord_unassigned/complaint/decision", {"upheld": "yes"}, **ADMIN)[0] == 422
    assert version_of("ord_unassigned") == 3


def test_a_complaint_while_the_order_is_on_its_way_and_its_dismissal(api):
    make_order("ord_slow", status="PICKING_UP", rider_id=RIDER)
    assert api("POST", "/orders/ord_slow/complaints", {"reason": "骑手不接电话"})[0] == 200
    status, decided = api("POST", "/orders/ord_slow/complaint/decision", {"upheld": False}, **ADMIN)
    assert (status, decided["complaint"]["status"], decided["complaint"]["note"]) == (200, "DISMISSED", None)


def test_a_complaint_names_the_rider_it_is_about_even_once_the_order_was_taken_from_them(api):
    """The customer complains "骑手不接电话" about rider A: while A holds the order, and after the watchdog took
    it from A (gone offline) and before another rider took it; either way the complaint is about A."""
    make_rider(RIDER, SHOP)
    for order_id in ("ord_held", "ord_taken_back"):
        make_order(order_id)
        assign(order_id, RIDER)
    take_back("ord_taken_back")

    for order_id in ("ord_held", "ord_taken_back"):
        status, order = api("POST", f"/orders/{order_id}/complaints", {"reason": "骑手不接电话"})
        assert status == 200, order
        assert (order["complaint"]["status"], order["complaint"]["rider_id"]) == ("PENDING", RIDER)

    assign("ord_taken_back", OTHER_RIDER)
    status, decided = api("POST", "/orders/ord_taken_back/complaint/decision", {"upheld": True}, **ADMIN)
    assert (status, decided["rider_id"], decided["complaint"]["rider_id"]) == (200, OTHER_RIDER, RIDER)


# --- the promised time ------------------------------------------------------------------------------------


def test_an_order_is_promised_for_its_quotes_eta(api):
    from paotui.catalog.pricing import distance_m, eta_minutes

    merchant, (product,) = merchant_with_products(10)
    request = {"merchant_id": merchant.id, "items": [{"product_id": product.id, "quantity": 1}], "address": HOME}
    eta = timedelta(minutes=eta_minutes(merchant, distance_m(merchant, HOME["lat"], HOME["lng"])))
    before = clock.now()
    status, order = api("POST", "/orders", request, key=uuid.uuid4().hex)
    assert status == 201, order
    assert before + eta <= clock.parse_iso(order["promised_at"]) <= clock.now() + eta

    later = (clock.now() + timedelta(hours=2)).replace(microsecond=0)
    status, scheduled = api("POST", "/orders", {**request, "scheduled_for": clock.iso(later)}, key=uuid.uuid4().hex)
    assert status == 201, scheduled
    assert clock.parse_iso(scheduled["promised_at"]) == later


def test_an_errand_is_promised_for_its_quotes_eta(api):
    pickup = {**near(SHOP, 200), "detail": "前台", "contact_name": "王先生", "contact_phone": "+8613800000401"}
    body = {"type": "send", "item": "一份合同", "pickup": pickup, "dropoff": HOME}
    where = {"type": "send", "pickup": near(SHOP, 200), "dropoff": {"lat": HOME["lat"], "lng": HOME["lng"]}}
    quote_status, quote = api("POST", "/errands/quotes", where)
    assert quote_status == 200, quote
    status, errand = api("POST", "/errands", body, key=uuid.uuid4().hex)
    assert status == 201, errand
    promised, eta = clock.parse_iso(errand["promised_at"]), clock.parse_iso(quote["eta"])
    assert timedelta(0) <= promised - eta < timedelta(seconds=30)


def test_the_sample_rating_is_what_the_api_takes(api):
    sample = json.loads((Path(__file__).resolve().parents[2] / "events" / "OrdersApi" / "rate-order.json").read_text())
    customer = sample["requestContext"]["authorizer"]["user_id"]
    make_order(sample["pathParameters"]["orderId"], status="DELIVERED", rider_id=RIDER, customer_id=customer)
    status, order = answer(load_handler("OrdersApi")(sample, LAMBDA_CONTEXT))
    assert (status, order["rating"]["stars"]) == (200, 5)
