"""The local gateway's TOKEN authorizer (policy evaluation, caching) and its gateway responses."""

from __future__ import annotations

import json

import pytest

from paotui_local.authorizer import Rejected, TokenAuthorizers, evaluate_policy
from paotui_local.provision import ApiSpec, AuthorizerSpec
from paotui_local.responses import (
    ACCESS_DENIED,
    AUTHORIZER_CONFIGURATION_ERROR,
    DEFAULT_5XX,
    MISSING_AUTHENTICATION_TOKEN,
    UNAUTHORIZED,
    gateway_response,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc/local/GET/orders/o-1"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(effect, resource, action="execute-api:Invoke"):
    return {"Effect": effect, "Action": action, "Resource": resource}


def test_policy_evaluation():
    api = "arn:aws:execute-api:us-east-1:123456789012:abc"
    assert evaluate_policy(policy(statement("Allow", f"{api}/*/*")), ARN) == "allow"
    assert evaluate_policy(policy(statement("Allow", f"{api}/local/GET/orders/*")), ARN) == "allow"
    assert evaluate_policy(policy(statement("Allow", f"{api}/local/POST/*")), ARN) == "none"
    assert evaluate_policy(policy(statement("Allow", [f"{api}/x", ARN])), ARN) == "allow"
    assert evaluate_policy(policy(statement("Allow", "*"), statement("Deny", f"{api}/*/GET/*")), ARN) == "deny"
    assert evaluate_policy(policy(statement("Allow", "*", action="s3:GetObject")), ARN) == "none"
    assert evaluate_policy(policy(statement("Allow", "*", action=["execute-api:*"])), ARN) == "allow"
    assert evaluate_policy({"Statement": statement("Allow", f"{api}/?????/GET/*")}, ARN) == "allow"


class FakePool:
    def __init__(self, answer):
        self.answer = answer
        self.events = []

    def invoke(self, event):
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


SPEC = AuthorizerSpec(name="Jwt", function_id="Authorizer", validation_expression=r"^Bearer \w+$", ttl_seconds=300)


def authorizers(answer):
    pool, clock = FakePool(answer), Clock()
    return TokenAuthorizers({"Authorizer": pool}, clock=clock), pool, clock


def test_missing_or_malformed_tokens_never_reach_the_authorizer():
    auth, pool, _ = authorizers({})
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Basic xyz"}, {"Authorization": "Bearer a b"}):
        with pytest.raises(Rejected) as rejected:
            auth.authorize(SPEC, headers, ARN)
        assert rejected.value.response_type == UNAUTHORIZED
    assert pool.events == []


def test_an_allowing_policy_passes_its_context_stringified_and_is_cached_per_token():
    answer = {
        "principalId": "u1",
        "policyDocument": policy(statement("Allow", "*")),
        "context": {"user_id": "u1", "admin": False, "level": 2},
    }
    auth, pool, clock = authorizers(answer)
    context = auth.authorize(SPEC, {"authorization": "Bearer tok"}, ARN)
    assert context == {"user_id": "u1", "admin": "false", "level": "2", "principalId": "u1", "integrationLatency": 0}
    assert pool.events == [{"type": "TOKEN", "authorizationToken": "Bearer tok", "methodArn": ARN}]
    auth.authorize(SPEC, {"Authorization": "Bearer tok"}, ARN)
    assert len(pool.events) == 1
    auth.authorize(SPEC, {"Authorization": "Bearer other"}, ARN)
    assert len(pool.events) == 2
    clock.now = 301
    auth.authorize(SPEC, {"Authorization": "Bearer tok"}, ARN)
    assert len(pool.events) == 3


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Exception("Unauthorized"), UNAUTHORIZED),
        (RuntimeError("bug"), AUTHORIZER_CONFIGURATION_ERROR),
        ({"principalId": "u1"}, AUTHORIZER_CONFIGURATION_ERROR),
        ({"principalId": "u1", "policyDocument": policy(), "context": {"nested": {}}}, AUTHORIZER_CONFIGURATION_ERROR),
        ({"principalId": "u1", "policyDocument": policy(statement("Deny", "*"))}, ACCESS_DENIED),
        ({"principalId": "u1", "policyDocument": policy(statement("Allow", "arn:other"))}, ACCESS_DENIED),
    ],
)
def test_refusals(answer, expected):
    auth, _, _ = authorizers(answer)
    with pytest.raises(Rejected) as rejected:
        auth.authorize(SPEC, {"Authorization": "Bearer tok"}, ARN)
    assert rejected.value.response_type == expected


def api(responses):
    return ApiSpec(logical_id="Api", api_id="abc", stage="local", gateway_responses=responses)


def test_gateway_responses_default_to_api_gateways_own():
    status, headers, body = gateway_response(None, UNAUTHORIZED, "Unauthorized", "r1")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert ("Content-Type", "application/json") in headers
    status, _, body = gateway_response(api({}), MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token", "r1")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    status, _, body = gateway_response(None, AUTHORIZER_CONFIGURATION_ERROR, None, "r1")
    assert (status, json.loads(body)) == (500, {"message": None})


def test_gateway_responses_follow_the_template():
    responses = {
        ACCESS_DENIED: {
            "StatusCode": 403,
            "ResponseTemplates": {"application/json": '{"error": {"code": "FORBIDDEN"}}'},
        },
        MISSING_AUTHENTICATION_TOKEN: {"StatusCode": "404"},
        "DEFAULT_5XX": {
            "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
            "ResponseTemplates": {
                "application/json": '{"m": $context.error.messageString, "id": "$context.requestId"}',
            },
        },
    }
    status, _, body = gateway_response(api(responses), ACCESS_DENIED, "no", "r1")
    assert (status, json.loads(body)) == (403, {"error": {"code": "FORBIDDEN"}})
    status, _, body = gateway_response(api(responses), MISSING_AUTHENTICATION_TOKEN, "Missing", "r1")
    assert (status, json.loads(body)) == (404, {"message": "Missing"})
    status, headers, body = gateway_response(api(responses), DEFAULT_5XX, 'say "hi"', "r9")
    assert (status, json.loads(body)) == (502, {"m": 'say "hi"', "id": "r9"})
    assert ("Access-Control-Allow-Origin", "*") in headers
    status, _, body = gateway_response(api(responses), AUTHORIZER_CONFIGURATION_ERROR, None, "r1")
    assert (status, json.loads(body)) == (500, {"m": None, "id": "r1"})
