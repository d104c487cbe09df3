"""The local outbox: where SMS and push messages land instead of phones (SMS_SENDER=outbox).

A DynamoDB table the local cloud creates itself (it is not in template.yaml,
since it never exists in AWS): key ``to`` (S) + ``sent_at_id`` (S,
``<iso time>#<id>``), items ``{to, channel, title, body, data, sent_at}``.
The notify domain writes it (and :func:`write`, for what a fake provider
delivers: WeChat subscribe messages); ``GET /dev/outbox`` reads it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

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


def write(dynamodb: Any, name: str, message: dict[str, Any]) -> None:
    """Record what a provider's fake delivered (a WeChat subscribe message), in the notify domain's item shape."""
    sent_at = _now_iso()
    item = {key: _SERIALIZER.serialize({**message, "sent_at": sent_at}[key]) for key in FIELDS}
    item["sent_at_id"] = {"S": f"{sent_at}#{uuid.uuid4().hex}"}
    dynamodb.put_item(TableName=name, Item=item)


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
_SERIALIZER = TypeSerializer()


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
