"""StockWorker: turns an order's stock reservation into a decrement on PAID, releases it on CANCELLED."""

from paotui.catalog.stock_events import handle
from paotui.platform.consumers import worker_handler

handler = worker_handler("stock", handle)
