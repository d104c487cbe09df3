"""One component against moto: every table the domain declares, created fresh per test.

Tables are created from the pynamodb record classes (the same key schema,
GSIs and streams template.yaml declares; tests/unit/test_template.py keeps the
two in step). Secrets the services read are created too.
"""

from __future__ import annotations

import importlib
import inspect

import boto3
import pytest
from moto import mock_aws
from pynamodb.models import Model

RECORD_MODULES = (
    "paotui.accounts.records",
    "paotui.catalog.records",
    "paotui.orders.records",
    "paotui.payments.records",
    "paotui.riders.records",
    "paotui.dispatch.records",
    "paotui.workflow.records",
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
                classes[value.Meta.table_name] = value
    return list(classes.values())


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
    for env_name, value in (("JWT_SECRET_ARN", "test-jwt-secret-" + "x" * 48), ("PAYMENT_SECRET_ARN", "test-payment-secret-" + "y" * 44)):
        arns[env_name] = secrets.create_secret(Name=env_name.lower(), SecretString=value)["ARN"]
        os.environ[env_name] = arns[env_name]
    return arns


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with every table and secret; clients cached by paotui are reset."""
    from paotui.platform import aws as aws_clients
    from paotui.platform.settings import get_settings

    with mock_aws():
        aws_clients.reset_clients()
        for record in record_classes():
            record.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        create_outbox_table()
        create_idempotency_table()
        create_secrets()
        get_settings.cache_clear()
        yield
        aws_clients.reset_clients()
        get_settings.cache_clear()
