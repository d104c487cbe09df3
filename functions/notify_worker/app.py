"""NotifyWorker: pushes offers to riders, and order progress to customers (push or SMS)."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.notify.service import handle

handler = worker_handler("notify", handle)
