"""NotifyWorker: pushes offers to riders (texting them once if unanswered), order progress to customers (push or
SMS), low stock to merchants; every push also into the recipient's inbox."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.notify.service import handle

handler = worker_handler("notify", handle)
