"""EventRouter: Orders, Offers and Products stream records → domain events on the SNS topic."""

from paotui.platform.observability import logger, metrics, tracer
from paotui.platform.stream_router import route


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return route(event, context)
