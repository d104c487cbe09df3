"""EarningsWorker: riders' deliveries, ratings, complaints and offer answers into the earnings ledger and KPIs."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.riders.earnings_events import handle

handler = worker_handler("earnings", handle)
