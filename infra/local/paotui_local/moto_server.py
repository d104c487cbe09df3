"""The embedded moto server, with DynamoDB made atomic per request as the real service is.

moto's DynamoDB backend takes no locks: a conditional write checks and then
writes, and a cancelled transaction restores copies of whole tables. Real
DynamoDB applies each request atomically, and our correctness under
concurrency (one rider per order, never oversell) rests on that. Functions run
in separate processes here, so their requests meet concurrently in this
server; serializing DynamoDB requests restores the guarantee without slowing
SQS long polls or Step Functions.

A cancelled transaction is undone item by item in the live tables
(``paotui_local.dynamodb_transactions``), not by swapping in whole-table copies.
Step Functions parses each definition once, and an execution can be stopped
from the moment it starts (``paotui_local.stepfunctions_executions``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto import backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from paotui_local.dynamodb_items import serialize_items_directly
from paotui_local.dynamodb_transactions import roll_back_in_place
from paotui_local.stepfunctions_executions import (
    compile_each_json_path_once,
    parse_each_definition_once,
    stop_from_the_start,
)
from paotui_local.stream_appends import count_appends

_ATOMIC_TARGETS = ("DynamoDB_", "DynamoDBStreams_")


class AtomicDynamoDB:
    """WSGI middleware: one DynamoDB request at a time, everything else as it comes."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(_ATOMIC_TARGETS):
            return self.app(environ, start_response)
        with self._lock:
            return list(self.app(environ, start_response))  # the whole response inside the lock


def list_backends_once() -> None:
    """moto routes each request by looking its host up in a listing of moto's package directory, made afresh each
    time (a stat per entry, twice a request: 8% of the local cloud's CPU in an offer-latency run); make it once."""
    listing = backends.list_of_moto_modules
    if getattr(listing, "listed_once", False):
        return
    listed_once = functools.cache(lambda: tuple(listing()))
    listed_once.listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = listed_once


class LocalMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        list_backends_once()
        roll_back_in_place()
        count_appends()
        serialize_items_directly()
        parse_each_definition_once()
        compile_each_json_path_once()
        stop_from_the_start()
        self._server = make_server(
            self._ip_address,
            self._port,
            AtomicDynamoDB(DomainDispatcherApplication(create_backend_app)),
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()
