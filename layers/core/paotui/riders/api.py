"""Routes of RidersApi (API.md "Riders"). Thin: parse, authorize, call the service.

Offers live in the dispatch domain; the rider answers them here because the
rider app talks to one API. The watchdog is a dependency (``get_workflow``)
so tests can stand in for Step Functions.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.dispatch import service as dispatch
from paotui.dispatch.service import AssignmentWorkflow
from paotui.orders.models import OrderView
from paotui.platform.auth import Principal, require_role
from paotui.riders import location, service
from paotui.riders.models import (
    LocationBatch,
    LocationUpdated,
    OfferView,
    RejectOffer,
    RiderView,
    UpdateAvailability,
    UpdateLocation,
)
from paotui.riders.movement import Fix

router = APIGatewayRouter()


def get_workflow() -> AssignmentWorkflow:
    """Dependency: the watchdog's task tokens (Step Functions). Tests override this."""
    from paotui.workflow import service as workflow

    return workflow


RiderCaller = Annotated[Principal, Depends(require_role("rider"))]
Workflow = Annotated[AssignmentWorkflow, Depends(get_workflow)]


@router.put("/riders/me/location")
def put_location(body: UpdateLocation | LocationBatch, caller: RiderCaller) -> LocationUpdated:
    """Where the rider is now, or the points the app buffered; suspect points are kept flagged, not trusted.

    One update per ``location_min_interval_seconds`` (a batch counts once): sooner is 429 TOO_MANY_UPDATES with
    Retry-After. 422 POINT_IN_FUTURE / POINT_TOO_OLD for a batched point's time.
    """
    if isinstance(body, LocationBatch):
        report = location.report(caller.user_id, [Fix(p.lat, p.lng, p.at, p.accuracy_m) for p in body.points])
    else:
        report = location.update_location(caller.user_id, body.lat, body.lng)
    rider = RiderView.of(report.rider).model_dump()
    return LocationUpdated(**rider, accepted=report.accepted, flagged=report.flagged)


@router.put("/riders/me/availability")
def put_availability(body: UpdateAvailability, caller: RiderCaller) -> RiderView:
    """Online (offers), on a break (on duty, no offers) or offline. 409 RIDER_NOT_APPROVED, LOCATION_REQUIRED (going
    online), RIDER_OFFLINE (a break is taken from online)."""
    return RiderView.of(service.set_state(caller.user_id, body.wanted))


@router.get("/riders/me/offers")
def list_offers(caller: RiderCaller) -> list[OfferView]:
    service.get_rider(caller.user_id)
    return [OfferView.of(offer) for offer in dispatch.open_offers_of_rider(caller.user_id)]


@router.post("/offers/<offerId>/accept")
def accept_offer(offerId: str, caller: RiderCaller, workflow: Workflow) -> OrderView:  # noqa: N803 (API path name)
    return OrderView.of(dispatch.accept_offer(offerId, caller.user_id, workflow=workflow))


@router.post("/offers/<offerId>/reject")
def reject_offer(  # noqa: N803 (API path name)
    offerId: str, caller: RiderCaller, workflow: Workflow, body: RejectOffer | None = None
) -> OfferView:
    reason = body.reason if body else None
    return OfferView.of(dispatch.reject_offer(offerId, caller.user_id, reason, workflow=workflow))
