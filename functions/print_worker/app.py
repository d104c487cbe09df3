"""PrintWorker: an order its shop confirmed has its kitchen ticket printed on the shop's cloud printer (飞鹅云)."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.printing.events import handle

handler = worker_handler("print", handle)
