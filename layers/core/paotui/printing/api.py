"""Routes of CatalogApi for a shop's cloud printer (owner or admin): shown with its state, bound, unbound."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog.lookup import managed_merchant
from paotui.platform.auth import Principal, require_role
from paotui.printing import binding
from paotui.printing.binding import PrinterIn, PrinterView

router = APIGatewayRouter()

Manager = Annotated[Principal, Depends(require_role("merchant"))]


@router.get("/merchants/<merchantId>/printer")
def get_printer(merchantId: str, principal: Manager) -> PrinterView:  # noqa: N803 (API path name)
    """404 ``PRINTER_NOT_BOUND`` if the shop has none."""
    return binding.printer_of(managed_merchant(principal, merchantId))


@router.put("/merchants/<merchantId>/printer")
def put_printer(merchantId: str, body: PrinterIn, principal: Manager) -> PrinterView:  # noqa: N803 (API path name)
    """Bind the shop's printer (its 编号 and 识别码), or change the bound one's label or copies. 409 ``PRINTER_TAKEN``
    (another shop's), 422 ``PRINTER_REFUSED`` (Feieyun's reason), 502 ``PRINTER_CLOUD_UNAVAILABLE`` (bind again),
    503 ``PRINTING_OFF`` (the platform has no Feieyun account)."""
    return binding.bind(managed_merchant(principal, merchantId), body)


@router.delete("/merchants/<merchantId>/printer", responses={204: {"description": "The shop has no printer now"}})
def delete_printer(merchantId: str, principal: Manager) -> Response[None]:  # noqa: N803 (API path name)
    binding.unbind(managed_merchant(principal, merchantId))
    return Response(status_code=204)
