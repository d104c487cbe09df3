"""The TOKEN authorizer's answer: an API-wide Allow policy with the principal in its context."""

from __future__ import annotations

import pytest

from paotui.accounts import tokens
from paotui.accounts.authorizer import authorize, bearer_token
from paotui.platform.auth import principal_from_authorizer
from paotui.platform.errors import Unauthorized

SECRET = "s" * 64
METHOD_ARN = "arn:aws:execute-api:cn-north-1:123456789012:abc123/prod/GET/orders/ord_1"


def _event(header: str, method_arn: str = METHOD_ARN) -> dict:
    return {"type": "TOKEN", "authorizationToken": header, "methodArn": method_arn}


class Sessions:
    """``session_is_live`` over a set of live (session, user) pairs, counting the reads."""

    def __init__(self, *live: tuple[str, str]) -> None:
        self.live = set(live)
        self.reads = 0

    def __call__(self, session_id: str, user_id: str) -> bool:
        self.reads += 1
        return (session_id, user_id) in self.live


def _authorize(token: str, sessions: Sessions | None = None, method_arn: str = METHOD_ARN) -> dict:
    return authorize(_event(f"Bearer {token}", method_arn), secret=SECRET, session_is_live=sessions or Sessions())


def test_a_valid_token_allows_the_whole_stage():
    token = tokens.issue("usr_1", ["customer", "rider"], secret=SECRET, ttl_seconds=60)
    answer = _authorize(token)
    assert answer["principalId"] == "usr_1"
    assert answer["policyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": ["arn:aws:execute-api:cn-north-1:123456789012:abc123/prod/*/*"],
            }
        ],
    }
    assert answer["context"] == {"user_id": "usr_1", "roles": "customer,rider"}
    principal = principal_from_authorizer(answer["context"])
    assert principal.user_id == "usr_1" and principal.roles == {"customer", "rider"}


def test_the_partition_comes_from_the_method_arn():
    token = tokens.issue("usr_1", ["customer"], secret=SECRET, ttl_seconds=60)
    arn = "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/POST/orders"
    answer = _authorize(token, method_arn=arn)
    assert answer["policyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/*/*"
    ]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer  ", "Basic abc", "token-without-scheme"])
def test_headers_without_a_bearer_token_are_refused(header):
    with pytest.raises(Unauthorized):
        bearer_token(header)


def test_a_token_of_a_live_session_carries_it_in_the_context():
    token = tokens.issue("usr_1", ["customer"], secret=SECRET, ttl_seconds=60, session_id="ses_1")
    sessions = Sessions(("ses_1", "usr_1"))
    answer = _authorize(token, sessions)
    assert answer["context"] == {"user_id": "usr_1", "roles": "customer", "session_id": "ses_1"}
    assert principal_from_authorizer(answer["context"]).session_id == "ses_1"
    assert sessions.reads == 1


@pytest.mark.parametrize("live", [(), (("ses_1", "usr_2"),)], ids=["revoked or unknown", "another user's session"])
def test_a_token_of_an_ended_session_is_refused(live):
    token = tokens.issue("usr_1", ["customer"], secret=SECRET, ttl_seconds=60, session_id="ses_1")
    with pytest.raises(Unauthorized) as refused:
        _authorize(token, Sessions(*live))
    assert refused.value.code == "SESSION_REVOKED"


def test_a_token_without_a_session_is_not_looked_up():
    sessions = Sessions()
    _authorize(tokens.issue("usr_1", ["customer"], secret=SECRET, ttl_seconds=60), sessions)
    assert sessions.reads == 0
