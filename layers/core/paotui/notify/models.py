"""Request and response shapes of the rider app's push routes: devices and the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, StringConstraints

from paotui.notify.channels import Platform
from paotui.platform.models import RequestModel, ResponseModel


class RegisterDevice(RequestModel):
    """``POST /riders/me/devices``: the token the platform's push service gave the app."""

    platform: Platform
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$")]


class DeviceView(ResponseModel):
    id: str
    platform: str
    created_at: str
    last_seen_at: str


class InboxItemView(ResponseModel):
    id: str
    title: str
    body: str
    data: dict[str, Any]
    sent_at: str
    read: bool


class InboxPageView(ResponseModel):
    items: list[InboxItemView]
    next_cursor: str | None = None


class MarkInboxRead(RequestModel):
    """``POST /riders/me/inbox/read``: everything sent at or before ``up_to`` (an item's ``sent_at``) is read."""

    up_to: AwareDatetime


class ReadMarkView(ResponseModel):
    read_up_to: str
