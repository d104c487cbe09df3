"""Routes of riders' cash (RidersApi, with the riders' other routes): what a rider holds, for the rider and
operators, and hand-ins operators record."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.platform.auth import Principal, require_role
from paotui.platform.http import made, required_idempotency_key
from paotui.settlement import cash
from paotui.settlement.cash_models import CashView, HandInRequest, HandInView

router = APIGatewayRouter()

Admin = Annotated[Principal, Depends(require_role("admin"))]
Rider = Annotated[Principal, Depends(require_role("rider"))]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=300)]


@router.get("/riders/me/cash")
def my_cash(rider: Rider, limit: Limit = 20, cursor: Cursor = None) -> CashView:
    """The cash the caller took at doors and has not handed in, and its moves. 404 ``RIDER_NOT_FOUND``."""
    return cash.cash_of(rider.user_id, limit, cursor)


@router.get("/admin/riders/<riderId>/cash")
def rider_cash(riderId: str, _admin: Admin, limit: Limit = 20, cursor: Cursor = None) -> CashView:  # noqa: N803
    return cash.cash_of(riderId, limit, cursor)


@router.post(
    "/admin/riders/<riderId>/cash-handins", responses={201: {"description": "The hand-in, recorded or replayed"}}
)
def hand_in(
    riderId: str,  # noqa: N803 (API path name)
    body: HandInRequest,
    admin: Admin,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[HandInView]:
    """Record cash the rider handed in (at most what they hold). 400 ``IDEMPOTENCY_KEY_REQUIRED``, 404
    ``RIDER_NOT_FOUND``, 409 ``CASH_EXCEEDS_HELD``, 422 ``IDEMPOTENCY_KEY_REUSED``."""
    key = required_idempotency_key(idempotency_key)
    view, created = cash.hand_in(riderId, body, key=key, by=admin.user_id)
    return made(view, created)
