"""Who may cancel an order, and when: free before the merchant confirms, by consent after, never after pickup.

- A customer cancels an unconfirmed order (PENDING_PAYMENT, PAID) at once.
- Once the merchant has confirmed (CONFIRMED, ASSIGNED), food is being made:
  the customer's cancel becomes a request the merchant approves (the order is
  cancelled, by the merchant) or refuses (it goes on). One request at a time.
  An errand has no merchant to ask, so its customer may cancel until pickup.
- From PICKING_UP on, the customer can't cancel: 409 TOO_LATE_TO_CANCEL. The
  merchant (and an admin) cancel directly, as the transition table allows;
  that is how a merchant rejects an order, and timeouts cancel by the system.

A paid order that ends cancelled is refunded by RefundWorker, whoever cancelled.
Requests are conditional writes on the order's ``version``, like every move.
"""

from __future__ import annotations

from pynamodb.expressions.update import Action

from paotui.orders import service
from paotui.orders.records import CancelRequestMap, OrderRecord
from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.errors import Conflict, Forbidden
from paotui.platform.dynamo import update_if

FREE = frozenset({Status.PENDING_PAYMENT, Status.PAID})
BY_CONSENT = frozenset({Status.CONFIRMED, Status.ASSIGNED})
PENDING, APPROVED, REJECTED = "PENDING", "APPROVED", "REJECTED"


def cancel(order_id: str, caller: Principal, reason: str) -> tuple[OrderRecord, bool]:
    """Cancel for ``caller``; returns the order and whether it is now cancelled (False: a request awaits)."""
    order = service.get_order(order_id)
    actors = service.actors_for(order, caller)
    if actors & {Actor.MERCHANT, Actor.ADMIN} or Actor.CUSTOMER not in actors:  # the transition table decides
        return service.transition(order_id, Status.CANCELLED, caller, reason=reason), True
    status = Status(order.status)
    if status in FREE:
        try:
            return service.transition(order_id, Status.CANCELLED, caller, reason=reason), True
        except Forbidden as refused:  # confirmed since we read it: answer for what it is now (a request), not 403
            if refused.code != "TRANSITION_FORBIDDEN" or Status(service.get_order(order_id).status) in FREE:
                raise
            return cancel(order_id, caller, reason)
    if status in BY_CONSENT and order.merchant_id is None:
        cancelled = service.system_transition(
            order_id, Status.CANCELLED, expected=BY_CONSENT, reason=reason, by=f"customer:{caller.user_id}"
        )
        if cancelled is None:  # picked up (or ended) since we read it: answer for what it is now, not with a 202
            return cancel(order_id, caller, reason)
        return cancelled, True
    if status in BY_CONSENT:
        return _ask(order, reason), False
    raise Conflict(
        f"An order that is {status.value} can't be cancelled by the customer any more.",
        code="TOO_LATE_TO_CANCEL",
        details={"status": status.value},
    )


def answer(order_id: str, caller: Principal, approve: bool, reason: str | None) -> OrderRecord:
    """The merchant's (or an admin's) answer to the pending request."""
    order = service.get_order(order_id)
    if not service.actors_for(order, caller) & {Actor.MERCHANT, Actor.ADMIN}:
        raise Forbidden("Only the order's merchant answers a cancel request.", code="NOT_YOUR_ORDER")
    request = order.cancel_request
    if request is None or request.status != PENDING:
        raise Conflict("There is no cancel request waiting for an answer.", code="NO_CANCEL_REQUEST")
    if approve:
        reason = f"customer asked: {request.reason}"[:200]
        return service.transition(order_id, Status.CANCELLED, caller, reason=reason, extra=_answer(APPROVED, None))
    _update(order, _answer(REJECTED, reason))
    return service.get_order(order_id)


def _ask(order: OrderRecord, reason: str) -> OrderRecord:
    if order.cancel_request is not None and order.cancel_request.status == PENDING:
        raise Conflict("A cancel request is already waiting for the merchant.", code="CANCEL_REQUEST_PENDING")
    request = CancelRequestMap(reason=reason, at=clock.now_iso(), status=PENDING)
    _update(order, [OrderRecord.cancel_request.set(request)])
    return service.get_order(order.id)


def _answer(status: str, reason: str | None) -> list[Action]:
    actions = [
        OrderRecord.cancel_request.status.set(status),
        OrderRecord.cancel_request.answered_at.set(clock.now_iso()),
    ]
    if reason:
        actions.append(OrderRecord.cancel_request.answer.set(reason))
    return actions


def _update(order: OrderRecord, actions: list[Action]) -> None:
    """Write ``actions`` if the order is still as read (same version); 409 when it moved meanwhile."""
    if not update_if(
        order,
        actions=[*actions, OrderRecord.version.add(1), OrderRecord.updated_at.set(clock.now_iso())],
        condition=OrderRecord.version == order.version,
    ):
        raise Conflict("The order changed while we were updating it; try again.", code="CONCURRENT_UPDATE")
