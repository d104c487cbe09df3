"""ConsoleSite, the function that serves the merchant console from the API's own address, as API Gateway calls it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.builders import LAMBDA_CONTEXT, api_event, load_handler

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"


@pytest.fixture(scope="module")
def site():
    handler = load_handler("ConsoleSite")

    def get(path: str, **headers: str) -> dict:
        response = handler(api_event("GET", path, headers=headers), LAMBDA_CONTEXT)
        return {**response, "headers": {name: values[-1] for name, values in response["multiValueHeaders"].items()}}

    return get


def test_the_page_and_its_scripts_are_served_with_their_types(site):
    page = site("/console/")
    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert page["body"] == (CONSOLE / "index.html").read_text(encoding="utf-8")
    for name in ("console.js", "alerts.js", "orders.js"):
        script = site(f"/console/{name}")
        assert (script["statusCode"], script["headers"]["Content-Type"]) == (200, "text/javascript; charset=utf-8")
        assert script["body"] == (CONSOLE / name).read_text(encoding="utf-8")


def test_the_address_without_its_slash_redirects_where_relative_scripts_resolve_also_under_a_stage(site):
    moved = site("/console")
    assert moved["statusCode"] == 301
    assert moved["headers"]["Location"] == "console/"  # /prod/console -> /prod/console/


def test_only_the_pages_files_are_served_not_the_functions_code(site):
    for path in ("/console/app.py", "/console/missing.js", "/console/..%2Ftemplate.yaml"):
        refused = site(path)
        assert refused["statusCode"] == 404, path
        assert '"NOT_FOUND"' in refused["body"]


def test_a_browser_with_the_current_file_gets_a_304_and_a_deploy_shows_at_once(site):
    first = site("/console/console.js")
    assert first["headers"]["Cache-Control"] == "no-cache"
    again = site("/console/console.js", **{"If-None-Match": first["headers"]["ETag"]})
    assert again["statusCode"] == 304 and not again.get("body")
    stale = site("/console/console.js", **{"If-None-Match": '"an-older-version"'})
    assert stale["statusCode"] == 200 and stale["body"]


def test_the_page_may_not_be_framed_nor_load_from_elsewhere(site):
    headers = site("/console/")["headers"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_sample_event_gets_its_script():
    event = json.loads((ROOT / "events" / "ConsoleSite" / "get-script.json").read_text(encoding="utf-8"))
    served = load_handler("ConsoleSite")(event, LAMBDA_CONTEXT)
    assert served["statusCode"] == 200
    assert served["body"] == (CONSOLE / "orders.js").read_text(encoding="utf-8")
