"""AWS clients, created once per container and shared by every invocation.

boto3 clients are thread-safe; resources are not, so only clients are cached.
The endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable, which is
how the local cloud points everything at its embedded moto server.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=2, read_timeout=10)


@cache
def client(service: str) -> Any:
    from paotui.platform.settings import get_settings

    return boto3.session.Session().client(service, region_name=get_settings().aws_region, config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between runs)."""
    client.cache_clear()
