"""The API Gateway TOKEN authorizer's decision: who the bearer is, as an IAM policy.

The policy allows every method of the API's stage (``…/stage/*/*``), because
API Gateway caches it per token and reuses it for whichever route comes next;
routes check roles themselves (``paotui.platform.auth``). The context carries
``user_id`` and comma-joined ``roles``, which is all ``current_principal`` reads.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)

from paotui.accounts import tokens
from paotui.platform.errors import Unauthorized


def bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send Authorization: Bearer <token>.", code="UNAUTHENTICATED")
    return token.strip()


def authorize(event: dict[str, Any], *, secret: str) -> dict[str, Any]:
    """The Allow policy for a valid token; raises ``Unauthorized`` for anything else."""
    request = APIGatewayAuthorizerTokenEvent(event)
    claims = tokens.verify(bearer_token(request.authorization_token), secret=secret)
    arn = request.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=claims.user_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        partition=arn.partition,
        context={"user_id": claims.user_id, "roles": ",".join(claims.roles)},
    )
    policy.allow_all_routes()
    return policy.asdict()
