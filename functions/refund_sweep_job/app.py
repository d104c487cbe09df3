"""RefundSweepJob: every five minutes (EventBridge schedule), refunds left PROCESSING are settled or asked again."""

from dataclasses import asdict

from paotui.payments.refund_sweep import sweep
from paotui.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return asdict(sweep())
