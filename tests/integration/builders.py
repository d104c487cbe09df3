"""Small builders for integration tests: a merchant with products, principals, SQS/stream events."""

from __future__ import annotations

import json
import uuid
from typing import Any

from paotui.platform.auth import Principal
from paotui.platform.events import DomainEvent

SHOP = {"lat": 31.2335, "lng": 121.4760}
HOME = {"lat": 31.2304, "lng": 121.4737, "detail": "人民广场 1 号楼", "contact_name": "陈女士", "contact_phone": "+8613800000301"}
DELIVERY = {"radius_m": 5000, "base_fee": 500, "base_distance_m": 3000, "tiers": [{"up_to_m": 5000, "fee_per_km": 100}], "min_order": 0}


def principal(user_id: str, *roles: str) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles))


def merchant_with_products(*stocks: int, owner_id: str = "usr_owner") -> tuple[Any, list[Any]]:
    from paotui.catalog.service import add_product, create_merchant

    merchant = create_merchant(
        owner_id=owner_id, name="老王生煎", phone="+8613800000101", location=SHOP,
        address="南京东路 100 号", delivery=DELIVERY, prep_minutes=10,
    )
    products = [add_product(merchant.id, f"item {i}", 1000 + i, stock) for i, stock in enumerate(stocks)]
    return merchant, products


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "rh",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def order_event(order: Any, status: str, previous: str, event_id: str | None = None) -> str:
    from paotui.platform.stream_router import plain

    image = plain(json.loads(json.dumps(order.to_simple_dict())))
    return DomainEvent(
        id=event_id or str(uuid.uuid4()),
        type="order.status_changed",
        occurred_at="2026-11-25T00:00:00.000Z",
        subject=order.id,
        data={"order": {**image, "status": status}, "status": status, "previous_status": previous},
    ).model_dump_json()
