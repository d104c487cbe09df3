"""API access tokens: short-lived HS256 JWTs the API Gateway authorizer verifies on every call.

The signing secret lives in Secrets Manager and is cached for five minutes,
so a rotated secret takes effect without a deploy. Verification pins the
algorithm, so ``alg: none`` and algorithm-confusion tokens are rejected.
A token names its session (``sid``), so ending the session (logout, a merge)
ends the token before it expires (``accounts.sessions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from paotui.platform import clock
from paotui.platform.errors import Unauthorized
from paotui.platform.ids import new_id
from paotui.platform.secrets import secret_value
from paotui.platform.settings import get_settings

ISSUER = "paotui"
ALGORITHM = "HS256"
_REQUIRED = ["sub", "roles", "iat", "exp", "iss", "jti"]


@dataclass(frozen=True)
class Claims:
    user_id: str
    roles: tuple[str, ...]
    session_id: str | None = None  # absent from tokens issued before sessions existed


def signing_secret() -> str:
    return secret_value(get_settings().jwt_secret_arn)


def issue(
    user_id: str,
    roles: list[str],
    *,
    secret: str,
    ttl_seconds: int,
    session_id: str | None = None,
    now: int | None = None,
) -> str:
    issued_at = clock.epoch_seconds() if now is None else now
    claims: dict[str, Any] = {
        "sub": user_id,
        "roles": list(roles),
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "iss": ISSUER,
        "jti": new_id(),
    }
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, *, secret: str) -> Claims:
    """The token's claims; raises ``Unauthorized`` unless it is ours, intact and unexpired."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": _REQUIRED})
    except jwt.PyJWTError as error:
        raise _invalid(str(error)) from None
    roles = claims["roles"]
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _invalid("bad roles claim")
    session_id = claims.get("sid")
    if session_id is not None and not isinstance(session_id, str):
        raise _invalid("bad sid claim")
    return Claims(user_id=str(claims["sub"]), roles=tuple(roles), session_id=session_id)


def _invalid(reason: str) -> Unauthorized:
    return Unauthorized("The token is not valid.", code="INVALID_TOKEN", details={"reason": reason})
