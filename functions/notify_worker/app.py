"""NotifyWorker: pushes offers to riders, order progress to customers (push or SMS), low stock to merchants."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.notify.service import handle

handler = worker_handler("notify", handle)
