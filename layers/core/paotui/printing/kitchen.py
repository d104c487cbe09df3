"""An order's kitchen ticket on its shop's cloud printer, printed once when the shop confirms the order.

The order carries its ticket's state (``kitchen_print``). Printing claims it first, by a conditional update that
holds while the order has no ticket yet, or one still ``printing`` with the number of tries just read (a try that
Feieyun never took, or whose answer was lost). So a second CONFIRMED (an order put back to its shop's riders), a
redelivered message or two tries at once print one ticket. Then the ticket goes to Feieyun, and the order records
the job (``sent``) or Feieyun's refusal (``failed``, not tried again: a printer removed at Feieyun, a ticket it
won't take). While Feieyun can't be reached the message is tried again, and after the queue's last try it waits
in PrintDLQ for an operator's redrive. A try whose answer was lost prints twice: Feieyun takes no key that would
make a job happen once only, and a second ticket is better than none.

The shop (or an operator) can have a ticket printed again (补打: one lost, torn, or refused before), at once and
whatever the ticket's state: :func:`reprint`. It leaves the ticket ``sent``, so a try still waiting to be made
(in the queue, or its dead letters) prints nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, UpdateError

from paotui.catalog.records import MerchantRecord
from paotui.orders.records import KitchenPrintMap, OrderRecord
from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed
from paotui.platform.errors import Conflict, Forbidden, Unprocessable
from paotui.platform.observability import logger, metrics
from paotui.printing import feie
from paotui.printing.ticket import ticket

if TYPE_CHECKING:
    from paotui.platform.auth import Principal

PRINTING, SENT, FAILED = "printing", "sent", "failed"
NOT_IN_THE_KITCHEN = {Status.PENDING_PAYMENT, Status.PAID, Status.CANCELLED}  # not taken by the shop, or dropped


def print_ticket(order_id: str) -> str:
    """Print the order's ticket if its shop has a printer and it has not been printed: what happened, in a word."""
    try:
        order = OrderRecord.get(order_id, consistent_read=True)
    except DoesNotExist:
        return "no_order"
    if order.merchant_id is None:  # an errand: no kitchen
        return "no_shop"
    if order.kitchen_print is not None and order.kitchen_print.state != PRINTING:
        return "printed_already"
    try:
        merchant = MerchantRecord.get(order.merchant_id)
    except DoesNotExist:
        return "no_shop"
    printer, cloud = merchant.printer, feie.configured()
    if printer is None or cloud is None:
        return "no_printer"
    if not _claim(order, printer.sn):
        return "printed_already"
    try:
        job = cloud.print(printer.sn, ticket(order, merchant.name), int(printer.copies))
    except Unprocessable as refusal:
        _record(order, state=FAILED, reason=str(refusal.details.get("provider_message") or refusal.message))
        metrics.add_metric(name="KitchenTicketRefused", unit="Count", value=1)
        logger.warning("kitchen ticket refused", extra={"order_id": order.id, "sn": printer.sn, **refusal.details})
        return FAILED
    _record(order, state=SENT, job_id=job)
    metrics.add_metric(name="KitchenTicketSent", unit="Count", value=1)
    logger.info("kitchen ticket sent", extra={"order_id": order.id, "sn": printer.sn, "job_id": job})
    return SENT


def reprint(order_id: str, caller: Principal) -> OrderRecord:
    """Print the order's ticket again, now, on its shop's printer: for the shop or an operator, once the shop has taken
    the order. 403 ``NOT_YOUR_ORDER``; 409 ``NOT_IN_THE_KITCHEN`` (not taken yet, cancelled, or an errand),
    ``PRINTER_NOT_BOUND``; 422 ``PRINTER_REFUSED``, 502 ``PRINTER_CLOUD_UNAVAILABLE``, 503 ``PRINTING_OFF``."""
    from paotui.catalog.service import get_merchant
    from paotui.orders import service

    order = service.get_order(order_id)
    if not service.actors_for(order, caller) & {Actor.MERCHANT, Actor.ADMIN}:
        raise Forbidden("Only the order's shop prints its ticket.", code="NOT_YOUR_ORDER")
    if order.merchant_id is None or Status(order.status) in NOT_IN_THE_KITCHEN:
        raise Conflict(
            "The kitchen doesn't have this order.", code="NOT_IN_THE_KITCHEN", details={"status": order.status}
        )
    merchant = get_merchant(order.merchant_id)
    if merchant.printer is None:
        raise Conflict("The shop has no cloud printer.", code="PRINTER_NOT_BOUND")
    job = feie.required().print(merchant.printer.sn, ticket(order, merchant.name))
    before = order.kitchen_print
    printed = KitchenPrintMap(
        state=SENT,
        sn=merchant.printer.sn,
        attempts=int(before.attempts) if before is not None else 0,
        job_id=job,
        reprints=int(before.reprints or 0) + 1 if before is not None else 1,
        at=clock.now_iso(),
    )
    order.update(actions=[OrderRecord.kitchen_print.set(printed)], condition=OrderRecord.id.exists())
    metrics.add_metric(name="KitchenTicketReprinted", unit="Count", value=1)
    logger.info("kitchen ticket printed again", extra={"order_id": order.id, "job_id": job, "by": caller.user_id})
    return order


def _claim(order: OrderRecord, sn: str) -> bool:
    """Mark the order's ticket as being printed, one try more; False if another try got there first."""
    before = order.kitchen_print
    tries = int(before.attempts) if before is not None else 0
    unclaimed = (
        OrderRecord.kitchen_print.does_not_exist()
        if before is None
        else (OrderRecord.kitchen_print.state == PRINTING) & (OrderRecord.kitchen_print.attempts == tries)
    )
    claim = KitchenPrintMap(state=PRINTING, sn=sn, attempts=tries + 1, at=clock.now_iso())
    try:
        order.update(actions=[OrderRecord.kitchen_print.set(claim)], condition=OrderRecord.id.exists() & unclaimed)
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def _record(order: OrderRecord, *, state: str, job_id: str | None = None, reason: str | None = None) -> None:
    """The try's outcome on the order (only its ticket's state: the order's version and moves are not touched)."""
    actions = [
        OrderRecord.kitchen_print.state.set(state),
        OrderRecord.kitchen_print.at.set(clock.now_iso()),
    ]
    if job_id is not None:
        actions.append(OrderRecord.kitchen_print.job_id.set(job_id))
    if reason is not None:
        actions.append(OrderRecord.kitchen_print.reason.set(reason[:200]))
    order.update(actions=actions)
