"""The reconciliation sweep over HTTP: a test acting as AWS kills orders' watchdog executions (StopExecution on the
cloud's moto), the sweep (POST /dev/jobs/ReconcileJob) restarts each at its order's step and the order goes on
(an unpaid one is cancelled by the restarted watchdog's payment timeout, a paid one is confirmed and offered to
a rider while the new execution waits for the assignment); an order that keeps losing its watchdog is handed to
operators, who find the incident in GET /admin/incidents and resolve it."""

from __future__ import annotations

import json

import pytest

from paotui_local.harness import Cloud, wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e

SETTINGS = {
    "PAYMENT_TIMEOUT_SECONDS": "12",  # time enough to kill the first execution before it times out
    "RECONCILE_GRACE_SECONDS": "1",
    "RECONCILE_MAX_RUNS": "2",
}
STOPPED = {"ABORTED", "FAILED"}  # AWS aborts a stopped execution; moto's engine fails the task it was waiting on


cloud = module_cloud(SETTINGS)


class Watchdog:
    """The cloud's OrderWatchdog executions and the task tokens its executions wait on (WatchesTable)."""

    def __init__(self, cloud: Cloud) -> None:
        self.sfn, self.dynamodb = cloud.aws("stepfunctions"), cloud.aws("dynamodb")
        machines = self.sfn.list_state_machines()["stateMachines"]
        self.arn = next(m["stateMachineArn"] for m in machines if m["name"].endswith("OrderWatchdog"))
        self.watches = next(t for t in self.dynamodb.list_tables()["TableNames"] if t.endswith("WatchesTable"))

    def execution(self, name: str) -> dict | None:
        arn = f"{self.arn.replace(':stateMachine:', ':execution:')}:{name}"
        try:
            return self.sfn.describe_execution(executionArn=arn)
        except self.sfn.exceptions.ExecutionDoesNotExist:
            return None

    def running(self, name: str) -> dict | None:
        found = self.execution(name)
        return found if found and found["status"] == "RUNNING" else None

    def kill(self, name: str, order_id: str, step: str) -> str:
        """Stop execution ``name`` while it waits on ``step``; returns the task token it waited with. moto's engine
        ends a stopped execution only when its waiting task returns (as FAILED; AWS ends it at once, ABORTED), so
        the wait is released too."""
        wait_for(lambda: self.running(name) and self.token(order_id, step), what=f"{name} waiting on {step}")
        token = self.token(order_id, step)
        self.sfn.stop_execution(executionArn=self.running(name)["executionArn"])
        self.sfn.send_task_failure(taskToken=token, error="Stopped", cause="a lost watchdog")
        wait_for(lambda: self.execution(name)["status"] in STOPPED, what=f"{name} stopped")
        return token

    def token(self, order_id: str, step: str) -> str | None:
        key = {"order_id": {"S": order_id}, "step": {"S": step}}
        item = self.dynamodb.get_item(TableName=self.watches, Key=key, ConsistentRead=True).get("Item")
        return item["task_token"]["S"] if item else None


def sweep(cloud: Cloud) -> dict:
    response = cloud.http.post(cloud.url("/dev/jobs/ReconcileJob"), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def restarted(cloud: Cloud, watchdog: Watchdog, name: str) -> dict:
    """Run the sweep until execution ``name`` runs (the lost one must have been stopped for the grace period)."""
    return wait_for(lambda: sweep(cloud) and watchdog.running(name), what=f"the sweep to start {name}", timeout=30)


def place(cloud: Cloud, seed: dict, customer_index: int, *, paid: bool) -> str:
    merchant, spec = seed["merchants"][0], seed["customers"][customer_index]
    customer = cloud.login(spec["phone"])
    placed = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][0]["id"], "quantity": 1}], spec["address"]
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    if paid:
        assert customer.post(f"/orders/{order_id}/pay", json={"channel": "sandbox"}).status_code == 200
    return order_id


def test_killed_watchdogs_are_restarted_at_their_orders_step_and_the_orders_go_on(cloud):
    seed = cloud.seed()
    watchdog = Watchdog(cloud)
    owner = cloud.login(seed["merchants"][0]["phone"])
    customer = cloud.login(seed["customers"][0]["phone"])
    riders = [cloud.login(rider["phone"]) for rider in seed["riders"]]
    unpaid = place(cloud, seed, 0, paid=False)
    paid = place(cloud, seed, 1, paid=True)
    watchdog.kill(unpaid, unpaid, "payment")
    watchdog.kill(paid, paid, "confirmation")

    for order_id, resume in ((unpaid, "AwaitPayment"), (paid, "AwaitConfirmation")):
        execution = restarted(cloud, watchdog, f"{order_id}.2")
        assert json.loads(execution["input"]) == {"order_id": order_id, "resume": resume}
        assert watchdog.execution(order_id)["status"] in STOPPED

    # the unpaid order: the restarted watchdog's payment timeout cancels it
    timeout = int(SETTINGS["PAYMENT_TIMEOUT_SECONDS"])
    cancelled = wait_for(
        lambda: (order := customer.order(unpaid))["status"] == "CANCELLED" and order,
        what="the restarted watchdog's payment timeout",
        timeout=timeout + 20,
    )
    assert cancelled["cancel_reason"] == "payment_timeout" and cancelled["timeline"][-1]["by"] == "watchdog"

    # the paid order: confirmed, offered to a rider, and the restarted watchdog waits for the assignment
    assert owner.post(f"/orders/{paid}/transitions", json={"to": "CONFIRMED"}).status_code == 200
    wait_for(lambda: any(o["order_id"] == paid for r in riders for o in r.offers()), what="an offer to a rider")
    wait_for(lambda: watchdog.token(paid, "assignment"), what="the restarted watchdog at the assignment")
    assert watchdog.running(f"{paid}.2")
    assert watchdog.execution(f"{paid}.3") is None, "started once, however often the sweep ran"


def test_an_order_that_keeps_losing_its_watchdog_goes_to_operators(cloud):
    seed = cloud.seed()
    watchdog = Watchdog(cloud)
    admin = cloud.login(seed["admin"]["phone"])
    order_id = place(cloud, seed, 0, paid=True)
    first_token = watchdog.kill(order_id, order_id, "confirmation")
    restarted(cloud, watchdog, f"{order_id}.2")
    wait_for(lambda: watchdog.token(order_id, "confirmation") != first_token, what="the restarted watchdog's wait")
    watchdog.kill(f"{order_id}.2", order_id, "confirmation")  # the last run allowed (RECONCILE_MAX_RUNS)

    def incident() -> dict | None:
        sweep(cloud)
        listed = admin.get("/admin/incidents", params={"status": "OPEN", "limit": 100})
        assert listed.status_code == 200, listed.text
        return next((i for i in listed.json()["items"] if i["order_id"] == order_id), None)

    found = wait_for(incident, what="the incident for operators", timeout=30)
    assert found["kind"] == "watchdog_lost" and found["status"] == "OPEN"
    assert found["detail"]["execution"] == f"{order_id}.2" and found["detail"]["status"] == "PAID"
    assert found["detail"]["execution_status"] in STOPPED
    assert watchdog.execution(f"{order_id}.3") is None

    customer = cloud.login(seed["customers"][0]["phone"])
    assert customer.get("/admin/incidents").status_code == 403
    resolved = admin.post(f"/admin/incidents/{found['id']}/resolve", json={"note": "watchdog restarted by hand"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "RESOLVED" and resolved.json()["resolved_by"] == admin.id
    again = admin.post(f"/admin/incidents/{found['id']}/resolve", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "INCIDENT_RESOLVED"
    history = admin.get("/admin/incidents", params={"status": "RESOLVED"}).json()["items"]
    assert [i["id"] for i in history if i["order_id"] == order_id] == [found["id"]]
