"""Routes of RidersApi for push: the rider app's devices and its inbox.

The notify domain owns devices and the inbox; the rider answers here because
the rider app talks to one API. Every route is the caller's own: another
user's device id is simply not found.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.notify import devices, inbox
from paotui.notify.models import (
    DeviceView,
    InboxPageView,
    MarkInboxRead,
    ReadMarkView,
    RegisterDevice,
)
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

RiderCaller = Annotated[Principal, Depends(require_role("rider"))]


@router.post(
    "/riders/me/devices",
    responses={201: {"description": "The device, registered"}, 200: {"description": "The device, registered before"}},
)
def register_device(body: RegisterDevice, caller: RiderCaller) -> tuple[DeviceView, int]:
    """Receive push on this device. Apps call it on every start: the same token again refreshes the device
    (200); a token another account registered moves to the caller (201). Past the device limit, the least
    recently seen device is dropped."""
    registration = devices.register(caller.user_id, body.platform, body.token)
    return DeviceView.of(registration.device), 201 if registration.created else 200


@router.get("/riders/me/devices")
def list_devices(caller: RiderCaller) -> list[DeviceView]:
    """The caller's devices, most recently seen first."""
    return [DeviceView.of(device) for device in devices.devices_of(caller.user_id)]


@router.delete("/riders/me/devices/<deviceId>", responses={204: {"description": "The device gets no more push"}})
def delete_device(deviceId: str, caller: RiderCaller) -> Response[None]:  # noqa: N803 (API path name)
    devices.remove(caller.user_id, deviceId)
    return Response(status_code=204)


@router.get("/riders/me/inbox")
def read_inbox(caller: RiderCaller, cursor: Annotated[str | None, Query(max_length=500)] = None) -> InboxPageView:
    """Every push the caller was sent (for the inbox retention, 30 days by default), newest first."""
    return InboxPageView.of(inbox.page(caller.user_id, cursor=cursor))


@router.post("/riders/me/inbox/read")
def mark_inbox_read(body: MarkInboxRead, caller: RiderCaller) -> ReadMarkView:
    """Mark read everything sent at or before ``up_to``; the mark never moves back (an older ``up_to`` keeps it)."""
    return ReadMarkView(read_up_to=inbox.mark_read(caller.user_id, body.up_to))
