"""SettlementWorker: orders delivered or returned, and merchants' refunds, into the merchants' ledger."""

from paotui.platform.consumers import worker_handler  # first: see its docstring
from paotui.settlement.events import handle

handler = worker_handler("settlement", handle)
