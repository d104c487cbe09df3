"""StockWorker: turns an order's stock reservation into a decrement on PAID, releases it on CANCELLED."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.catalog.stock_events import handle

handler = worker_handler("stock", handle)
