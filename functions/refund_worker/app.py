"""RefundWorker: a paid order that is cancelled gets its money back through its payment channel."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.payments.refund_events import handle

handler = worker_handler("refund", handle)
