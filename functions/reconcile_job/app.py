"""ReconcileJob: every five minutes (EventBridge schedule), open orders get their watchdog back or go to operators."""

from dataclasses import asdict

from paotui.ops.reconcile import sweep
from paotui.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return asdict(sweep())
