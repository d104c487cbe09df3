"""The local cloud's DynamoDB answers: items copied in wire form say exactly what moto's shape walk says."""

from __future__ import annotations

import json

import pytest
from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model

from paotui_local.dynamodb_items import DynamoDBSerializer, attribute_value

ITEM = {
    "id": {"S": "ord_1"},
    "empty": {"S": ""},
    "total": {"N": "2350"},
    "photo": {"B": b"\x89PNG\x00\xff"},
    "tags": {"SS": ["a", "b"]},
    "slots": {"NS": ["1", "2.5"]},
    "thumbs": {"BS": [b"\x00", b"\x01\x02"]},
    "gone": {"NULL": True},
    "paid": {"BOOL": False},
    "rider": {"M": {"id": {"S": "rdr_1"}, "seen": {"L": [{"N": "1"}, {"M": {"blob": {"B": b"x"}}}]}}},
    "lines": {"L": [{"S": "item 0"}, {"L": []}, {"M": {}}]},
}


def serialized(serializer: type[JSONSerializer], service: str, operation: str, result: dict) -> dict:
    model = get_service_model(service).operation_model(operation)
    body = serializer(operation_model=model, value_picker=XFormedAttributePicker()).serialize(result)["body"]
    return json.loads(body)


@pytest.mark.parametrize(
    ("service", "operation", "result"),
    [
        ("dynamodb", "GetItem", {"Item": ITEM}),
        (
            "dynamodb",
            "Query",
            {"Items": [ITEM, {"id": {"S": "ord_2"}}], "Count": 2, "LastEvaluatedKey": {"id": ITEM["id"]}},
        ),
        ("dynamodb", "TransactGetItems", {"Responses": [{"Item": ITEM}, {}]}),
        ("dynamodb", "BatchGetItem", {"Responses": {"Orders": [ITEM]}, "UnprocessedKeys": {}}),
        ("dynamodb", "UpdateItem", {"Attributes": ITEM}),
        ("dynamodbstreams", "GetRecords", {"Records": [{"eventName": "MODIFY", "dynamodb": {"NewImage": ITEM}}]}),
    ],
)
def test_every_attribute_type_reads_back_as_the_shape_walk_writes_it(service, operation, result):
    assert serialized(DynamoDBSerializer, service, operation, result) == serialized(
        JSONSerializer, service, operation, result
    )


def test_binary_values_go_out_base64_and_nested_ones_too():
    assert attribute_value({"B": b"\x00\xff"}) == {"B": "AP8="}
    assert attribute_value({"M": {"x": {"BS": [b"a"]}}}) == {"M": {"x": {"BS": ["YQ=="]}}}
