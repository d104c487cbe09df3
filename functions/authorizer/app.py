"""Authorizer: the API Gateway TOKEN authorizer in front of every signed-in route."""

from paotui.accounts.authorizer import authorize
from paotui.accounts.sessions import is_live
from paotui.accounts.tokens import signing_secret
from paotui.platform.errors import Unauthorized
from paotui.platform.observability import logger, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    try:
        return authorize(event, secret=signing_secret(), session_is_live=is_live)
    except Unauthorized as refusal:
        logger.info("token refused", extra={"code": refusal.code, "reason": refusal.details.get("reason")})
        raise Exception("Unauthorized") from None  # API Gateway's convention for a 401
