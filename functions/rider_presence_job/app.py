"""RiderPresenceJob: every minute (EventBridge schedule), on-duty riders who sent no location lately go offline."""

from dataclasses import asdict

from paotui.platform.observability import logger, metrics, tracer
from paotui.riders.presence import sweep


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return asdict(sweep())
