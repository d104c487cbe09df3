"""Request and response shapes of the push routes: the rider app's devices and inbox, the merchant console's alerts."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import AwareDatetime, StringConstraints

from paotui.notify.channels import Platform
from paotui.notify.inbox import InboxPage
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

    @classmethod
    def of(cls, page: InboxPage) -> Self:
        items = [
            InboxItemView(
                id=item.id,
                title=item.title,
                body=item.body,
                data=item.data or {},
                sent_at=item.sent_at,
                read=page.is_read(item),
            )
            for item in page.items
        ]
        return cls(items=items, next_cursor=page.next_cursor)


class MarkInboxRead(RequestModel):
    """``POST /riders/me/inbox/read``, ``POST /merchants/{merchantId}/alerts/read``: everything sent at or before
    ``up_to`` (an item's ``sent_at``) is read."""

    up_to: AwareDatetime


class ReadMarkView(ResponseModel):
    read_up_to: str
