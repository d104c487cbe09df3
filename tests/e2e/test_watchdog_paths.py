"""The order watchdog's paths over HTTP, with short timers: a merchant who does not confirm (cancelled or confirmed
as the merchant chose), a scheduled order offered only from its dispatch time, a pickup overdue (alerts, then the
order taken from a rider gone offline to another), an order late against its promise (compensated while it goes
on), and a cancellation mid-way that ends the watchdog cleanly.

Where the test needs what no client can see (the alerts recorded on an order, the watchdog's execution) or time it
cannot wait for (an order's promised time), it acts as AWS itself would, on the cloud's own moto.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from paotui_local.harness import STACK, Cloud, User, point, take_offer, wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e

TIMERS = {
    "CONFIRM_TIMEOUT_SECONDS": "4",
    "PICKUP_TIMEOUT_SECONDS": "4",
    "LATE_GRACE_SECONDS": "1",
    "SCHEDULED_DISPATCH_LEAD_SECONDS": "0",
}


cloud = module_cloud(TIMERS)


def alerts(cloud: Cloud, order_id: str) -> list[tuple[str, dict]]:
    """The alerts recorded on the order (orders.alerts): (kind, detail), oldest first."""
    item = cloud.aws("dynamodb").get_item(
        TableName=f"{STACK}-OrdersTable", Key={"id": {"S": order_id}}, ConsistentRead=True
    )["Item"]
    out = []
    for entry in item.get("alerts", {}).get("L", []):
        fields = entry["M"]
        detail = fields.get("detail", {}).get("M", {})
        out.append((fields["kind"]["S"], {k: next(iter(v.values())) for k, v in detail.items()}))
    return out


def watchdog_states(cloud: Cloud, order_id: str) -> tuple[str, list[str]]:
    """The order's watchdog execution: its status and the states it entered, in order."""
    sfn = cloud.aws("stepfunctions")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == f"{STACK}-OrderWatchdog")
    execution = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{order_id}"
    status = sfn.describe_execution(executionArn=execution)["status"]
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return status, [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def ended(cloud: Cloud, order_id: str) -> tuple[str, list[str]] | None:
    status, states = watchdog_states(cloud, order_id)
    return (status, states) if status != "RUNNING" else None


def paid_order(cloud: Cloud, merchant: dict, customer_spec: dict, **fields) -> tuple[User, dict]:
    customer = cloud.login(customer_spec["phone"])
    body = {
        "merchant_id": merchant["id"],
        "items": [{"product_id": merchant["products"][0]["id"], "quantity": 1}],
        "address": customer_spec["address"],
        **fields,
    }
    placed = customer.post("/orders", json=body, headers={"Idempotency-Key": os.urandom(8).hex()})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    paid = customer.post(f"/orders/{order['id']}/pay", json={"channel": "sandbox"})
    assert paid.status_code == 200, paid.text
    return customer, order


def cancel(merchant_user: User, order_id: str) -> None:
    """The merchant cancels the order: its rider is free for the next test (a busy rider gets no new offer)."""
    cancelled = merchant_user.post(f"/orders/{order_id}/cancel", json={"reason": "测试结束"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED", cancelled.text


def riders(cloud: Cloud) -> list[User]:
    return [cloud.login(spec["phone"]) for spec in cloud.seed()["riders"]]


def offered_to(riders_: list[User], order_id: str) -> list[User]:
    return [rider for rider in riders_ if any(o["order_id"] == order_id for o in rider.offers())]


# --- path 2 ---------------------------------------------------------------------------------------------


def test_an_unconfirmed_order_is_cancelled_and_refunded_by_default(cloud):
    seed = cloud.seed()
    customer, order = paid_order(cloud, seed["merchants"][0], seed["customers"][0])
    cancelled = wait_for(
        lambda: (o := customer.order(order["id"]))["status"] == "CANCELLED" and o, what="the confirm timeout"
    )
    assert cancelled["cancel_reason"] == "merchant_confirm_timeout"
    assert cancelled["timeline"][-1]["by"] == "watchdog"
    told = wait_for(lambda: alerts(cloud, order["id"]), what="the merchant told")  # written after the move
    assert told == [("confirm_timeout", {"action": "cancelled"})]
    refunded = wait_for(
        lambda: (r := customer.order(order["id"]).get("refund")) and r["status"] == "REFUNDED" and r,
        what="the refund",
    )
    assert refunded["refunded"] == order["amounts"]["total"]
    assert wait_for(lambda: ended(cloud, order["id"]), what="the watchdog's end")[1][-1] == "Closed"


def test_a_merchant_that_confirms_on_timeout_gets_the_order_confirmed_and_dispatched(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][1]
    owner = cloud.login(merchant["phone"])
    changed = owner.request("PATCH", f"/merchants/{merchant['id']}", json={"on_confirm_timeout": "confirm"})
    assert changed.status_code == 200 and changed.json()["on_confirm_timeout"] == "confirm", changed.text
    customer, order = paid_order(cloud, merchant, seed["customers"][1])
    confirmed = wait_for(
        lambda: (o := customer.order(order["id"]))["status"] == "CONFIRMED" and o, what="the confirm timeout"
    )
    assert (confirmed["timeline"][-1]["by"], confirmed["timeline"][-1]["reason"]) == ("watchdog", "confirm_timeout")
    told = wait_for(lambda: alerts(cloud, order["id"]), what="the merchant told")  # written after the move
    assert told == [("confirm_timeout", {"action": "confirmed"})]
    take_offer(riders(cloud), order["id"])  # dispatch went on as if the merchant had confirmed
    cancel(owner, order["id"])


# --- path 4 ---------------------------------------------------------------------------------------------


def test_a_scheduled_order_is_offered_to_riders_only_from_its_dispatch_time(cloud):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][0], seed["customers"][0]
    owner = cloud.login(merchant["phone"])
    item = {"product_id": merchant["products"][0]["id"], "quantity": 1}
    quote = cloud.http.post(
        cloud.url("/quotes"),
        json={"merchant_id": merchant["id"], "items": [item], "address": point(spec["address"])},
        timeout=15,
    ).json()
    ride = quote["distance_m"] * 1.3 / 250  # minutes at dispatch's speed (road_detour, delivery_speed_m_per_min)
    assert owner.request("PATCH", f"/merchants/{merchant['id']}", json={"prep_minutes": 1}).status_code == 200
    try:
        # its time: the prep and the ride from now, and a little more, so that dispatch starts in seconds
        at = datetime.now(UTC) + timedelta(minutes=1 + ride, seconds=20)
        customer, order = paid_order(cloud, merchant, spec, scheduled_for=at.isoformat())
        assert owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"}).status_code == 200
        dispatch_at = datetime.fromisoformat(customer.order(order["id"])["dispatch_at"])
        assert 10 < (dispatch_at - datetime.now(UTC)).total_seconds() < 30
        everyone = riders(cloud)
        while datetime.now(UTC) < dispatch_at - timedelta(seconds=2):
            assert offered_to(everyone, order["id"]) == [], "offered before its dispatch time"
            time.sleep(0.5)
        rider = take_offer(everyone, order["id"])
        assert datetime.now(UTC) >= dispatch_at
        assert rider.order(order["id"])["status"] == "ASSIGNED"
        assert "WaitForDispatchTime" in watchdog_states(cloud, order["id"])[1]
        cancel(owner, order["id"])
    finally:
        owner.request("PATCH", f"/merchants/{merchant['id']}", json={"prep_minutes": 10})


# --- path 5 ---------------------------------------------------------------------------------------------


def test_a_pickup_overdue_alerts_then_a_rider_gone_offline_loses_the_order_to_another(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    owner = cloud.login(merchant["phone"])
    customer, order = paid_order(cloud, merchant, seed["customers"][1])
    assert owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"}).status_code == 200
    everyone = riders(cloud)
    slow = take_offer(everyone, order["id"])
    overdue = wait_for(
        lambda: [d for kind, d in alerts(cloud, order["id"]) if kind == "pickup_overdue"], what="the pickup alert"
    )
    assert overdue[0]["reason"] == "rider_not_arrived"
    assert slow.put("/riders/me/availability", json={"online": False}).status_code == 200
    reassigned = wait_for(
        lambda: (o := customer.order(order["id"]))["status"] == "CONFIRMED" and o, what="the reassignment"
    )
    assert reassigned["rider_id"] is None
    assert (reassigned["timeline"][-1]["by"], reassigned["timeline"][-1]["reason"]) == ("watchdog", "rider_offline")
    wait_for(lambda: "rider_reassigned" in [kind for kind, _ in alerts(cloud, order["id"])], what="the alert")
    another = take_offer([r for r in everyone if r.id != slow.id], order["id"])
    assert customer.order(order["id"])["rider_id"] == another.id
    assert order["id"] not in [o["id"] for o in slow.get("/orders", params={"role": "rider"}).json()["items"]]
    cancel(owner, order["id"])
    assert slow.put("/riders/me/availability", json={"online": True}).status_code == 200


# --- path 6 ---------------------------------------------------------------------------------------------


def test_an_order_past_its_promise_is_marked_late_and_compensated_and_still_delivered(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    owner = cloud.login(merchant["phone"])
    customer, order = paid_order(cloud, merchant, seed["customers"][0])
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    cloud.aws("dynamodb").update_item(  # the promise comes due in seconds, not in the ETA's quarter of an hour
        TableName=f"{STACK}-OrdersTable",
        Key={"id": {"S": order["id"]}},
        UpdateExpression="SET promised_at = :soon",
        ExpressionAttributeValues={":soon": {"S": soon}},
    )
    assert owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"}).status_code == 200
    rider = take_offer(riders(cloud), order["id"])
    late = wait_for(lambda: (o := customer.order(order["id"]))["late"] and o, what="the order marked late")
    assert late["late_at"] >= soon
    kinds = wait_for(
        lambda: (k := [kind for kind, _ in alerts(cloud, order["id"])]) and "compensated" in k and k,
        what="the compensation",
    )
    assert kinds.count("late") == kinds.count("compensated") == 1
    rider.deliver(order["id"], code=customer.order(order["id"])["delivery_code"])
    status, states = wait_for(lambda: ended(cloud, order["id"]), what="the watchdog's end")
    assert (status, states[-1]) == ("SUCCEEDED", "Done") and "MarkLate" in states


# --- path 8 ---------------------------------------------------------------------------------------------


def test_a_cancellation_mid_way_ends_the_watchdog_cleanly(cloud):
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    owner = cloud.login(merchant["phone"])
    _, order = paid_order(cloud, merchant, seed["customers"][1])
    assert owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"}).status_code == 200
    take_offer(riders(cloud), order["id"])
    wait_for(lambda: "AwaitPickup" in watchdog_states(cloud, order["id"])[1], what="the pickup wait")
    cancelled = owner.post(f"/orders/{order['id']}/cancel", json={"reason": "卖完了"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED", cancelled.text
    status, states = wait_for(lambda: ended(cloud, order["id"]), what="the watchdog's end")
    assert (status, states[-1]) == ("SUCCEEDED", "Closed")
    assert "ReportFailure" not in states
