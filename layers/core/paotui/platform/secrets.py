"""Secrets from Secrets Manager, cached per container for five minutes (rotation-friendly), and a provider's config
read from its secret's JSON."""

from __future__ import annotations

import json
from dataclasses import fields
from functools import lru_cache
from typing import Any, TypeVar

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


Config = TypeVar("Config")


def config_from_secret(config_type: type[Config], json_text: str, provider: str) -> Config:
    """A provider's config dataclass from its Secrets Manager secret's JSON; ValueError, naming the provider, for
    anything else.

    Unknown keys are refused: a misspelt optional key (``base_url``) must not
    silently fall back to its default.
    """
    data: Any = json.loads(json_text)
    known = {field.name for field in fields(config_type)}  # type: ignore[arg-type]
    if not isinstance(data, dict) or set(data) - known:
        unexpected = sorted(set(data) - known) if isinstance(data, dict) else "not an object"
        raise ValueError(f"{provider} secret: unexpected keys {unexpected}")
    try:
        return config_type(**data)
    except TypeError as error:  # a required key missing
        raise ValueError(f"{provider} secret: {error}") from None


def optional_config_from_secret(config_type: type[Config], json_text: str, provider: str) -> Config | None:
    """As :func:`config_from_secret`, but ``{}``, as the stack creates a provider's secret, is None: the provider is
    off until an operator puts its keys in."""
    if json.loads(json_text or "{}") == {}:
        return None
    return config_from_secret(config_type, json_text, provider)
