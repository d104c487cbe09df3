"""OpsWorker: the watchdog's failures (OpsQueue) become incidents for operators."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.ops.events import handle

handler = worker_handler("ops", handle)
