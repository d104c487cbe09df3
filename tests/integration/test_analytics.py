"""Analytics against moto: AnalyticsWorker counting order moves once each (duplicates, crashes, concurrent
orders), and the reports operators and merchants read through OpsApi and CatalogApi."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import boto3
import pytest

from tests.integration.builders import (
    LAMBDA_CONTEXT,
    AwsFaults,
    SignedInApi,
    answer,
    confirmed_order,
    crash_at_every_step,
    load_handler,
    make_order,
    merchant_with_products,
    order_event,
    sqs_event,
)
from paotui.platform import clock
from paotui.platform.events import DomainEvent

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"user": "usr_admin", "roles": "admin"}
OWNER = {"user": "usr_owner", "roles": "merchant"}


@pytest.fixture
def worker(aws):
    return load_handler("AnalyticsWorker")


@pytest.fixture
def ops_api(aws):
    return SignedInApi("OpsApi")


@pytest.fixture
def catalog_api(aws):
    return SignedInApi("CatalogApi")


def around_today() -> dict[str, str]:
    """Yesterday to tomorrow (China time): a range that holds an order's moves whatever the hour."""
    today = clock.china_day(clock.now())
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}


def moved_on(order, *moves: tuple[str, float]) -> None:
    """Append (status, minutes after payment) moves to the order's timeline, in memory: the image its events carry."""
    from paotui.orders.records import TimelineEntryMap

    (paid,) = [entry for entry in order.timeline if entry.status == "PAID"]
    paid_at = clock.parse_iso(paid.at)
    for status, minutes in moves:
        at = clock.iso(paid_at + timedelta(minutes=minutes))
        order.timeline.append(TimelineEntryMap(status=status, at=at, by="rider:usr_rider"))


def delivered_order():
    """(order record, its events PAID → CONFIRMED → ASSIGNED → DELIVERED): paid and confirmed for real, then
    assigned 5 and delivered 31 minutes after payment."""
    from paotui.orders.records import OrderRecord

    placed, merchant = confirmed_order()
    order = OrderRecord.get(placed.id)
    moved_on(order, ("ASSIGNED", 5), ("DELIVERED", 31))
    steps = [("PAID", "PENDING_PAYMENT"), ("CONFIRMED", "PAID"), ("ASSIGNED", "CONFIRMED"), ("DELIVERED", "ASSIGNED")]
    return order, merchant, [order_event(order, status, previous) for status, previous in steps]


def paid_event(order_id: str, merchant_id: str | None, total: int, event_id: str | None = None) -> str:
    at = clock.now_iso()
    image = {
        "id": order_id,
        "status": "PAID",
        "merchant_id": merchant_id,
        "channel": "mini_program",
        "amounts": {"items_total": total - 500, "delivery_fee": 500, "total": total},
        "timeline": [{"status": "PAID", "at": at, "by": "system:payments", "reason": None}],
        "updated_at": at,
    }
    return DomainEvent(
        id=event_id or uuid.uuid4().hex,
        type="order.status_changed",
        occurred_at=at,
        subject=order_id,
        data={"order": image, "status": "PAID", "previous_status": "PENDING_PAYMENT"},
    ).model_dump_json()


def failures(response: dict) -> list:
    return response["batchItemFailures"]


def test_an_order_from_payment_to_the_door_shows_in_the_platforms_and_its_merchants_report(
    worker, ops_api, catalog_api
):
    order, merchant, events = delivered_order()
    assert failures(worker(sqs_event(*events), LAMBDA_CONTEXT)) == []

    status, platform = ops_api.call("GET", "/admin/analytics", **ADMIN, query=around_today())
    assert status == 200
    totals = platform["totals"]
    assert (totals["orders"], totals["gmv"], totals["average_order_value"]) == (
        1,
        order.amounts.total,
        order.amounts.total,
    )
    assert (totals["confirmed"], totals["assigned"], totals["delivered"]) == (1, 1, 1)
    assert totals["click_to_door_minutes_mean"] == 31.0
    assert totals["click_to_door_minutes_p50"] == 32.5, "the middle of the one order's bucket, 30–35"
    assert totals["channels"] == {"mini_program": 1}
    assert [day["period"] for day in platform["periods"]] == [
        (clock.china_day(clock.now()) + timedelta(days=offset)).isoformat() for offset in (-1, 0, 1)
    ]
    assert sum(day["orders"] for day in platform["periods"]) == 1

    status, own = catalog_api.call("GET", f"/merchants/{merchant.id}/analytics", **OWNER, query=around_today())
    assert (status, own["merchant_id"], own["totals"]) == (200, merchant.id, totals)
    assert own["dishes"] == [{"product_id": order.items[0].product_id, "quantity": 1}]
    assert platform["dishes"] == [], "dishes are the merchant's figures"


def test_a_fact_is_counted_once_whichever_event_brings_it_and_however_often(worker, ops_api):
    order, _, events = delivered_order()
    paid_again = order_event(order, "PAID", "PENDING_PAYMENT")  # another stream record of the same move
    assert failures(worker(sqs_event(events[0], events[0], paid_again), LAMBDA_CONTEXT)) == []
    assert failures(worker(sqs_event(events[0]), LAMBDA_CONTEXT)) == []  # a redelivery, after the batch

    totals = ops_api.call("GET", "/admin/analytics", **ADMIN, query=around_today())[1]["totals"]
    assert (totals["orders"], totals["gmv"]) == (1, order.amounts.total)
    facts = boto3.client("dynamodb").get_item(
        TableName="paotui-analytics", Key={"scope": {"S": f"fact#{order.id}"}, "period": {"S": "paid"}}
    )["Item"]
    assert facts["event_id"]["S"] == json.loads(events[0])["id"], "the first event's, not the others'"


def test_the_platform_report_adds_up_its_shards_and_a_merchant_sees_only_its_own(worker, ops_api, catalog_api):
    mine, _ = merchant_with_products()
    events = [paid_event(f"ord_{n:03d}", mine.id if n < 4 else "mer_other", 2000) for n in range(20)]
    events.append(paid_event("ord_errand", None, 1500))
    assert failures(worker(sqs_event(*events[:10]), LAMBDA_CONTEXT)) == []
    assert failures(worker(sqs_event(*events[10:]), LAMBDA_CONTEXT)) == []

    scopes = {
        item["scope"]["S"]
        for item in boto3.client("dynamodb").scan(TableName="paotui-analytics")["Items"]
        if item["scope"]["S"].startswith("all#")
    }
    assert len(scopes) > 1, "21 orders spread over several platform shards"
    platform = ops_api.call("GET", "/admin/analytics", **ADMIN, query=around_today())[1]["totals"]
    assert (platform["orders"], platform["gmv"]) == (21, 20 * 2000 + 1500)
    own = catalog_api.call("GET", f"/merchants/{mine.id}/analytics", **OWNER, query=around_today())[1]["totals"]
    assert (own["orders"], own["gmv"]) == (4, 8000)


def test_orders_counted_at_once_lose_no_count(aws, serialized_moto):
    """Eight workers counting forty orders of one merchant at the same moment: transactions that collide are tried
    again, none is lost and none counted twice."""
    from paotui.analytics import counters
    from paotui.analytics.facts import fact_of
    from paotui.analytics.report import report

    images = [json.loads(paid_event(f"ord_{n:03d}", "mer_busy", 1000 + n))["data"]["order"] for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = list(pool.map(lambda image: counters.apply(fact_of(image, "PAID"), uuid.uuid4().hex), images * 2))
    assert counted.count(True) == 40
    today = clock.china_day(clock.now())
    totals = report("mer_busy", today - timedelta(days=1), today + timedelta(days=1), "day").totals
    assert (totals.orders, totals.gmv) == (40, sum(1000 + n for n in range(40)))


def test_a_transaction_cancelled_by_a_conflict_is_tried_again_and_counts_once(aws, monkeypatch):
    """DynamoDB cancels a transaction that touches an item another one is writing (moto never does): the fact
    is tried again, not taken for counted."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from paotui.analytics import counters
    from paotui.analytics.facts import fact_of
    from paotui.analytics.report import report

    original, conflicts = BaseClient._make_api_call, []

    def conflicting_once(client, operation, params):
        if operation == "TransactWriteItems" and not conflicts:
            reasons = [{"Code": "None"}] + [{"Code": "TransactionConflict"}] * (len(params["TransactItems"]) - 1)
            conflicts.append(operation)
            error = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
            raise ClientError(error, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", conflicting_once)
    image = json.loads(paid_event("ord_conflict", "mer_busy", 2300))["data"]["order"]
    assert counters.apply(fact_of(image, "PAID"), "evt-1") is True
    assert conflicts == ["TransactWriteItems"]
    today = clock.china_day(clock.now())
    assert report("mer_busy", today - timedelta(days=1), today + timedelta(days=1), "day").totals.gmv == 2300


def test_the_worker_counts_a_fact_exactly_once_whichever_call_fails_or_kills_it(aws, monkeypatch):
    from paotui.analytics.counters import summed

    faults = AwsFaults(monkeypatch)
    worker = load_handler("AnalyticsWorker")

    def a_payment():
        merchant_id = f"mer_{uuid.uuid4().hex}"
        event = paid_event(f"ord_{uuid.uuid4().hex}", merchant_id, 2600)

        def observe():
            by_day = summed([f"merchant#{merchant_id}"], "day#", "day#~")
            return [dict(counts) for counts in by_day.values()]

        return sqs_event(event), observe

    assert crash_at_every_step(faults, worker, a_payment)


def test_a_report_by_hour_has_a_row_per_china_hour_and_bad_ranges_are_refused(worker, ops_api):
    _, _, events = delivered_order()
    worker(sqs_event(events[0]), LAMBDA_CONTEXT)
    paid_at = datetime.fromisoformat(json.loads(events[0])["data"]["order"]["timeline"][1]["at"].replace("Z", "+00:00"))
    day = clock.china_date(paid_at)
    status, hourly = ops_api.call("GET", "/admin/analytics", **ADMIN, query={"from": day, "by": "hour"})
    assert status == 200 and len(hourly["periods"]) == 24
    busy = [row["period"] for row in hourly["periods"] if row["orders"]]
    assert busy == [f"{paid_at.astimezone(clock.CHINA):%Y-%m-%dT%H}"]

    refused = [
        ({"from": "2026-11-27", "to": "2026-11-26"}, 422, "INVALID_RANGE"),
        ({"from": "2026-11-01", "to": "2026-11-03", "by": "hour"}, 422, "RANGE_TOO_LONG"),
        ({"from": "2026-01-01", "to": "2026-12-31"}, 422, "RANGE_TOO_LONG"),
    ]
    for query, expected_status, code in refused:
        status, body = ops_api.call("GET", "/admin/analytics", **ADMIN, query=query)
        assert (status, body["error"]["code"]) == (expected_status, code), query
    assert ops_api.call("GET", "/admin/analytics", **ADMIN, query={"by": "week"})[0] == 422
    assert ops_api.call("GET", "/admin/analytics", **ADMIN, query={"from": "27/11/2026"})[0] == 422


def test_only_admins_read_the_platform_and_only_the_owner_a_merchants_report(ops_api, catalog_api):
    _, merchant, _ = delivered_order()
    assert ops_api.call("GET", "/admin/analytics", user="usr_owner", roles="merchant")[0] == 403
    status, body = catalog_api.call("GET", f"/merchants/{merchant.id}/analytics", user="usr_else", roles="merchant")
    assert (status, body["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")
    assert catalog_api.call("GET", f"/merchants/{merchant.id}/analytics", **ADMIN)[0] == 200
    status, body = catalog_api.call("GET", "/merchants/mer_nope/analytics", **ADMIN)
    assert (status, body["error"]["code"]) == (404, "MERCHANT_NOT_FOUND")


def test_the_sample_events_run_through_the_handlers(worker):
    delivered = json.loads((ROOT / "events" / "AnalyticsWorker" / "order-delivered.json").read_text(encoding="utf-8"))
    assert failures(worker(delivered, LAMBDA_CONTEXT)) == []
    report = json.loads((ROOT / "events" / "OpsApi" / "platform-analytics.json").read_text(encoding="utf-8"))
    status, body = answer(load_handler("OpsApi")(report, LAMBDA_CONTEXT))
    assert (status, body["start"], body["end"], len(body["periods"])) == (200, "2026-01-15", "2026-01-21", 7)
    assert body["totals"]["delivered"] == 1, "the sample's delivery, on 2026-01-15 China time"


# --- the backfill: orders from before AnalyticsWorker ---------------------------------------------------------


def placed_days_ago(days: int):
    """An order paid, confirmed and assigned ``days`` ago (its timeline and China day moved back), as the Orders
    table would hold one from then."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    order = make_order(f"ord_{uuid.uuid4().hex}", status="ASSIGNED", rider_id="usr_rider")
    then = clock.now() - timedelta(days=days)
    order.timeline = [
        TimelineEntryMap(status=status, at=clock.iso(then + timedelta(minutes=minute)), by="test")
        for status, minute in (("PENDING_PAYMENT", 0), ("PAID", 1), ("CONFIRMED", 3), ("ASSIGNED", 6))
    ]
    order.created_at, order.created_day = clock.iso(then), clock.china_date(then)
    order.save()
    return OrderRecord.get(order.id)


def test_the_backfill_counts_orders_from_before_analytics_once(aws):
    from paotui.analytics.backfill import backfill
    from paotui.analytics.report import report

    orders = [placed_days_ago(3) for _ in range(3)]
    day = clock.china_day(clock.parse_iso(orders[0].created_at))
    assert backfill(day - timedelta(days=1), day + timedelta(days=1)) == {
        "orders": 3,
        "counted": 9,  # paid, confirmed and assigned, each
        "already": 0,
        "skipped": 0,
    }
    totals = report(None, day - timedelta(days=1), day + timedelta(days=1), "day").totals
    assert (totals.orders, totals.confirmed, totals.assigned) == (3, 3, 3)
    assert totals.gmv == sum(order.amounts.total for order in orders)
    assert backfill(day, day) == {"orders": 3, "counted": 0, "already": 9, "skipped": 0}, "a second run adds nothing"


def test_the_backfill_skips_what_the_worker_may_have_counted_and_forgotten(aws, worker):
    """Counters from 60 days ago on: the worker was running then. A move 40 days ago may have been counted, its
    fact item gone since (35 days); one 10 days ago still has its item if it was counted."""
    from paotui.analytics import counters
    from paotui.analytics.backfill import backfill
    from paotui.analytics.facts import fact_of

    long_ago = json.loads(paid_event("ord_then", "mer_then", 1000))["data"]["order"]
    long_ago["timeline"][0]["at"] = clock.iso(clock.now() - timedelta(days=60))
    counters.apply(fact_of(long_ago, "PAID"), "evt-then")  # the first counters: analytics was live 60 days ago

    forgotten, kept = placed_days_ago(40), placed_days_ago(10)
    worker(sqs_event(order_event(kept, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)  # counted live
    result = backfill(clock.china_day(clock.now()) - timedelta(days=41), clock.china_day(clock.now()))
    assert result == {"orders": 2, "counted": 2, "already": 1, "skipped": 3}
    assert forgotten.id not in {item["scope"]["S"].removeprefix("fact#") for item in fact_items()}


def fact_items() -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName="paotui-analytics")["Items"]
    return [item for item in items if item["scope"]["S"].startswith("fact#")]


def test_the_backfill_runs_from_the_command_line(aws, capsys):
    from paotui.analytics.backfill import main

    order = placed_days_ago(2)
    day = clock.china_date(clock.parse_iso(order.created_at))
    assert main([day, day]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "orders": 1,
        "counted": 3,
        "already": 0,
        "skipped": 0,
    }
    with pytest.raises(SystemExit):
        main([day, "2000-01-01"])
