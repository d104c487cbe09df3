"""The embedded moto server, with DynamoDB made atomic per request as the real service is.

moto's DynamoDB backend takes no locks: a conditional write checks and then
writes, and a cancelled transaction restores copies of whole tables. Real
DynamoDB applies each request atomically, and our correctness under
concurrency (one rider per order, never oversell) rests on that. Functions run
in separate processes here, so their requests meet concurrently in this
server; serializing DynamoDB requests restores the guarantee without slowing
SQS long polls or Step Functions.

The same rollback swaps each table of a cancelled transaction for a deep copy,
stream shard included; stream readers hold the old shard and would never see
another record of that table. :func:`keep_tables_in_place` makes the rollback
restore contents into the live table and shard instead, as DynamoDB (which has
no such thing as replacing a table under its stream) behaves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from paotui_local.dynamodb_items import serialize_items_directly

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


def keep_tables_in_place() -> None:
    """Patch moto's transaction rollback to restore tables in place (idempotent; see the module docstring)."""
    transact = DynamoDBBackend.transact_write_items
    if getattr(transact, "keeps_tables_in_place", False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        live = dict(self.tables)
        try:
            return transact(self, transact_items)
        finally:
            for name, table in live.items():
                restored = self.tables.get(name)
                if restored is None or restored is table:
                    continue
                shard = table.stream_shard
                table.__dict__.update(restored.__dict__)
                if shard is not None and restored.stream_shard is not None:
                    shard.items = restored.stream_shard.items  # drop what the cancelled writes appended
                    table.stream_shard, shard.table = shard, table
                self.tables[name] = table

    transact_write_items.keeps_tables_in_place = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class LocalMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        keep_tables_in_place()
        serialize_items_directly()
        self._server = make_server(
            self._ip_address,
            self._port,
            AtomicDynamoDB(DomainDispatcherApplication(create_backend_app)),
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()
