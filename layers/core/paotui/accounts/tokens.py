"""API tokens: HS256 JWTs the API Gateway authorizer verifies on every call.

The signing secret lives in Secrets Manager and is cached for five minutes,
so a rotated secret takes effect without a deploy. Verification pins the
algorithm, so ``alg: none`` and algorithm-confusion tokens are rejected.
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


def signing_secret() -> str:
    return secret_value(get_settings().jwt_secret_arn)


def issue(user_id: str, roles: list[str], *, secret: str, ttl_seconds: int, now: int | None = None) -> str:
    issued_at = clock.epoch_seconds() if now is None else now
    claims: dict[str, Any] = {
        "sub": user_id,
        "roles": list(roles),
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "iss": ISSUER,
        "jti": new_id(),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, *, secret: str) -> Claims:
    """The token's claims; raises ``Unauthorized`` unless it is ours, intact and unexpired."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": _REQUIRED})
    except jwt.PyJWTError as error:
        raise Unauthorized("The token is not valid.", code="INVALID_TOKEN", details={"reason": str(error)}) from None
    roles = claims["roles"]
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise Unauthorized("The token is not valid.", code="INVALID_TOKEN", details={"reason": "bad roles claim"})
    return Claims(user_id=str(claims["sub"]), roles=tuple(roles))
