"""The local cloud's moto undoes a cancelled transaction item by item, in the live table and its stream."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from paotui_local.dynamodb_transactions import roll_back_in_place

ORDER = {"id": {"S": "ord_1"}, "step": {"S": "order"}, "status": {"S": "CONFIRMED"}, "lines": {"L": [{"N": "1"}]}}
OFFER = {"id": {"S": "ord_1"}, "step": {"S": "offer#1"}, "status": {"S": "OPEN"}}


@pytest.fixture
def dynamodb():
    roll_back_in_place()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="orders",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "step", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "step", "AttributeType": "S"},
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.put_item(TableName="orders", Item=ORDER)
        client.put_item(TableName="orders", Item=OFFER)
        yield client


def items(client) -> list[dict]:
    return sorted(client.scan(TableName="orders", ConsistentRead=True)["Items"], key=lambda i: i["step"]["S"])


def stream_keys(client) -> list[tuple[str, str]]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = client.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [(r["eventName"], r["dynamodb"]["Keys"]["step"]["S"]) for r in records]


def key(step: str) -> dict:
    return {"id": {"S": "ord_1"}, "step": {"S": step}}


UPDATE_ORDER = {
    "Update": {
        "TableName": "orders",
        "Key": key("order"),
        "UpdateExpression": "SET #s = :assigned, #l = list_append(#l, :more)",
        "ExpressionAttributeNames": {"#s": "status", "#l": "lines"},
        "ExpressionAttributeValues": {":assigned": {"S": "ASSIGNED"}, ":more": {"L": [{"N": "2"}]}},
    }
}
DELETE_OFFER = {"Delete": {"TableName": "orders", "Key": key("offer#1")}}
PUT_TRACK = {"Put": {"TableName": "orders", "Item": {**key("track"), "at": {"S": "now"}}}}


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_they_were(dynamodb):
    before, records_before = items(dynamodb), stream_keys(dynamodb)
    refused = {
        "ConditionCheck": {
            "TableName": "orders",
            "Key": key("rider"),
            "ConditionExpression": "attribute_exists(id)",
        }
    }
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[UPDATE_ORDER, DELETE_OFFER, PUT_TRACK, refused])

    assert items(dynamodb) == before  # the order's status and list as before, the offer back, no track item
    assert stream_keys(dynamodb) == records_before


def test_a_committed_transaction_writes_its_items_and_their_records(dynamodb):
    dynamodb.transact_write_items(TransactItems=[UPDATE_ORDER, DELETE_OFFER, PUT_TRACK])

    after = {item["step"]["S"]: item for item in items(dynamodb)}
    assert set(after) == {"order", "track"}
    assert after["order"]["status"] == {"S": "ASSIGNED"}
    assert after["order"]["lines"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert stream_keys(dynamodb)[-3:] == [("MODIFY", "order"), ("REMOVE", "offer#1"), ("INSERT", "track")]


def test_an_update_that_fails_midway_through_a_transaction_is_undone(dynamodb):
    """moto applies each operation as it goes; a later invalid one must not leave the earlier ones applied."""
    before = items(dynamodb)
    invalid = {
        "Update": {
            "TableName": "orders",
            "Key": key("offer#1"),
            "UpdateExpression": "SET #s = #s + :one",  # a string plus a number
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(TransactItems=[UPDATE_ORDER, PUT_TRACK, invalid])

    assert items(dynamodb) == before


def test_a_transaction_copies_no_table(dynamodb, monkeypatch):
    """Copying a whole table per transaction made each one cost in proportion to the table."""

    def refuse(table: Table, memo: dict) -> Table:
        raise AssertionError(f"table {table.name} copied")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                PUT_TRACK,
                {
                    "Put": {
                        "TableName": "orders",
                        "Item": ORDER,
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
        )
    dynamodb.transact_write_items(TransactItems=[PUT_TRACK])

    assert [item["step"]["S"] for item in items(dynamodb)] == ["offer#1", "order", "track"]
