"""Secrets from Secrets Manager, cached per container for five minutes (rotation-friendly)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from paotui.platform.aws import client

MAX_AGE_SECONDS = 300


@lru_cache(maxsize=4)
def _provider(secrets_client: Any) -> SecretsProvider:
    # Keyed by the shared client, so reset_clients() (tests, the local cloud) also drops the cache.
    # (parameters.get_secret() would build its own client: it takes no boto3_client.)
    return SecretsProvider(boto3_client=secrets_client)


def secret_value(arn: str) -> str:
    return _provider(client("secretsmanager")).get(arn, max_age=MAX_AGE_SECONDS)
