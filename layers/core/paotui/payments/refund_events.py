"""What RefundWorker does with order events: a cancelled order's open trades are closed, its money (and its coupon)
given back, once; a returned order is refunded by rule, once (orders.exceptions, orders.refund_rules).

Closing comes first: a trade still open at the provider could take money
after the cancellation (a payer with the payment sheet still open); a
provider that answers "already paid" gets that payment applied, and then
refunded with the rest.

The refund's id is fixed per payment (purpose ``cancel``), so a redelivered
or republished CANCELLED finds the refund already opened and at most asks the
provider again, which is idempotent on that id. A provider that is down makes
the message fail and come back (then the DLQ, with an alarm): nothing is lost.
"""

from __future__ import annotations

from paotui.coupons import service as coupons
from paotui.orders import exceptions
from paotui.orders.service import get_order
from paotui.payments import refunds
from paotui.payments.service import close_unpaid
from paotui.payments.channels import Providers, default_providers
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.observability import logger


def handle(event: DomainEvent, providers: Providers | None = None) -> None:
    """``providers``: the container's unless a caller (a test, a replay tool) brings its own."""
    if event.type != EventType.ORDER_STATUS_CHANGED:
        raise ValueError(f"RefundWorker does not handle {event.type}")
    status, order_id = event.data["status"], event.data["order"]["id"]
    if status == "RETURNED":
        exceptions.refund_return(order_id, providers or default_providers())
        return
    if status != "CANCELLED":
        return
    order = get_order(order_id)
    if order.coupon_id:
        released = coupons.release(order.customer_id, order.coupon_id, order.id)
        logger.info("coupon of a cancelled order", extra={"order_id": order.id, "given_back": released})
    providers = providers or default_providers()
    close_unpaid(order.id, providers)
    reason = f"order cancelled: {order.cancel_reason}" if order.cancel_reason else "order cancelled"
    opened = refunds.refund_rest(order, reason=reason[:80], by="system", providers=providers)
    logger.info("cancellation refunds", extra={"order_id": order.id, "refunds": [r.id for r in opened]})
