"""The local cloud's moto answers DynamoDB requests atomically, as DynamoDB does."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from paotui_local.moto_server import LocalMotoServer


@pytest.fixture(scope="module")
def dynamodb():
    server = LocalMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "dynamodb",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    client.create_table(
        TableName="stock",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    yield client
    server.stop()


@pytest.fixture
def fine_thread_switching():
    """Switch threads often, so unlocked check-then-write sequences really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_concurrent_reservations_never_oversell(dynamodb, fine_thread_switching):
    """50 transactions (stock decrement + ledger put) race for 10 units: exactly 10 win."""
    dynamodb.put_item(TableName="stock", Item={"id": {"S": "p"}, "available": {"N": "10"}})

    def reserve(n: int) -> bool:
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "stock",
                            "Key": {"id": {"S": "p"}},
                            "UpdateExpression": "SET available = available - :one",
                            "ConditionExpression": "available >= :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": "stock",
                            "Item": {"id": {"S": f"ledger-{n}"}},
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    },
                ]
            )
            return True
        except dynamodb.exceptions.TransactionCanceledException:
            return False

    with ThreadPoolExecutor(16) as pool:
        wins = sum(pool.map(reserve, range(50)))
    item = dynamodb.get_item(TableName="stock", Key={"id": {"S": "p"}}, ConsistentRead=True)["Item"]
    ledger = dynamodb.scan(TableName="stock")["Count"] - 1
    assert (wins, item["available"]["N"], ledger) == (10, "0", 10)


def test_a_stream_reader_still_sees_writes_after_a_cancelled_transaction(dynamodb):
    """moto's rollback used to swap the table for a copy, leaving stream readers on a shard nothing wrote to."""
    dynamodb.create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    streams = boto3.client(
        "dynamodbstreams",
        endpoint_url=dynamodb.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    stream_arn = dynamodb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "first"}})
    cancelled = {
        "Put": {
            "TableName": "orders",
            "Item": {"id": {"S": "first"}},
            "ConditionExpression": "attribute_not_exists(id)",
        }
    }
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": "orders", "Item": {"id": {"S": "x"}}}}, cancelled]
        )
    dynamodb.put_item(TableName="orders", Item={"id": {"S": "after"}})

    seen = []
    for _ in range(3):
        page = streams.get_records(ShardIterator=iterator)
        seen += [record["dynamodb"]["Keys"]["id"]["S"] for record in page["Records"]]
        iterator = page["NextShardIterator"]
    assert seen == ["first", "after"]  # the cancelled transaction's put of "x" left no record
    assert "Item" not in dynamodb.get_item(TableName="orders", Key={"id": {"S": "x"}})
