"""One OpenAPI document for the whole API, merged from every HTTP function's Powertools resolver.

Each function only knows its own routes; the template knows which routes need
the authorizer. The merge marks those with a bearer security requirement and
warns about routes a function serves that template.yaml never routes to it
(they would be unreachable in AWS too).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paotui_local.functions import FunctionPool, load_module
from paotui_local.routing import RouteTable

log = logging.getLogger("paotui_local")

BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class ApiDocs:
    def __init__(self, pools: Mapping[str, FunctionPool], routes: RouteTable, base_url: str, title: str = "paotui"):
        self.pools = pools
        self.routes = routes
        self.base_url = base_url
        self.title = title
        self._document: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def openapi(self) -> dict[str, Any]:
        """Built on first use and kept, unless a function failed to contribute (then retried next time)."""
        with self._lock:
            if self._document is not None:
                return self._document
            document, complete = self._build()
            if complete:
                self._document = document
            return document

    def _build(self) -> tuple[dict[str, Any], bool]:
        document: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": "local"},
            "servers": [{"url": self.base_url}],
            "paths": {},
            "components": {},
        }
        complete = True
        for function_id in dict.fromkeys(route.function_id for route in self.routes):
            part = self._function_document(function_id)
            if part is None:
                complete, part = False, {}
            for path, operations in part.get("paths", {}).items():
                for method, operation in operations.items():
                    if self.routes.match(method, path) is None:
                        log.warning(
                            "%s serves %s %s but template.yaml routes no such event to it",
                            function_id,
                            method.upper(),
                            path,
                        )
                    document["paths"].setdefault(path, {})[method] = operation
            for section, entries in part.get("components", {}).items():
                document["components"].setdefault(section, {}).update(entries)
        for route in self.routes:
            if route.authorizer is None:
                continue
            operations = document["paths"].get(route.path, {})
            methods = operations.keys() if route.method == "ANY" else [route.method.lower()]
            for method in methods:
                if method in operations:
                    operations[method].setdefault("security", [{"bearerAuth": []}])
                    document["components"].setdefault("securitySchemes", {})["bearerAuth"] = BEARER
        return document, complete

    def _function_document(self, function_id: str) -> dict[str, Any] | None:
        """The function's own document; {} when it has no resolver, None when it failed."""
        pool = self.pools[function_id]
        if not pool.spec.code_exists:
            return None
        try:
            app = getattr(load_module(pool.spec), "app", None)  # read the routes only; never served from here
            if app is None or not hasattr(app, "get_openapi_json_schema"):
                return {}
            return json.loads(app.get_openapi_json_schema(title=self.title))
        except Exception:
            log.exception("%s: could not build its OpenAPI document", function_id)
            return None


def docs_page() -> bytes:
    """A self-contained API browser (no CDN is reachable offline) that reads /openapi.json."""
    return Path(__file__).with_name("docs.html").read_bytes()
