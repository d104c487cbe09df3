"""Low-stock alerts against moto: the Products stream yields one event per downward crossing, and
NotifyWorker pushes it to the merchant's owner once, however often it is delivered."""

from __future__ import annotations

import boto3
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from tests.integration.builders import (
    CUSTOMER,
    LAMBDA_CONTEXT,
    load_handler,
    merchant_with_products,
    order_request,
    sqs_event,
)


def _product_events():
    """Every Products stream record so far, through the EventRouter's mapping."""
    from paotui.platform.settings import get_settings
    from paotui.platform.stream_router import to_event

    table = get_settings().products_table
    stream_arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    for record in records:  # as Lambda hands them over: boto3 parsed the time, Lambda adds the source
        record["eventSourceARN"] = stream_arn
        record["dynamodb"]["ApproximateCreationDateTime"] = record["dynamodb"][
            "ApproximateCreationDateTime"
        ].timestamp()
    return [event for event in (to_event(DynamoDBRecord(r)) for r in records) if event]


def test_one_alert_per_crossing_even_when_redelivered(aws):
    from paotui.catalog import adjustments, merchants
    from paotui.catalog.merchant_models import EditProduct
    from paotui.notify.outbox import read
    from paotui.orders import service

    merchant, (soup,) = merchant_with_products(10)
    edit = EditProduct(version=int(soup.version), low_stock_threshold=8)
    assert int(merchants.edit_product(merchant, soup.id, edit, merchant.owner_id).low_stock_threshold) == 8
    for n in range(4):  # available 10 → 9 → 8 → 7 (crossing) → 6
        service.place_order(CUSTOMER.user_id, f"key-low-{n:04d}", order_request(merchant, (soup, 1)))
    adjustments.restock(merchant.id, soup.id, 5, merchant.owner_id, None)  # 11: back above, no alert
    service.place_order(CUSTOMER.user_id, "key-low-0004", order_request(merchant, (soup, 4)))  # 7: crossing again

    events = _product_events()
    assert [(e.type, e.data["available"], e.data["threshold"]) for e in events] == [
        ("product.low_stock", 7, 8),
        ("product.low_stock", 7, 8),
    ]
    first = events[0].model_dump_json()
    worker = load_handler("NotifyWorker")
    assert worker(sqs_event(first, first), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert worker(sqs_event(first), LAMBDA_CONTEXT) == {"batchItemFailures": []}  # redelivered later
    alerts = read(merchant.owner_id)
    assert len(alerts) == 1
    assert (alerts[0]["channel"], alerts[0]["title"]) == ("push", "库存不足")
    assert "item 0" in alerts[0]["body"] and "7" in alerts[0]["body"]
    assert alerts[0]["data"] == {"type": "low_stock", "merchant_id": merchant.id, "product_id": soup.id, "available": 7}
