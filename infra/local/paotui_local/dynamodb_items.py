"""moto's DynamoDB answers with items copied as they are, not walked shape by shape.

moto 5.2 serializes every response by walking the operation's output shape. An
item attribute is an ``AttributeValue`` structure of ten members, each looked up
under several spellings, so a query returning a few orders made tens of
thousands of calls, and the unit and integration tests took 7:05 instead of
6:05 on two cores. moto has already turned
each attribute into its wire form (``{"S": ...}``, ``{"M": {...}}``) with only
binary values left as bytes, so this copies it and base64-encodes those, which
is what the shape walk produces, and leaves every other shape to moto.
"""

from __future__ import annotations

import base64
from typing import Any

from moto.core import serialize

_TEXT = ("S", "N")
_TEXT_SETS = ("SS", "NS")


def attribute_value(value: dict[str, Any]) -> dict[str, Any]:
    """One attribute in DynamoDB's JSON wire form, from moto's ``{type: value}`` with raw bytes."""
    wire: dict[str, Any] = {}
    for kind, inner in value.items():
        if kind in _TEXT:
            wire[kind] = str(inner)
        elif kind in _TEXT_SETS:
            wire[kind] = [str(member) for member in inner]
        elif kind == "B":
            wire[kind] = _base64(inner)
        elif kind == "BS":
            wire[kind] = [_base64(member) for member in inner]
        elif kind == "M":
            wire[kind] = {name: attribute_value(member) for name, member in inner.items()}
        elif kind == "L":
            wire[kind] = [attribute_value(member) for member in inner]
        else:  # NULL, BOOL
            wire[kind] = inner
    return wire


def _base64(value: str | bytes) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).decode("utf-8")


class DynamoDBSerializer(serialize.JSONSerializer):
    """moto's JSON serializer, with each ``AttributeValue`` copied in its wire form."""

    def _serialize_type_structure(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and key and isinstance(value, dict):
            serialized[self.get_serialized_name(shape, key)] = attribute_value(value)
            return
        super()._serialize_type_structure(serialized, value, shape, key)


def serialize_items_directly() -> None:
    """Use :class:`DynamoDBSerializer` for DynamoDB's and its streams' responses from now on, in this process
    (idempotent)."""
    for service in ("dynamodb", "dynamodbstreams"):
        serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault(service, {})["json"] = DynamoDBSerializer
