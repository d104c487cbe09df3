"""The local stage's outbox: where SMS and push messages land instead of a phone.

One DynamoDB table (``settings.outbox_table``), key ``to`` + ``sent_at_id``
(``f"{sent_at}#{id}"``, so a query on ``to`` reads newest first when scanned
backwards). Both the SMS and the push outbox senders write through
:func:`write`; ``GET /dev/outbox`` reads through :func:`read`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.ids import new_id
from paotui.platform.settings import get_settings

Channel = Literal["sms", "push"]

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def _table() -> str:
    name = get_settings().outbox_table
    if not name:
        raise RuntimeError("OUTBOX_TABLE is not set: the outbox senders only run in the local stage.")
    return name


def write(to: str, channel: Channel, title: str, body: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Record one message as sent; returns it in the ``/dev/outbox`` shape."""
    sent_at = clock.now_iso()
    message = {
        "to": to,
        "channel": channel,
        "title": title,
        "body": body,
        "data": {key: value for key, value in (data or {}).items() if value is not None},
        "sent_at": sent_at,
    }
    item = {name: _serialize(value) for name, value in message.items()}
    item["sent_at_id"] = {"S": f"{sent_at}#{new_id()}"}
    client("dynamodb").put_item(TableName=_table(), Item=item)
    return message


def read(to: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Messages sent to ``to`` (a phone or a user id), newest first."""
    response = client("dynamodb").query(
        TableName=_table(),
        KeyConditionExpression="#to = :to",
        ExpressionAttributeNames={"#to": "to"},
        ExpressionAttributeValues={":to": {"S": to}},
        ScanIndexForward=False,
        Limit=limit,
    )
    messages = []
    for item in response.get("Items", []):
        message = {name: _deserialize(value) for name, value in item.items() if name != "sent_at_id"}
        messages.append(_plain(message))
    return messages


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; hand out JSON-friendly ints and floats."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
