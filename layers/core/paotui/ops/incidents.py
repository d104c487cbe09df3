"""Incidents: an order the platform could not put right by itself, raised once for operators.

Callers are OpsWorker (a watchdog execution failed; a customer's complaint
waiting for a decision, ``ops.complaints``), dispatch escalation (no rider at
the last level), the watchdog's last timeouts (pickup, delivery,
return overdue) and the reconciliation sweep (a watchdog lost for good, an
order stuck past its deadline). Each raise is a
conditional put keyed by (order, kind) that succeeds only when no incident of
that kind is open for the order: retries and racing callers store one incident
and page operators once, through OpsAlarmTopic, while a new occurrence after
operators resolved the last one reopens it and pages again.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from pynamodb.exceptions import PutError

from paotui.ops.records import IncidentRecord
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.dynamo import condition_failed, update_if
from paotui.platform.errors import Conflict, NotFound, invalid_cursor
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

OPEN = "OPEN"
RESOLVED = "RESOLVED"
IncidentStatus = Literal["OPEN", "RESOLVED"]


def incident_id(order_id: str, kind: str) -> str:
    return stable_id("inc_", order_id, kind)


def raise_incident(order_id: str, kind: str, detail: dict, *, page: bool = True) -> bool:
    """Store incident ``kind`` for the order and page operators (unless ``page`` is False: work for office hours,
    not for the on-call); False if it is open already.

    A resolved incident of the same kind is replaced (reopened, its resolution cleared): the problem is back.
    """
    record = IncidentRecord(
        incident_id(order_id, kind),
        order_id=order_id,
        kind=kind,
        status=OPEN,
        detail=dict(detail) if detail else None,
        created_at=clock.now_iso(),
    )
    try:
        record.save(condition=IncidentRecord.id.does_not_exist() | (IncidentRecord.status == RESOLVED))
    except PutError as error:
        if not condition_failed(error):
            raise
        logger.info("incident already open", extra={"order_id": order_id, "kind": kind})
        return False
    logger.warning("incident raised", extra={"order_id": order_id, "kind": kind, "detail": detail})
    metrics.add_metric(name="IncidentsRaised", unit="Count", value=1)
    if page:
        _page({"incident_id": record.id, "order_id": order_id, "kind": kind, "detail": detail, "at": record.created_at})
    return True


def resolve(incident: str, *, by: str, note: str | None) -> IncidentRecord:
    """Close an open incident; resolving it again is a conflict, not a silent success."""
    record = get(incident)
    if record.status != OPEN:
        raise Conflict("The incident is already resolved.", code="INCIDENT_RESOLVED")
    resolved_at = clock.now()
    if not update_if(
        record,
        actions=[
            IncidentRecord.status.set(RESOLVED),
            IncidentRecord.resolved_at.set(clock.iso(resolved_at)),
            IncidentRecord.resolved_by.set(by),
            IncidentRecord.note.set(note) if note else IncidentRecord.note.remove(),
            IncidentRecord.ttl.set(resolved_at + timedelta(seconds=get_settings().incident_retention_seconds)),
        ],
        condition=IncidentRecord.status == OPEN,
    ):
        raise Conflict("The incident is already resolved.", code="INCIDENT_RESOLVED")
    return record


def close(order_id: str, kind: str, *, by: str, note: str | None) -> bool:
    """Resolve the order's incident ``kind`` once what it waited for has happened; False if none is open."""
    try:
        resolve(incident_id(order_id, kind), by=by, note=note)
    except (NotFound, Conflict):
        return False
    return True


def get(incident: str) -> IncidentRecord:
    try:
        return IncidentRecord.get(incident, consistent_read=True)
    except IncidentRecord.DoesNotExist as error:
        raise NotFound("No such incident.", code="INCIDENT_NOT_FOUND") from error


def list_incidents(
    status: IncidentStatus, *, limit: int, cursor: str | None = None
) -> tuple[list[IncidentRecord], str | None]:
    """Incidents of one status, newest first, through ``by-status``; the cursor continues after the last one."""
    page = IncidentRecord.by_status.query(
        status, scan_index_forward=False, limit=limit, last_evaluated_key=_start_key(status, cursor)
    )
    records = list(page)
    return records, _cursor(page.last_evaluated_key)


def _cursor(last_key: dict | None) -> str | None:
    """Where the next page starts, as ``<created_at> <incident id>``: the index position of the last item."""
    if not last_key:
        return None
    position = f"{last_key['created_at']['S']} {last_key['id']['S']}"
    return base64.urlsafe_b64encode(position.encode()).decode()


def _start_key(status: str, cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        created_at, incident = base64.urlsafe_b64decode(cursor.encode()).decode().split(" ")
        clock.parse_iso(created_at)  # DynamoDB refuses a start key with an empty string (a 5xx)
        if not incident:
            raise ValueError("no incident id")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_cursor() from None
    return {"id": {"S": incident}, "status": {"S": status}, "created_at": {"S": created_at}}


def _page(message: Mapping[str, Any]) -> None:
    """Publish the new incident to OpsAlarmTopic, where the on-call subscriptions are.

    A failure to page does not undo the stored incident: operators still see it
    in the listing, and retrying the raise would page nothing (it is open).
    """
    topic = get_settings().ops_alarm_topic_arn
    if not topic:
        return
    try:
        client("sns").publish(
            TopicArn=topic,
            Subject=f"paotui incident {message['kind']}"[:100],
            Message=json.dumps(message, ensure_ascii=False, default=str),
        )
    except Exception:  # noqa: BLE001 - the incident is stored; paging is best effort
        logger.exception("incident page failed", extra={"incident_id": message["incident_id"]})
