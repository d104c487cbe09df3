"""Routes of OpsApi: operators list incidents and resolve them. Admins only."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.ops import incidents
from paotui.ops.incidents import OPEN, IncidentStatus
from paotui.ops.models import IncidentPage, IncidentView, ResolveIncident
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.get("/admin/incidents")
def list_incidents(
    _admin: Admin,
    status: Annotated[IncidentStatus, Query()] = OPEN,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> IncidentPage:
    """Incidents of ``status`` (open: the operators' work), newest first. 400 ``INVALID_CURSOR``."""
    records, next_cursor = incidents.list_incidents(status, limit=limit, cursor=cursor)
    return IncidentPage(items=[IncidentView.of(record) for record in records], next_cursor=next_cursor)


@router.post("/admin/incidents/<incidentId>/resolve")
def resolve_incident(incidentId: str, body: ResolveIncident, caller: Admin) -> IncidentView:  # noqa: N803
    """Close an open incident with a note. 404 ``INCIDENT_NOT_FOUND``, 409 ``INCIDENT_RESOLVED``."""
    return IncidentView.of(incidents.resolve(incidentId, by=caller.user_id, note=body.note))
