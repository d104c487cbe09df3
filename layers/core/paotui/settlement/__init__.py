"""Settlement (结算): what the platform owes each shop for its orders and has paid it, and the cash riders hold for it.

``rules`` is the arithmetic, ``ledger`` writes an order's sale and the
merchant's refunds of it once, ``accounts`` reads balances and statements and
records payouts, ``cash`` keeps the cash riders take at doors until they hand
it in, ``events`` is SettlementWorker's handler (docs/adr/0024).
"""
