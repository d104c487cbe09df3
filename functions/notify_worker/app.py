"""NotifyWorker: pushes offers to riders, and order progress to customers (push or SMS)."""

from paotui.notify.service import handle
from paotui.platform.consumers import worker_handler

handler = worker_handler("notify", handle)
