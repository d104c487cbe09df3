"""The local outbox: where SMS and push messages land instead of phones (SMS_SENDER=outbox).

A DynamoDB table the local cloud creates itself (it is not in template.yaml,
since it never exists in AWS): key ``to`` (S) + ``sent_at_id`` (S,
``<iso time>#<id>``), items ``{to, channel, title, body, data, sent_at}``.
The notify domain writes it; ``GET /dev/outbox`` reads it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

FIELDS = ("to", "channel", "title", "body", "data", "sent_at")


def create_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "to", "KeyType": "HASH"}, {"AttributeName": "sent_at_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "to", "AttributeType": "S"},
            {"AttributeName": "sent_at_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def read(dynamodb: Any, name: str, to: str | None, limit: int = 200) -> list[dict[str, Any]]:
    """Messages to one recipient (or to everyone when ``to`` is None), newest first."""
    if to:
        pages = dynamodb.get_paginator("query").paginate(
            TableName=name,
            KeyConditionExpression="#to = :to",
            ExpressionAttributeNames={"#to": "to"},
            ExpressionAttributeValues={":to": {"S": to}},
            ScanIndexForward=False,
        )
    else:
        pages = dynamodb.get_paginator("scan").paginate(TableName=name)
    items = [item for page in pages for item in page["Items"]]
    items.sort(key=lambda item: item["sent_at_id"]["S"], reverse=True)
    return [_plain(item) for item in items[:limit]]


_DESERIALIZER = TypeDeserializer()


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _json(_DESERIALIZER.deserialize(item[key])) for key in FIELDS if key in item}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_json(item) for item in value]
    return value
