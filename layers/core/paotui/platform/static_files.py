"""A folder's page and scripts served through the API, from its own address.

The merchant console calls the API with relative paths and reads the page
Ele.me's popup comes back to; both need the console on the API's origin, and
a function behind the API deploys with the rest of the stack (``sam deploy``,
no bucket to upload to). The files are read once, at import: they are the
function's own code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.platform.errors import NotFound

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
"""What is served, by suffix; anything else in the folder (the function's own ``app.py``) is not."""

HEADERS = {
    # browsers check with the ETag each time, so a deploy shows at once and an unchanged file costs a 304
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # the page's own scripts and inline styles, calls to its own origin; no framing (clickjacking)
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
}


@dataclass(frozen=True)
class StaticFile:
    content_type: str
    body: str
    etag: str


def read_folder(folder: Path) -> dict[str, StaticFile]:
    """The servable files directly in ``folder``, by name."""
    files = {}
    for path in sorted(folder.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type and path.is_file():
            body = path.read_text(encoding="utf-8")
            etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
            files[path.name] = StaticFile(content_type, body, etag)
    return files


def static_router(prefix: str, folder: Path) -> APIGatewayRouter:
    """``GET {prefix}/`` (``index.html``) and ``GET {prefix}/{name}``; ``{prefix}`` without its slash redirects
    there, so that the page's relative script paths resolve under the prefix (and the API's stage, in AWS)."""
    files = read_folder(folder)
    router = APIGatewayRouter()

    def serve(name: str) -> Response[str]:
        found = files.get(name)
        if found is None:
            raise NotFound(f"No file {prefix}/{name}.")
        headers = {**HEADERS, "ETag": found.etag}
        if router.current_event.headers.get("if-none-match") == found.etag:
            return Response(status_code=304, body="", headers=headers)
        return Response(status_code=200, content_type=found.content_type, body=found.body, headers=headers)

    page = {
        200: {
            "description": "The file",
            "content": {kind: {"schema": {"type": "string"}} for kind in CONTENT_TYPES.values()},
        },
        304: {"description": "Unchanged since the ETag in If-None-Match"},
    }

    @router.get(prefix, responses={**page, 301: {"description": "To the address with its slash"}})
    def index() -> Response[str]:
        if not router.current_event.path.endswith("/"):
            # relative: under a stage (/prod/console) it must stay under it
            return Response(status_code=301, body="", headers={"Location": prefix.rsplit("/", 1)[-1] + "/"})
        return serve("index.html")

    @router.get(f"{prefix}/<name>", responses={**page, 404: {"description": "No such file"}})
    def file(name: str) -> Response[str]:
        return serve(name)

    return router
