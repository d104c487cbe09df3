"""AuthApi and Authorizer as Lambda calls them, wired to moto: outbox SMS, the JWT secret in Secrets Manager."""

from __future__ import annotations

import pytest

from tests.integration.builders import LAMBDA_CONTEXT, answer, api_event, load_handler

PHONE = "+8613800000302"


def _post(handler, path: str, body: dict) -> tuple[int, dict]:
    return answer(handler(api_event("POST", path, body=body), LAMBDA_CONTEXT))


@pytest.fixture
def auth_handler(aws):
    from paotui.accounts.api import get_auth_service

    get_auth_service.cache_clear()  # built from this test's settings
    yield load_handler("AuthApi")
    get_auth_service.cache_clear()


def test_the_code_goes_to_the_outbox_and_the_token_passes_the_authorizer(auth_handler):
    from paotui.accounts import tokens
    from paotui.notify import outbox

    assert _post(auth_handler, "/auth/otp", {"phone": PHONE})[0] == 202
    (message,) = outbox.read(PHONE)
    assert message["channel"] == "sms" and message["data"]["code"] in message["body"].split()

    status, session = _post(auth_handler, "/auth/login", {"phone": PHONE, "code": message["data"]["code"]})
    assert status == 200

    authorizer = load_handler("Authorizer")
    method_arn = "arn:aws:execute-api:us-east-1:123456789012:api1/test/GET/orders"
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {session['token']}", "methodArn": method_arn}
    policy = authorizer(event, LAMBDA_CONTEXT)
    session_id = tokens.verify(session["token"], secret=tokens.signing_secret()).session_id
    assert policy["context"] == {"user_id": session["user"]["id"], "roles": "customer", "session_id": session_id}
    (statement,) = policy["policyDocument"]["Statement"]
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:api1/test/*/*"]

    for header in ("", "Bearer nonsense", f"Bearer {session['token']}x"):
        with pytest.raises(Exception, match="^Unauthorized$"):
            authorizer({**event, "authorizationToken": header}, LAMBDA_CONTEXT)


def test_a_body_that_is_not_json_is_415_with_a_clear_message(auth_handler):
    event = api_event("POST", "/auth/otp", body={"phone": "+8613800000301"})
    event["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    event["multiValueHeaders"] = {"Content-Type": ["application/x-www-form-urlencoded"]}
    status, body = answer(auth_handler(event, LAMBDA_CONTEXT))
    assert (status, body["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    charset = api_event("POST", "/auth/otp", body={"phone": "+8613800000301"})
    charset["headers"] = {"content-type": "application/json; charset=utf-8"}
    charset["multiValueHeaders"] = {"content-type": ["application/json; charset=utf-8"]}
    assert answer(auth_handler(charset, LAMBDA_CONTEXT))[0] == 202
