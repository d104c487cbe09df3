"""Alerts on an order: appended once per (kind, key), never touching the order's version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.integration.builders import make_order


def test_an_alert_is_appended_once_and_leaves_the_version_alone(aws):
    from paotui.orders.alerts import record_alert
    from paotui.orders.records import OrderRecord

    order = make_order()
    assert record_alert(order.id, "pickup_overdue", detail={"minutes": 12}) is True
    assert record_alert(order.id, "pickup_overdue", detail={"minutes": 13}) is False
    assert record_alert(order.id, "no_rider", key="2", detail={"eta": "2026-11-26T12:00:00Z"}) is True

    stored = OrderRecord.get(order.id, consistent_read=True)
    assert [(alert.kind, alert.detail.as_dict() if alert.detail else None) for alert in stored.alerts] == [
        ("pickup_overdue", {"minutes": 12}),
        ("no_rider", {"eta": "2026-11-26T12:00:00Z"}),
    ]
    assert stored.version == order.version and stored.status == order.status


def test_concurrent_writers_of_one_alert_append_it_once(aws, serialized_moto, fine_thread_switching):
    from paotui.orders.alerts import record_alert
    from paotui.orders.records import OrderRecord

    order = make_order()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: record_alert(order.id, "late"), range(6)))

    assert results.count(True) == 1
    assert len(OrderRecord.get(order.id, consistent_read=True).alerts) == 1
