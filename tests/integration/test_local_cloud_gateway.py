"""The local cloud's gateway on a fixture stack: routes, the TOKEN authorizer, gateway responses,
the proxy event handlers receive, and the local-only routes (/health, OpenAPI, /dev, console)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from paotui_local.cloud import LocalCloud, Options

FIXTURE = Path(__file__).parent / "fixtures" / "local_cloud" / "template.yaml"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(Options(template=FIXTURE, port=0, seed=False)) as running:
        yield running


def call(cloud: LocalCloud, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, cloud.url + path, headers=headers, timeout=10, **kwargs)


def test_a_route_behind_the_authorizer_answers_401_without_a_token(cloud):
    response = call(cloud, "GET", "/notes/n1")
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "UNAUTHENTICATED", "message": "Unauthorized", "details": {}}
    assert call(cloud, "GET", "/notes/n1", headers={"Authorization": "Basic abc"}).status_code == 401
    assert call(cloud, "GET", "/notes/n1", token="nobody").status_code == 401  # authorizer raises Unauthorized


def test_the_authorizer_context_reaches_the_handler(cloud):
    response = call(cloud, "GET", "/notes/n1", token="allow-u1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "n1" and body["user_id"] == "u1"
    assert body["authorizer"] == {
        "user_id": "u1",
        "roles": "customer,rider",
        "vip": "true",
        "level": "3",
        "principalId": "allow-u1",
        "integrationLatency": 0,
    }


def test_a_denying_or_narrow_policy_is_403_and_the_policy_is_cached_per_token(cloud):
    assert call(cloud, "GET", "/notes/n1", token="deny").status_code == 403
    assert call(cloud, "GET", "/notes/n1", token="narrow").status_code == 200
    refused = call(cloud, "GET", "/notes/n2", token="narrow")  # cached policy names /notes/n1 only
    assert refused.status_code == 403
    assert refused.json() == {"message": "User is not authorized to access this resource"}


def test_a_failing_authorizer_is_a_500_gateway_response(cloud):
    response = call(cloud, "GET", "/notes/n1", token="crash")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL"
    assert response.headers["X-Local-Test"] == "yes"


def test_the_handler_writes_through_the_environment_the_template_gives_it(cloud):
    response = call(cloud, "POST", "/notes", token="allow-u2", json={"id": "n9", "text": "hi"})
    assert response.status_code == 201, response.text
    item = cloud.stack.client("dynamodb").get_item(
        TableName=cloud.stack.physical_ids["NotesTable"], Key={"id": {"S": "n9"}}
    )["Item"]
    assert item["owner"] == {"S": "u2"}
    invalid = call(cloud, "POST", "/notes", token="allow-u2", json={"id": "n9"})
    assert invalid.status_code == 422


def test_the_proxy_event_has_api_gateway_rest_shape(cloud):
    response = call(
        cloud,
        "POST",
        "/public/a/b%2Fc?x=1&x=2&y=",
        data=b'{"k": 1}',
        headers={"X-Twice": "a", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Single"] == "one"
    assert response.headers["Set-Cookie"] == "a=1, b=2"
    answer = response.json()
    event = answer["event"]
    assert event["resource"] == "/public/{proxy+}"
    assert event["path"] == "/public/a/b/c"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"proxy": "a/b/c"}
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["headers"]["X-Twice"] == "a" and event["multiValueHeaders"]["X-Twice"] == ["a"]
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["stage"] == "local" and context["resourcePath"] == "/public/{proxy+}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert "authorizer" not in context
    assert answer["function_name"] == "paotui-Echo"
    assert 0 < answer["remaining_ms"] <= 10_000


def test_binary_bodies_travel_base64_both_ways(cloud):
    response = call(cloud, "PUT", "/public/binary", data=b"\xff\xfe")
    assert response.status_code == 200
    assert response.content == b"\x89PNG\x00\xff"
    assert response.headers["Content-Type"] == "image/png"
    event = call(cloud, "PUT", "/public/echo", data=b"\xff\xfe").json()["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"


def test_unknown_routes_and_methods_get_the_missing_token_gateway_response(cloud):
    for method, path in (("GET", "/nowhere"), ("DELETE", "/notes/n1"), ("GET", "/public")):
        response = call(cloud, method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_function_failures_are_502(cloud):
    for path in ("/public/broken", "/public/raise"):
        response = call(cloud, "GET", path)
        assert response.status_code == 502, path
        assert response.json()["error"] == {"code": "INTERNAL", "message": "Internal server error", "details": {}}
    missing = call(cloud, "GET", "/unfinished")
    assert missing.status_code == 502
    assert "functions/unfinished/app.py" in missing.json()["error"]["message"]


def test_local_routes(cloud):
    assert call(cloud, "GET", "/health").json() == {"status": "ok"}
    assert call(cloud, "GET", "/dev/seed").status_code == 404
    cloud.gateway.seed_fixture = {"admin": {"phone": "+8613800000000"}}
    assert call(cloud, "GET", "/dev/seed").json() == {"admin": {"phone": "+8613800000000"}}
    docs = call(cloud, "GET", "/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


def test_the_outbox_lists_messages_newest_first(cloud):
    dynamodb = cloud.stack.client("dynamodb")
    for sent_at, body in (("2026-01-01T00:00:00.000Z", "first"), ("2026-01-01T00:00:05.000Z", "second")):
        dynamodb.put_item(
            TableName=cloud.outbox_table,
            Item={
                "to": {"S": "+8613800000001"},
                "sent_at_id": {"S": f"{sent_at}#{body}"},
                "channel": {"S": "sms"},
                "title": {"S": "SMS"},
                "body": {"S": body},
                "data": {"M": {"n": {"N": "1"}}},
                "sent_at": {"S": sent_at},
            },
        )
    messages = call(cloud, "GET", "/dev/outbox", params={"to": "+8613800000001"}).json()
    assert [m["body"] for m in messages] == ["second", "first"]
    assert messages[0] == {
        "to": "+8613800000001",
        "channel": "sms",
        "title": "SMS",
        "body": "second",
        "data": {"n": 1},
        "sent_at": "2026-01-01T00:00:05.000Z",
    }
    assert call(cloud, "GET", "/dev/outbox", params={"to": "+8613800000002"}).json() == []


def test_openapi_merges_the_resolvers_and_marks_authorized_routes(cloud):
    document = call(cloud, "GET", "/openapi.json").json()
    assert set(document["paths"]) >= {"/notes/{noteId}", "/notes"}
    assert document["paths"]["/notes/{noteId}"]["get"]["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Note" in document["components"]["schemas"]


def test_concurrent_requests_each_get_a_container(cloud):
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda i: call(cloud, "GET", f"/notes/c{i}", token="allow-u3"), range(16)))
    assert [r.json()["id"] for r in responses] == [f"c{i}" for i in range(16)]
    assert time.perf_counter() - started < 10
    assert len(cloud.pools["NotesApi"]._idle) <= cloud.pools["NotesApi"].max_containers
