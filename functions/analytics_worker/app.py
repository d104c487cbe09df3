"""AnalyticsWorker: orders paid, confirmed, assigned, delivered, failed or cancelled into the day and hour counters."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.analytics.events import handle

handler = worker_handler("analytics", handle)
