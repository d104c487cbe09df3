"""One component against moto: every table the domain declares, created fresh per test.

Tables are created from the pynamodb record classes (the same key schema,
GSIs and streams template.yaml declares; tests/unit/test_template.py keeps the
two in step), once per worker; each test's account gets empty copies of them.
Secrets the services read are created too.

Fixtures live here (pytest finds them; never import them); plain helpers live
in builders.py.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import NamedTuple

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from pynamodb.models import Model

from paotui_local.dynamodb_items import serialize_items_directly
from paotui_local.dynamodb_transactions import roll_back_in_place
from paotui_local.stepfunctions_executions import (
    compile_each_json_path_once,
    parse_each_definition_once,
    stop_from_the_start,
)

RECORD_MODULES = (
    "paotui.accounts.records",
    "paotui.catalog.records",
    "paotui.orders.records",
    "paotui.payments.records",
    "paotui.riders.records",
    "paotui.riders.earnings_records",
    "paotui.dispatch.records",
    "paotui.workflow.records",
    "paotui.notify.records",
    "paotui.coupons.records",
    "paotui.ops.records",
    "paotui.analytics.records",
    "paotui.settlement.records",
)


def record_classes() -> list[type[Model]]:
    classes: dict[str, type[Model]] = {}
    for name in RECORD_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise
            continue
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Model) and value is not Model and hasattr(value.Meta, "table_name"):
                # models sharing a table: the one that declares its indexes makes it
                current = classes.get(value.Meta.table_name)
                if current is None or len(_indexes(value)) > len(_indexes(current)):
                    classes[value.Meta.table_name] = value
    return list(classes.values())


def _indexes(record: type[Model]) -> list:
    return record._get_schema().get("global_secondary_indexes", [])


def create_outbox_table() -> None:
    import os

    boto3.client("dynamodb").create_table(
        TableName=os.environ["OUTBOX_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "to", "KeyType": "HASH"}, {"AttributeName": "sent_at_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "to", "AttributeType": "S"},
            {"AttributeName": "sent_at_id", "AttributeType": "S"},
        ],
    )


def create_idempotency_table() -> None:
    from paotui.platform.settings import get_settings

    boto3.client("dynamodb").create_table(
        TableName=get_settings().idempotency_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )


def create_secrets() -> dict[str, str]:
    import os

    secrets = boto3.client("secretsmanager")
    arns = {}
    for env_name, value in (
        ("JWT_SECRET_ARN", "test-jwt-secret-" + "x" * 48),
        ("PAYMENT_SECRET_ARN", "test-payment-secret-" + "y" * 44),
    ):
        arns[env_name] = secrets.create_secret(Name=env_name.lower(), SecretString=value)["ARN"]
        os.environ[env_name] = arns[env_name]
    return arns


def create_notify_queue() -> str:
    """NotifyQueue, where NotifyWorker sends itself delayed offer reminders (NOTIFY_QUEUE_URL)."""
    return boto3.client("sqs").create_queue(QueueName="paotui-notify")["QueueUrl"]


def create_dispatch_queue() -> str:
    """DispatchQueue, where RidersApi announces a rider coming online (DISPATCH_QUEUE_URL)."""
    return boto3.client("sqs").create_queue(QueueName="paotui-dispatch")["QueueUrl"]


@cache
def _default_session() -> boto3.session.Session:
    """boto3's default session for every test of the worker: mock_aws clears it, and a new one reads botocore's
    endpoint and service data again (~150 ms a test)."""
    return boto3.session.Session()


@cache
def _empty_tables() -> tuple[Table, ...]:
    """Every table, made once per worker as create_table makes them; each test gets copies (1 ms, where creating
    them took ~150 ms a test)."""
    with mock_aws():
        boto3.DEFAULT_SESSION = _default_session()
        for record in record_classes():
            record.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        create_outbox_table()
        create_idempotency_table()
        regions = [backend for account in dynamodb_backends.values() for backend in account.values()]
        return tuple(table for backend in regions for table in backend.tables.values())


@contextmanager
def fresh_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account with every table and secret, NotifyQueue and DispatchQueue; clients cached by paotui
    are reset."""
    from paotui.platform import aws as aws_clients
    from paotui.platform.settings import get_settings

    serialize_items_directly()
    roll_back_in_place()
    parse_each_definition_once()
    compile_each_json_path_once()
    stop_from_the_start()
    tables = _empty_tables()
    with mock_aws():
        boto3.DEFAULT_SESSION = _default_session()  # mock_aws puts back the one it found when it ends
        aws_clients.reset_clients()
        for table in tables:
            dynamodb_backends[table.account_id][table.region_name].tables[table.name] = copy.deepcopy(table)
        create_secrets()
        monkeypatch.setenv("NOTIFY_QUEUE_URL", create_notify_queue())
        monkeypatch.setenv("DISPATCH_QUEUE_URL", create_dispatch_queue())
        get_settings.cache_clear()
        yield
        aws_clients.reset_clients()
        get_settings.cache_clear()


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with every table and secret, NotifyQueue and DispatchQueue; clients cached by paotui
    are reset."""
    with fresh_account(monkeypatch):
        yield


@pytest.fixture(scope="module")
def module_aws():
    """The ``aws`` account, shared by a whole test module (a sweep of many requests against one set of records)."""
    with pytest.MonkeyPatch.context() as monkeypatch, fresh_account(monkeypatch):
        yield


class _Gate(NamedTuple):
    barrier: threading.Barrier
    on_arrival: Callable[[], None] | None
    arrived: list[str]


class SerializedMoto:
    """moto answering one request at a time; see the ``serialized_moto`` fixture."""

    def __init__(self) -> None:
        self._one_at_a_time = threading.Lock()
        self._gates_lock = threading.Lock()
        self._gates: dict[str, _Gate] = {}

    def gather(
        self, operation: str, parties: int, *, on_arrival: Callable[[], None] | None = None, timeout: float = 10
    ) -> list[str]:
        """Hold the next ``parties`` requests of ``operation`` (e.g. "TransactWriteItems") until all have arrived.

        They then go on, still one at a time. They are held before moto's
        lock, so every thread has done all it does before that request (its
        reads, its checks) before any of them is applied. ``on_arrival`` runs
        in each arriving thread before it waits. Returns the names of the
        threads that arrived, filled in as they do.
        """
        gate = _Gate(threading.Barrier(parties, timeout=timeout), on_arrival, [])
        with self._gates_lock:
            self._gates[operation] = gate
        return gate.arrived

    def process(self, unlocked, stubber, request):
        gate = self._claim_gate(request)
        if gate is not None:
            if gate.on_arrival is not None:
                gate.on_arrival()
            gate.barrier.wait()
        with self._one_at_a_time:
            return unlocked(stubber, request)

    def _claim_gate(self, request) -> _Gate | None:
        target = request.headers.get("X-Amz-Target") or b""
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        with self._gates_lock:
            gate = self._gates.get(operation)
            if gate is None:
                return None
            gate.arrived.append(threading.current_thread().name)
            if len(gate.arrived) == gate.barrier.parties:
                del self._gates[operation]  # later requests of this operation go straight on
            return gate


@pytest.fixture
def serialized_moto(monkeypatch) -> SerializedMoto:
    """One moto request at a time, for tests that call moto from several threads.

    moto has no locks. A conditional write checks, then writes, and another
    thread's write can land in between, so two conditional writes can both
    succeed. TransactWriteItems deep-copies every table the transaction touches
    and, if the transaction is cancelled, puts those copies back: a write
    another thread made in between is silently lost (or the copy fails on a
    dict changing under it). Real DynamoDB does neither. A lock around moto's
    request entry point (``BotocoreStubber.process_request``, which every
    mocked boto3 call goes through) makes each request atomic, so threads still
    race between requests, which is where the application's races are, but not
    inside moto. Use it in every test that calls moto from several threads.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    serialized = SerializedMoto()
    unlocked = BotocoreStubber.process_request

    def process_request(self, request):
        return serialized.process(unlocked, self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)
    return serialized


@pytest.fixture
def fine_thread_switching():
    """Switch threads often, so that a few threads' requests really interleave (at a cost in speed)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)
