"""Mobile push to a user (``to`` = user id): into their inbox, then out to their devices.

Every push lands in the recipient's inbox (``paotui.notify.inbox``) first,
whatever else happens: a user without a registered device, or with
notifications off, still finds it there. Then it goes out through the
outlets ``settings.push_sender`` names:

==============  ===================================================================
``sns``         every device of the user (``paotui.notify.devices``: SNS platform
                endpoints in AWS); a device found gone is removed
``outbox``      the local outbox (``GET /dev/outbox``), tests
``sns+outbox``  both: the local cloud runs the SNS path against moto, and the
                outbox shows what was sent
==============  ===================================================================

A caller that has an id for the message (the notify worker: per offer, per
event) passes ``message_id``: a retried send then adds no second inbox item,
and goes out to the outlets again only if it failed there (a receipt,
``inbox.send_once``), so a recipient already told isn't pushed twice when the
event is retried for another recipient's sake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from paotui.notify import devices, inbox
from paotui.notify.channels import PushMessage
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings


class PushSender(Protocol):
    def send(
        self,
        to: str,
        title: str,
        body: str,
        *,
        data: Mapping[str, Any] | None = None,
        endpoint_arn: str | None = None,
        message_id: str | None = None,
    ) -> None:
        """Push ``title``/``body`` with ``data`` to user ``to`` (only to their device at ``endpoint_arn``, if given)."""


Outlet = Callable[[str, PushMessage, str | None], None]
"""Where a push goes after the inbox: (user id, message, the one endpoint or None for all devices)."""


def to_devices(to: str, message: PushMessage, endpoint: str | None) -> None:
    delivered = devices.push(to, message, endpoint=endpoint)
    logger.info("push sent", extra={"to": to, "devices": delivered})


def to_outbox(to: str, message: PushMessage, endpoint: str | None) -> None:
    from paotui.notify import outbox  # local stage only: AWS never loads it

    outbox.write(to, "push", message.title, message.body, message.data)
    logger.info("push written to the outbox", extra={"to": to})


class InboxPushSender:
    """A push sender: the inbox first, then each outlet."""

    def __init__(self, *outlets: Outlet):
        self.outlets = outlets

    def send(
        self,
        to: str,
        title: str,
        body: str,
        *,
        data: Mapping[str, Any] | None = None,
        endpoint_arn: str | None = None,
        message_id: str | None = None,
    ) -> None:
        message = PushMessage.of(title, body, data)
        inbox.record(to, message, message_id=message_id)
        if message_id is None:
            self._deliver(to, message, endpoint_arn)
        else:
            inbox.send_once(to, f"devices:{message_id}", lambda: self._deliver(to, message, endpoint_arn))

    def _deliver(self, to: str, message: PushMessage, endpoint_arn: str | None) -> None:
        for outlet in self.outlets:
            outlet(to, message, endpoint_arn)


OUTLETS: dict[str, tuple[Outlet, ...]] = {
    "sns": (to_devices,),
    "outbox": (to_outbox,),
    "sns+outbox": (to_devices, to_outbox),
}


def get_push_sender() -> PushSender:
    kind = get_settings().push_sender
    if kind not in OUTLETS:
        raise ValueError(f"unknown PUSH_SENDER {kind!r} (expected one of {', '.join(OUTLETS)})")
    return InboxPushSender(*OUTLETS[kind])
