"""AWS clients, created once per container and shared by every invocation.

boto3 clients are thread-safe; resources are not, so only clients are cached.
The endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable, which is
how the local cloud points everything at its embedded moto server.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=2, read_timeout=10)
_making_clients = threading.Lock()  # a boto3 session is not thread-safe; the clients it makes are


@cache
def _session() -> boto3.session.Session:
    """The session every client comes from. Each new session reads botocore's endpoint and service data again
    (40–170 ms a client, at cold start); one session reads each file once."""
    return boto3.session.Session()


def new_client(service: str, **options: Any) -> Any:
    """A client of its own, from the shared session: for options the shared clients don't have."""
    with _making_clients:
        return _session().client(service, **options)


@cache
def client(service: str) -> Any:
    from paotui.platform.settings import get_settings

    return new_client(service, region_name=get_settings().aws_region, config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between runs). The session stays: it holds only
    botocore's data files and the credentials, and each new client reads the endpoint from the environment."""
    client.cache_clear()
