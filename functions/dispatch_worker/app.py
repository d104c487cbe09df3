"""DispatchWorker: offers confirmed orders to riders (order.status_changed, dispatch.requested)."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.dispatch.events import handle

handler = worker_handler("dispatch", handle)
