"""The order watchdog's side of the task-token handshake (docs/architecture.md).

The state machine posts ``watchdog.await`` with a task token; we store it and
answer it as soon as the order reaches that step, whichever comes first: the
token or the status change. Both paths check after writing, so neither order
of arrival loses a wake-up; answering twice is harmless.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, DoesNotExist

from paotui.orders import service as orders
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.workflow.records import WatchRecord
from paotui.workflow.steps import STEPS, is_closed, is_reached

ORDER_CLOSED = "OrderClosed"
_GONE = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken", "ExecutionDoesNotExist"}
_TOKEN_TTL_SECONDS = 7 * 24 * 3600


def start_watch(order_id: str) -> None:
    """One execution per order, named by the order id; a duplicate start is a no-op."""
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=get_settings().watchdog_state_machine_arn,
            name=order_id,
            input=json.dumps({"order_id": order_id}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def register_token(order_id: str, step: str, token: str) -> None:
    WatchRecord(
        order_id=order_id,
        step=step,
        task_token=token,
        created_at=clock.now_iso(),
        ttl=clock.epoch_seconds() + _TOKEN_TTL_SECONDS,
    ).save()
    sync(order_id, Status(orders.get_order(order_id).status), steps=(step,))


def sync(order_id: str, status: Status, steps: tuple[str, ...] = STEPS) -> None:
    """Answer every stored token the order's status settles."""
    for step in steps:
        if is_closed(status):
            fail_step(order_id, step, ORDER_CLOSED, f"order is {status.value}")
        elif is_reached(step, status):
            resolve_step(order_id, step)


def resolve_step(order_id: str, step: str) -> None:
    watch = _watch(order_id, step)
    if watch:
        _answer(watch, lambda sfn: sfn.send_task_success(taskToken=watch.task_token, output="{}"))


def fail_step(order_id: str, step: str, error: str, cause: str) -> None:
    watch = _watch(order_id, step)
    if watch:
        _answer(watch, lambda sfn: sfn.send_task_failure(taskToken=watch.task_token, error=error, cause=cause[:256]))


def _watch(order_id: str, step: str) -> WatchRecord | None:
    try:
        return WatchRecord.get(order_id, step, consistent_read=True)
    except DoesNotExist:
        return None


def _answer(watch: WatchRecord, send) -> None:
    try:
        send(client("stepfunctions"))
    except ClientError as error:
        if error.response["Error"]["Code"] not in _GONE:
            raise
    try:
        watch.delete(condition=WatchRecord.task_token == watch.task_token)
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # otherwise a newer token for the same step replaced this one: keep it


def handle_timeout(order_id: str, step: str) -> None:
    """The watchdog gave up waiting: act for the platform."""
    if step == "payment":
        from paotui.payments.channels import default_providers  # only a payment timeout talks to the providers
        from paotui.payments.service import close_unpaid

        if close_unpaid(order_id, default_providers()):
            return  # paid after all: the payment was applied instead
        orders.system_transition(
            order_id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout", by="watchdog"
        )
    elif step == "confirmation":
        orders.system_transition(
            order_id, Status.CANCELLED, expected={Status.PAID}, reason="merchant_confirm_timeout", by="watchdog"
        )
    elif step == "delivery":
        logger.warning("delivery overdue", extra={"order_id": order_id})
        metrics.add_metric(name="DeliveryOverdue", unit="Count", value=1)
    else:
        raise ValueError(f"unknown watchdog step {step!r}")
