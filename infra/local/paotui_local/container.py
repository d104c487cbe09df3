"""A Lambda execution environment: a child process that loads one handler and runs invocations.

The parent (functions.Container) starts :func:`run` in a process forked from a
server that has already imported the libraries every handler uses (see
functions.container_processes), and speaks JSON over a pipe: an event in, a
result or an error out, as the Lambda runtime API does. JSON on the wire also
catches a handler returning something Lambda could not serialize. The child
runs with the environment the parent gives it, and its stdout (where
Powertools writes logs and metrics) is the parent's stderr.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any


_CLOUD_CHECK_SECONDS = 1.0


class LambdaContext:
    """The context object of the Python Lambda runtime (memory_limit_in_mb is a string there too)."""

    def __init__(self, function: dict[str, Any], container_id: str, request_id: str):
        self.function_name = function["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = function["arn"]
        self.memory_limit_in_mb = str(function["memory_mb"])
        self.aws_request_id = request_id
        self.log_group_name = function["log_group"]
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{container_id}"
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + function["timeout"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def exec_handler_module(path: str, module_name: str) -> ModuleType:
    """Execute a handler file as module ``module_name`` (registered, as pydantic looks classes up there)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(module_name)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if previous is None:
            del sys.modules[module_name]
        else:
            sys.modules[module_name] = previous
        raise
    return module


def _error(error: BaseException) -> dict[str, Any]:
    return {"error": {"type": type(error).__name__, "message": str(error), "trace": traceback.format_exc()}}


def serve(connection: Connection, function: dict[str, Any]) -> None:
    def reply(message: dict[str, Any]) -> None:
        connection.send_bytes(json.dumps(message).encode())

    try:
        module = exec_handler_module(function["handler_file"], function["module_name"])
        handler = getattr(module, function["handler_function"], None)
        if not callable(handler):
            reply({"missing": f"{function['logical_id']}: no function {function['handler_function']}"})
            return
    except BaseException as error:  # noqa: BLE001 (reported to the parent, which raises it)
        reply(_error(error))
        return
    reply({"ready": True})
    container_id = uuid.uuid4().hex
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:  # the parent closed its end: the container is stopped
            return
        try:
            result = handler(request["event"], LambdaContext(function, container_id, request["request_id"]))
            reply({"ok": result})
        except Exception as error:  # noqa: BLE001 (the function's error, reported as Lambda does)
            reply(_error(error))


def run(connection: Connection, function: dict[str, Any], environment: dict[str, str], cloud_pid: int) -> None:
    """The container process's entry point: the parent's environment and stderr, then serve until stopped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C is for it
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    os.environ.clear()
    os.environ.update(environment)
    threading.Thread(target=_end_with, args=(cloud_pid,), name="end-with-the-cloud", daemon=True).start()
    with connection:
        serve(connection, function)


def _end_with(cloud_pid: int) -> None:
    """End this environment once the cloud that started it is gone, as Lambda's end with the service. A killed cloud
    can't stop its containers, and one in the middle of a batch would retry every call against the dead endpoint
    for minutes (seen: 5), still holding the fork server and maybe reaching a new cloud given the same port."""
    while True:
        time.sleep(_CLOUD_CHECK_SECONDS)
        try:
            os.kill(cloud_pid, 0)
        except ProcessLookupError:
            os._exit(0)
