"""WatchdogWorker: starts each order's watchdog and answers its task tokens."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.workflow.events import handle

handler = worker_handler("watchdog", handle)
