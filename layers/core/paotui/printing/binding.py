"""A shop's cloud printer: bound with the 识别码 on its label, shown with its state, unbound.

Binding first claims the printer for the shop (its claim item is new, or this shop's already), so that no two shops
hold one printer; then adds it to the platform's Feieyun account, whose check of the 识别码 proves the shop holds
the printer; then records it on the merchant and prints a page saying so. A claim whose printer Feieyun refused is
given back. A bind cut short (Feieyun unreachable, a crash) is finished by binding again: the claim is the shop's
already, and Feieyun answers that it has the printer. Binding another printer unbinds the one before; changing the
label or the copies of the bound one needs no 识别码 and asks Feieyun nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from paotui.catalog.records import MerchantRecord, PrinterMap
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed
from paotui.platform.errors import DomainError, NotFound, Unprocessable
from paotui.platform.models import Line, RequestModel, ResponseModel
from paotui.platform.observability import logger, metrics
from paotui.printing import feie
from paotui.printing.feie import PrinterState
from paotui.printing.records import PrinterClaimRecord, claim_key
from paotui.printing.ticket import bound_page

MAX_COPIES = 4  # a kitchen, a counter, a bag, a spare


class PrinterIn(RequestModel):
    """The printer as its label gives it: ``sn`` (编号) and ``key`` (识别码); ``key`` may be left out to change only
    the label or copies of the printer bound already."""

    sn: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{6,20}$")]
    key: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{4,16}$")] | None = None
    label: Annotated[Line, StringConstraints(min_length=1, max_length=20)] = "后厨"
    copies: int = Field(default=1, ge=1, le=MAX_COPIES)


class PrinterView(ResponseModel):
    """The shop's printer; ``state`` as Feieyun last saw it (``unknown`` while Feieyun can't be asked)."""

    provider: Literal["feie"] = "feie"
    sn: str
    label: str
    copies: int
    bound_at: str
    state: PrinterState = PrinterState.UNKNOWN


def printer_of(merchant: MerchantRecord) -> PrinterView:
    """404 ``PRINTER_NOT_BOUND`` if the shop has none."""
    if merchant.printer is None:
        raise NotFound("The shop has no cloud printer.", code="PRINTER_NOT_BOUND")
    return _view(merchant.printer, _state(merchant.printer.sn))


def bind(merchant: MerchantRecord, body: PrinterIn) -> PrinterView:
    cloud = feie.required()
    before = merchant.printer
    if before is None or before.sn != body.sn:
        if not body.key:
            raise Unprocessable("The printer's 识别码 (key) is needed to bind it.", code="PRINTER_KEY_REQUIRED")
        fresh = _claim(body.sn, merchant.id)
        try:
            cloud.add_printer(body.sn, body.key, f"{merchant.name} {body.label}")
        except Unprocessable:
            if fresh:
                _release(body.sn, merchant.id)
            raise
    printer = PrinterMap(
        provider=feie.NAME,
        sn=body.sn,
        label=body.label,
        copies=body.copies,
        bound_at=before.bound_at if before is not None and before.sn == body.sn else clock.now_iso(),
    )
    merchant.update(actions=[MerchantRecord.printer.set(printer)], condition=MerchantRecord.id.exists())
    logger.info("printer bound", extra={"merchant_id": merchant.id, "sn": body.sn})
    if before is not None and before.sn != body.sn:
        _let_go(cloud, before.sn, merchant.id)
    if before is None or before.sn != body.sn:
        metrics.add_metric(name="PrinterBound", unit="Count", value=1)
        _print_bound_page(cloud, body.sn, merchant.name, body.label)
    return _view(printer, _state(body.sn))


def unbind(merchant: MerchantRecord) -> None:
    """The shop's printer out of the platform's account and off the shop; a shop without one: nothing to do. 502 if
    Feieyun can't be reached, and the printer stays bound."""
    printer = merchant.printer
    if printer is None:
        return
    feie.required().remove_printer(printer.sn)
    _release(printer.sn, merchant.id)
    merchant.update(actions=[MerchantRecord.printer.remove()], condition=MerchantRecord.id.exists())
    logger.info("printer unbound", extra={"merchant_id": merchant.id, "sn": printer.sn})


def _claim(sn: str, merchant_id: str) -> bool:
    """Claim the printer for the shop: True if the claim is new, False if it was the shop's already; 409
    ``PRINTER_TAKEN`` if it is another shop's."""
    key = claim_key(feie.NAME, sn)
    try:
        PrinterClaimRecord(key, merchant_id=merchant_id, claimed_at=clock.now_iso()).save(
            condition=PrinterClaimRecord.key.does_not_exist()
        )
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
    try:
        holder = PrinterClaimRecord.get(key, consistent_read=True).merchant_id
    except DoesNotExist:  # given back meanwhile: the shop may try again
        holder = None
    if holder != merchant_id:
        raise feie.taken()
    return False


def _release(sn: str, merchant_id: str) -> None:
    """Give the claim back, if it is the shop's."""
    try:
        PrinterClaimRecord(claim_key(feie.NAME, sn)).delete(condition=PrinterClaimRecord.merchant_id == merchant_id)
    except DeleteError as error:  # a claim gone, or another shop's, is not ours to give back
        if not condition_failed(error):
            raise


def _let_go(cloud: feie.FeieCloud, sn: str, merchant_id: str) -> None:
    """The printer bound before, out of the account and unclaimed. If Feieyun can't be reached it stays claimed (and in
    the account): nobody else can bind it until the shop binds and unbinds it again."""
    try:
        cloud.remove_printer(sn)
    except DomainError as error:
        logger.warning("the printer before stays in the account", extra={"sn": sn, "error": error.code})
        return
    _release(sn, merchant_id)


def _print_bound_page(cloud: feie.FeieCloud, sn: str, shop_name: str, label: str) -> None:
    """A page saying the printer works for the shop; the binding stands if it can't be printed."""
    try:
        cloud.print(sn, bound_page(shop_name, label))
    except DomainError as error:
        logger.warning("no page printed on binding", extra={"sn": sn, "error": error.code})


def _state(sn: str) -> PrinterState:
    """What Feieyun says of the printer; unknown while it can't be asked (unreachable, refusing, switched off)."""
    try:
        return feie.required().printer_state(sn)
    except DomainError:
        return PrinterState.UNKNOWN


def _view(printer: PrinterMap, state: PrinterState) -> PrinterView:
    return PrinterView(
        sn=printer.sn, label=printer.label, copies=int(printer.copies), bound_at=printer.bound_at, state=state
    )
