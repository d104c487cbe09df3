"""DispatchWorker: offers confirmed orders to riders (order.status_changed, dispatch.requested)."""

from paotui.dispatch.events import handle
from paotui.platform.consumers import worker_handler

handler = worker_handler("dispatch", handle)
