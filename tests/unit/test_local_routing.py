"""API Gateway REST routing and proxy events as the local gateway builds them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from paotui_local.provision import ApiRoute
from paotui_local.routing import PathTemplate, RouteTable, method_arn, proxy_event


def route(method: str, path: str) -> ApiRoute:
    return ApiRoute(
        function_id=f"{method} {path}", method=method, path=path, api_id="abc123", stage="local", authorizer=None
    )


TABLE = RouteTable(
    [
        route("GET", "/orders"),
        route("POST", "/orders"),
        route("GET", "/orders/{orderId}"),
        route("GET", "/orders/mine"),
        route("POST", "/orders/{orderId}/pay"),
        route("ANY", "/files/{proxy+}"),
        route("GET", "/files/readme"),
        route("ANY", "/{proxy+}"),
    ]
)


def matched(method: str, path: str) -> tuple[str, dict] | None:
    match = TABLE.match(method, path)
    return (match.route.function_id, match.path_parameters) if match else None


def test_literal_segments_beat_parameters_and_parameters_beat_greedy():
    assert matched("GET", "/orders/mine") == ("GET /orders/mine", {})
    assert matched("GET", "/orders/o-1") == ("GET /orders/{orderId}", {"orderId": "o-1"})
    assert matched("POST", "/orders/o-1/pay") == ("POST /orders/{orderId}/pay", {"orderId": "o-1"})
    assert matched("GET", "/files/readme") == ("GET /files/readme", {})
    assert matched("DELETE", "/files/a/b") == ("ANY /files/{proxy+}", {"proxy": "a/b"})
    assert matched("GET", "/else/where") == ("ANY /{proxy+}", {"proxy": "else/where"})


def test_methods_and_paths_that_do_not_match():
    table = RouteTable([route("GET", "/orders/{orderId}"), route("ANY", "/files/{proxy+}")])
    assert table.match("DELETE", "/orders/1") is None
    assert table.match("GET", "/orders") is None
    assert table.match("GET", "/orders/1/extra") is None
    assert table.match("GET", "/files") is None, "a greedy parameter needs at least one segment"
    assert table.match("post", "/files/x").route.method == "ANY"


def test_trailing_slashes_and_encoded_segments():
    assert matched("GET", "/orders/") == ("GET /orders", {})
    assert matched("GET", "/orders/a%20b") == ("GET /orders/{orderId}", {"orderId": "a b"})
    assert matched("GET", "/orders/a%2Fb") == ("GET /orders/{orderId}", {"orderId": "a/b"})
    assert PathTemplate("/").match([]) == {}


def test_method_arn():
    assert method_arn(route("ANY", "/files/{proxy+}"), "get", "/files/a/b") == (
        "arn:aws:execute-api:us-east-1:123456789012:abc123/local/GET/files/a/b"
    )


def test_proxy_event_shape():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = proxy_event(
        match=TABLE.match("POST", "/orders/o-1/pay"),
        method="POST",
        raw_path="/orders/o-1/pay",
        query=[("a", "1"), ("a", "2"), ("b", "")],
        headers=[("Host", "127.0.0.1:3000"), ("User-Agent", "test"), ("X-Dup", "1"), ("X-Dup", "2")],
        body=b'{"channel": "sandbox"}',
        source_ip="127.0.0.1",
        request_id="req-1",
        authorizer={"principalId": "u1", "user_id": "u1"},
        now=now,
    )
    assert event["resource"] == "/orders/{orderId}/pay"
    assert event["path"] == "/orders/o-1/pay"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Dup"] == "2" and event["multiValueHeaders"]["X-Dup"] == ["1", "2"]
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] == {"orderId": "o-1"}
    assert event["stageVariables"] is None
    assert event["body"] == '{"channel": "sandbox"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == "123456789012" and context["apiId"] == "abc123"
    assert context["stage"] == "local" and context["path"] == "/local/orders/o-1/pay"
    assert context["resourcePath"] == "/orders/{orderId}/pay" and context["httpMethod"] == "POST"
    assert context["requestId"] == "req-1"
    assert context["requestTime"] == "02/Jan/2026:03:04:05 +0000"
    assert context["requestTimeEpoch"] == int(now.timestamp() * 1000)
    assert context["identity"]["sourceIp"] == "127.0.0.1" and context["identity"]["userAgent"] == "test"
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["authorizer"] == {"principalId": "u1", "user_id": "u1"}


def bare_get(path: str) -> dict:
    """The event of a GET of ``path`` with nothing else: no query, headers or body."""
    return proxy_event(
        match=TABLE.match("GET", path),
        method="GET",
        raw_path=path,
        query=[],
        headers=[],
        body=b"",
        source_ip="127.0.0.1",
        request_id="r",
    )


def test_a_trailing_slash_picks_the_same_route_and_stays_in_the_events_paths():
    event = bare_get("/orders/")
    assert (event["resource"], event["path"], event["requestContext"]["path"]) == (
        "/orders",
        "/orders/",
        "/local/orders/",
    )


def test_an_empty_request_has_nulls_where_api_gateway_puts_them():
    event = bare_get("/orders")
    assert event["headers"] is None and event["multiValueHeaders"] is None
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None and event["body"] is None
    assert "authorizer" not in event["requestContext"]


def test_binary_bodies_are_base64():
    event = proxy_event(
        match=TABLE.match("POST", "/orders"),
        method="POST",
        raw_path="/orders",
        query=[],
        headers=[],
        body=b"\xff\x00",
        source_ip="127.0.0.1",
        request_id="r",
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\x00"


def test_a_client_gone_before_the_answer_is_logged_not_a_traceback(caplog):
    """A console tab closed while its 15-s refresh ran: the write fails, which is no error of the cloud's. The
    stdlib server would print a BrokenPipeError traceback for it on the terminal of `make run`."""
    import email.message
    import io
    import logging
    from types import SimpleNamespace

    from paotui_local.gateway import _Handler, json_reply

    class Gone(io.BytesIO):
        def write(self, data: bytes) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    handler = object.__new__(_Handler)
    handler.gateway = SimpleNamespace(handle=lambda *args: json_reply(200, {"items": []}))
    handler.command, handler.path, handler.request_version = "GET", "/orders", "HTTP/1.1"
    handler.requestline, handler.client_address = "GET /orders HTTP/1.1", ("127.0.0.1", 50000)
    handler.headers, handler.rfile, handler.wfile = email.message.Message(), io.BytesIO(), Gone()
    handler.close_connection = False
    with caplog.at_level(logging.INFO, logger="paotui_local"):
        handler._serve()  # raises nothing
    assert handler.close_connection is True
    assert any("the client had gone" in record.getMessage() for record in caplog.records)
