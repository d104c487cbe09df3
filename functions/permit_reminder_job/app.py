"""PermitReminderJob: each morning (EventBridge schedule), shop owners whose food permit lapses soon are texted."""

from paotui.catalog.permit_reminders import remind_every_shop
from paotui.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return {"sent": remind_every_shop()}
