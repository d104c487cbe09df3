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


def test_a_valid_token_allows_the_whole_stage():
    token = tokens.issue("usr_1", ["customer", "rider"], secret=SECRET, ttl_seconds=60)
    answer = authorize(_event(f"Bearer {token}"), secret=SECRET)
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
    answer = authorize(_event(f"Bearer {token}", arn), secret=SECRET)
    assert answer["policyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/*/*"
    ]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer  ", "Basic abc", "token-without-scheme"])
def test_headers_without_a_bearer_token_are_refused(header):
    with pytest.raises(Unauthorized):
        bearer_token(header)
