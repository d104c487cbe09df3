"""Clients come from one boto3 session, so botocore's data files are read once per container."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from paotui.platform import aws

SERVICES = ("dynamodb", "sqs", "sns", "stepfunctions", "secretsmanager", "s3")


@pytest.fixture(autouse=True)
def fresh_clients():
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_clients_of_every_service_share_one_loader_and_are_kept():
    with ThreadPoolExecutor(len(SERVICES)) as pool:  # at once, as a handler's threads may ask for them
        clients = list(pool.map(aws.client, SERVICES))

    assert len({id(client._loader) for client in clients}) == 1
    assert [client.meta.service_model.service_name for client in clients] == list(SERVICES)
    assert clients == [aws.client(service) for service in SERVICES]


def test_a_client_with_options_of_its_own_reads_the_same_data(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    own = aws.new_client("s3", region_name="us-east-1", endpoint_url="http://files.example.com")

    assert own._loader is aws.client("sqs")._loader
    assert own.meta.endpoint_url == "http://files.example.com"
    assert aws.client("sqs").meta.endpoint_url == "http://127.0.0.1:4566"
