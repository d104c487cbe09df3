"""Merchants' settlement (结算): what the platform owes each shop for its orders, and what it has paid it.

``rules`` is the arithmetic, ``ledger`` writes an order's sale and the
merchant's refunds of it once, ``accounts`` reads balances and statements and
records payouts, ``events`` is SettlementWorker's handler (docs/adr/0024).
"""
