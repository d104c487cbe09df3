"""The API Gateway TOKEN authorizer's decision: who the bearer is, as an IAM policy.

The policy allows every method of the API's stage (``…/stage/*/*``), because
API Gateway caches it per token and reuses it for whichever route comes next;
routes check roles themselves (``paotui.platform.auth``). The context carries
``user_id``, comma-joined ``roles`` and, for tokens that name one,
``session_id``: all ``current_principal`` reads.

A token that names a session is refused once the session is revoked (logout,
a reused refresh token, the account merged away): one consistent read per
token, and API Gateway caches the answer for the authorizer's
``ReauthorizeEvery`` seconds, which bounds how long a revoked token lives on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)

from paotui.accounts import refresh, tokens
from paotui.platform.errors import Unauthorized


def bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send Authorization: Bearer <token>.", code="UNAUTHENTICATED")
    return token.strip()


def authorize(event: dict[str, Any], *, secret: str, session_is_live: Callable[[str, str], bool]) -> dict[str, Any]:
    """The Allow policy for a valid token of a live session; raises ``Unauthorized`` for anything else.

    ``session_is_live(session_id, user_id)`` is ``accounts.sessions.is_live``; tests pass their own.
    """
    request = APIGatewayAuthorizerTokenEvent(event)
    claims = tokens.verify(bearer_token(request.authorization_token), secret=secret)
    context = {"user_id": claims.user_id, "roles": ",".join(claims.roles)}
    if claims.session_id:
        if not session_is_live(claims.session_id, claims.user_id):
            raise refresh.revoked_session()
        context["session_id"] = claims.session_id
    arn = request.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=claims.user_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        partition=arn.partition,
        context=context,
    )
    policy.allow_all_routes()
    return policy.asdict()
