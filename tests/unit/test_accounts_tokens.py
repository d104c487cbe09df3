"""API tokens: what verify accepts and everything it must refuse."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from paotui.accounts import tokens
from paotui.platform.errors import Unauthorized

SECRET = "s" * 64
NOW = 1_800_000_000


def _issue(**overrides) -> str:
    options = {"secret": SECRET, "ttl_seconds": 3600, "now": None}
    options.update(overrides)
    return tokens.issue("usr_1", ["customer", "rider"], **options)


def _refused(token: str, secret: str = SECRET) -> Unauthorized:
    with pytest.raises(Unauthorized) as refused:
        tokens.verify(token, secret=secret)
    assert refused.value.code == "INVALID_TOKEN"
    return refused.value


def test_issue_then_verify():
    claims = tokens.verify(_issue(), secret=SECRET)
    assert claims.user_id == "usr_1" and claims.roles == ("customer", "rider")
    payload = jwt.decode(_issue(now=NOW), options={"verify_signature": False, "verify_exp": False})
    assert payload["iss"] == "paotui" and payload["exp"] - payload["iat"] == 3600 and payload["jti"]


def test_each_token_has_its_own_id():
    ids = {jwt.decode(_issue(), SECRET, algorithms=["HS256"], issuer="paotui")["jti"] for _ in range(3)}
    assert len(ids) == 3


def test_expired_tokens_are_refused():
    _refused(_issue(now=NOW - 7200))


def test_another_secret_is_refused():
    _refused(_issue(), secret="t" * 64)


def test_a_tampered_payload_is_refused():
    header, payload, signature = _issue().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    _refused(f"{header}.{forged}.{signature}")


def test_alg_none_is_refused():
    claims = jwt.decode(_issue(), options={"verify_signature": False})
    _refused(jwt.encode(claims, None, algorithm="none"))


def test_another_issuer_is_refused():
    claims = jwt.decode(_issue(), options={"verify_signature": False})
    _refused(jwt.encode({**claims, "iss": "someone-else"}, SECRET, algorithm="HS256"))


def test_missing_claims_are_refused():
    claims = jwt.decode(_issue(), options={"verify_signature": False})
    del claims["roles"]
    _refused(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_garbage_is_refused():
    _refused("not-a-token")


def test_a_session_token_names_its_session():
    claims = tokens.verify(_issue(session_id="ses_1"), secret=SECRET)
    assert claims.session_id == "ses_1"
    assert tokens.verify(_issue(), secret=SECRET).session_id is None  # issued before sessions existed


def test_a_non_string_session_claim_is_refused():
    claims = jwt.decode(_issue(), options={"verify_signature": False})
    _refused(jwt.encode({**claims, "sid": ["ses_1"]}, SECRET, algorithm="HS256"))
