"""Which watchdog execution watches an order (``watch_execution``; unset: the first, named by the order id).

The reconciliation sweep (paotui.ops.reconcile) claims the name of a new
execution here before it starts one: a compare-and-set on the name it
replaces and on the status it resumes from, so of two sweeps racing for the
same lost watchdog one starts the next execution and the other backs off.
Like alerts, the name doesn't move ``version``: it never conflicts with a
status change.
"""

from __future__ import annotations


from paotui.orders.records import OrderRecord
from paotui.platform.dynamo import update_if


def current_execution(order: OrderRecord) -> str:
    return order.watch_execution or order.id


def claim_execution(order_id: str, *, replacing: str, name: str, status: str) -> bool:
    """Record ``name`` as the order's execution if it is still ``replacing`` and the order still ``status``."""
    current = OrderRecord.watch_execution == replacing
    if replacing == order_id:
        current = current | OrderRecord.watch_execution.does_not_exist()
    return update_if(
        OrderRecord(order_id),
        actions=[OrderRecord.watch_execution.set(name)],
        condition=OrderRecord.id.exists() & (OrderRecord.status == status) & current,
    )
