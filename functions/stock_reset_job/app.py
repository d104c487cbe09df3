"""StockResetJob: at opening time (EventBridge schedule), products with a daily stock go back to it."""

from paotui.catalog.adjustments import reset_every_merchant
from paotui.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    reset = reset_every_merchant()
    metrics.add_metric(name="DailyStockResets", unit="Count", value=reset)
    return {"reset": reset}
