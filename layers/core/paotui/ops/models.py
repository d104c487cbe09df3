"""Operators' view of incidents, and what they send to resolve one."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paotui.platform.models import Prose, RequestModel, ResponseModel


class IncidentView(ResponseModel):
    id: str
    order_id: str
    kind: str
    status: str  # OPEN | RESOLVED
    detail: dict[str, Any] | None = None
    created_at: str
    resolved_at: str | None = None
    resolved_by: str | None = None
    note: str | None = None


class IncidentPage(ResponseModel):
    items: list[IncidentView]
    next_cursor: str | None


class ResolveIncident(RequestModel):
    note: Prose | None = Field(default=None, max_length=1000, description="what was done about it")
