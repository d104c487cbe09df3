"""DispatchWorker: offers confirmed orders to riders (order.status_changed, dispatch.requested, rider.online)."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.dispatch.events import handle
import paotui.dispatch.rounds  # noqa: F401  the engine (numpy, scipy) loads with the container, not in a round

handler = worker_handler("dispatch", handle)
