"""Stream records become domain events only when a consumer cares: inserts and status changes."""

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from paotui.platform.settings import get_settings
from paotui.platform.stream_router import plain, to_event, to_events


def _record(event_name, new=None, old=None, table=None):
    table = table or get_settings().orders_table
    image = lambda values: {k: {"S": v} if isinstance(v, str) else {"N": str(v)} for k, v in values.items()}  # noqa: E731
    change = {"SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES", "ApproximateCreationDateTime": 1764115200}
    if new:
        change["NewImage"] = image(new)
    if old:
        change["OldImage"] = image(old)
    return DynamoDBRecord(
        {
            "eventID": "evt-1",
            "eventName": event_name,
            "eventSource": "aws:dynamodb",
            "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-01-01T00:00:00.000",
            "dynamodb": change,
        }
    )


def test_insert_is_order_created_with_the_stream_event_id():
    event = to_event(_record("INSERT", new={"id": "ord_1", "status": "PENDING_PAYMENT", "version": 1}))
    assert event.type == "order.created"
    assert event.id == "evt-1"
    assert event.subject == "ord_1"
    assert event.data["order"]["version"] == 1
    assert event.occurred_at == "2025-11-26T00:00:00.000Z"


def test_status_change_carries_both_statuses_and_filter_attributes():
    event = to_event(
        _record("MODIFY", new={"id": "ord_1", "status": "CONFIRMED"}, old={"id": "ord_1", "status": "PAID"})
    )
    assert event.type == "order.status_changed"
    assert (event.data["status"], event.data["previous_status"]) == ("CONFIRMED", "PAID")
    assert event.message_attributes()["status"] == {"DataType": "String", "StringValue": "CONFIRMED"}


def test_modify_without_status_change_and_removals_are_dropped():
    same = {"id": "ord_1", "status": "PAID"}
    assert to_event(_record("MODIFY", new={**same, "note": "x"}, old=same)) is None
    assert to_event(_record("REMOVE", old=same)) is None


def test_offers_stream_becomes_offer_events():
    event = to_event(_record("INSERT", new={"id": "off_1", "status": "OPEN"}, table=get_settings().offers_table))
    assert event.type == "offer.created"
    assert event.data["offer"]["id"] == "off_1"


def test_products_stream_alerts_only_when_available_crosses_the_threshold_downward():
    table = get_settings().products_table
    product = {"id": "prd_1", "merchant_id": "mer_1", "low_stock_threshold": 3}

    def change(before, after, **extra):
        return to_event(
            _record(
                "MODIFY",
                new={**product, **extra, "available": after},
                old={**product, "available": before},
                table=table,
            )
        )

    event = change(3, 2)
    assert (event.type, event.subject, event.data["available"], event.data["threshold"]) == (
        "product.low_stock",
        "prd_1",
        2,
        3,
    )
    assert event.message_attributes() == {"type": {"DataType": "String", "StringValue": "product.low_stock"}}
    assert change(5, 0).type == "product.low_stock"
    assert change(5, 4) is None, "still at or above"
    assert change(2, 1) is None, "already below: alerted when it crossed"
    assert change(1, 4) is None, "going up"
    no_threshold = {"id": "prd_2", "merchant_id": "mer_1"}
    assert (
        to_event(
            _record("MODIFY", new={**no_threshold, "available": 0}, old={**no_threshold, "available": 9}, table=table)
        )
        is None
    )
    assert to_event(_record("INSERT", new={**product, "available": 1}, table=table)) is None


def test_plain_turns_decimals_into_ints_and_floats():
    from decimal import Decimal

    assert plain({"a": Decimal("3"), "b": [Decimal("1.5")]}) == {"a": 3, "b": [1.5]}


def _order_record(event_name, new=None, old=None, event_id="evt-9"):
    """An Orders stream record with nested values (alerts), serialized as DynamoDB streams do."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    change = {"SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES", "ApproximateCreationDateTime": 1764115200}
    for key, image in (("NewImage", new), ("OldImage", old)):
        if image:
            change[key] = {name: serialize(value) for name, value in image.items()}
    table = get_settings().orders_table
    return DynamoDBRecord(
        {
            "eventID": event_id,
            "eventName": event_name,
            "eventSource": "aws:dynamodb",
            "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-01-01T00:00:00.000",
            "dynamodb": change,
        }
    )


def _alert(alert_id, alert_kind, **detail):
    return {"id": alert_id, "kind": alert_kind, "at": "2026-11-26T00:00:00.000Z", "detail": detail or None}


def test_each_alert_a_write_appends_is_one_order_alert_event_named_by_the_alert():
    late = _alert("alr_late", "late", promised_at="2026-11-26T00:00:00.000Z")
    paid = {"id": "ord_1", "status": "DELIVERING", "alerts": [late]}
    both = [late, _alert("alr_comp", "compensated", kind="coupon", amount=500), _alert("alr_x", "pickup_overdue")]
    events = to_events(_order_record("MODIFY", new={**paid, "alerts": both}, old=paid))
    assert [(e.type, e.id, e.subject, e.data["alert"]["kind"]) for e in events] == [
        ("order.alert", "alr_comp", "ord_1", "compensated"),
        ("order.alert", "alr_x", "ord_1", "pickup_overdue"),
    ]
    assert events[0].data["alert"]["detail"] == {"kind": "coupon", "amount": 500}
    assert events[0].data["order"]["status"] == "DELIVERING"
    assert events[0].message_attributes() == {"type": {"DataType": "String", "StringValue": "order.alert"}}
    assert to_event(_order_record("MODIFY", new={**paid, "alerts": both}, old=paid)) is None, "no event of its own"


def test_a_status_change_and_an_alert_in_one_write_are_two_events():
    old = {"id": "ord_1", "status": "DELIVERING"}
    new = {"id": "ord_1", "status": "RETURNING", "alerts": [_alert("alr_ret", "returning", reason="unreachable")]}
    events = to_events(_order_record("MODIFY", new=new, old=old, event_id="evt-7"))
    assert [(e.type, e.id) for e in events] == [("order.status_changed", "evt-7"), ("order.alert", "alr_ret")]


def test_alerts_already_there_and_removed_orders_make_no_alert_events():
    order = {"id": "ord_1", "status": "PAID", "alerts": [_alert("alr_1", "no_rider")]}
    assert to_events(_order_record("MODIFY", new={**order, "note": "x"}, old=order)) == []
    assert to_events(_order_record("REMOVE", old=order)) == []
    assert [e.id for e in to_events(_order_record("INSERT", new=order))] == ["evt-9", "alr_1"]
