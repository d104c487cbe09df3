"""Routes of RidersApi for onboarding: a user applies, admins create, list, approve and suspend riders."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.platform.auth import Principal, current_principal, require_role
from paotui.platform.http import made
from paotui.riders import onboarding
from paotui.riders.models import NewRider, RiderApplication, RiderChange, RiderPage, RiderView
from paotui.riders.records import RiderRecord, RiderStatus

router = APIGatewayRouter()

Caller = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(require_role("admin"))]


def _registered(rider: RiderRecord, created: bool) -> Response[RiderView]:
    """201 with the rider; ``Idempotent-Replayed`` says whether an earlier request registered it."""
    return made(RiderView.of(rider), created)


@router.post("/riders/applications", responses={201: {"description": "The application (PENDING), new or replayed"}})
def apply(body: RiderApplication, caller: Caller) -> Response[RiderView]:
    zone = body.zone.model_dump() if body.zone else None
    return _registered(*onboarding.apply(caller.user_id, body.name, body.vehicle, zone))


@router.post("/admin/riders", responses={201: {"description": "The rider (APPROVED), new or already there"}})
def create_rider(body: NewRider, _admin: Admin) -> Response[RiderView]:
    zone = body.zone.model_dump() if body.zone else None
    return _registered(*onboarding.create(body.phone, body.name, body.vehicle, body.capacity, zone))


@router.get("/admin/riders")
def list_riders(
    _admin: Admin,
    status: Annotated[RiderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> RiderPage:
    riders, next_cursor = onboarding.page(status, limit, cursor)
    return RiderPage(items=[RiderView.of(rider) for rider in riders], next_cursor=next_cursor)


@router.patch("/admin/riders/<riderId>")
def change_rider(riderId: str, body: RiderChange, _admin: Admin) -> RiderView:  # noqa: N803 (API path name)
    return RiderView.of(onboarding.update(riderId, body.changes()))
