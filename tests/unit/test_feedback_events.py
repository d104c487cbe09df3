"""The Orders stream's feedback events: a rating given, a complaint filed or decided; each once, with filterable
status."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecordEventName

from paotui.platform.stream_router import SOURCES

MODIFY, INSERT = DynamoDBRecordEventName.MODIFY, DynamoDBRecordEventName.INSERT
DELIVERED = {"id": "ord_1", "status": "DELIVERED", "rider_id": "usr_rider"}
RATING = {"stars": 4, "at": "2026-11-25T04:00:00.000Z"}
COMPLAINT = {"reason": "汤洒了", "at": "2026-11-25T04:00:00.000Z", "status": "PENDING"}


def orders(name, new, old=None):
    return SOURCES["orders_table"]((name, new, old or {}))


def test_a_rating_given_is_order_rated_with_the_orders_status():
    event_type, data = orders(MODIFY, {**DELIVERED, "rating": RATING}, DELIVERED)
    assert event_type == "order.rated"
    assert (data["rating"], data["status"], data["order"]["id"]) == (RATING, "DELIVERED", "ord_1")


def test_a_complaint_decided_carries_the_decision_as_its_status():
    filed = {**DELIVERED, "complaint": COMPLAINT}
    upheld = {**DELIVERED, "complaint": {**COMPLAINT, "status": "UPHELD", "decided_at": "2026-11-25T05:00:00.000Z"}}
    event_type, data = orders(MODIFY, upheld, filed)
    assert (event_type, data["status"], data["complaint"]["status"]) == ("order.complaint_decided", "UPHELD", "UPHELD")
    dismissed = {**DELIVERED, "complaint": {**COMPLAINT, "status": "DISMISSED"}}
    assert orders(MODIFY, dismissed, filed)[1]["status"] == "DISMISSED"


def test_a_complaint_filed_is_order_complaint_filed_pending():
    event_type, data = orders(MODIFY, {**DELIVERED, "complaint": COMPLAINT}, DELIVERED)
    assert (event_type, data["status"], data["complaint"], data["order"]["id"]) == (
        "order.complaint_filed",
        "PENDING",
        COMPLAINT,
        "ord_1",
    )


def test_later_changes_make_no_event():
    rated, filed = {**DELIVERED, "rating": RATING}, {**DELIVERED, "complaint": COMPLAINT}
    assert orders(MODIFY, {**filed, "version": 8}, filed) is None  # the complaint was there already
    assert orders(MODIFY, {**rated, "note": "x"}, rated) is None  # the rating was there already
    upheld = {**DELIVERED, "complaint": {**COMPLAINT, "status": "UPHELD"}}
    assert orders(MODIFY, {**upheld, "version": 9}, upheld) is None


def test_status_changes_still_come_first():
    event_type, data = orders(MODIFY, DELIVERED, {**DELIVERED, "status": "DELIVERING"})
    assert (event_type, data["status"]) == ("order.status_changed", "DELIVERED")
    assert orders(INSERT, {"id": "ord_2", "status": "PENDING_PAYMENT"})[0] == "order.created"
