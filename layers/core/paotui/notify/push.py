"""Mobile push: SNS platform endpoints in AWS, the outbox locally (``settings.push_sender``).

A push goes to a user (``to`` = user id). In AWS it needs the user's SNS
platform endpoint ARN (riders register one from the app); a user without one
is skipped with a log line, never an error, so a notification can't block a
queue. Locally every push lands in the outbox, endpoint or not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

from paotui.platform.aws import client
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings

# Endpoint problems that retrying will not fix: the app was uninstalled or the token rotated.
_DEAD_ENDPOINT = {"EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException"}


class PushSender(Protocol):
    def send(
        self,
        to: str,
        title: str,
        body: str,
        *,
        data: Mapping[str, Any] | None = None,
        endpoint_arn: str | None = None,
    ) -> None:
        """Push ``title``/``body`` with ``data`` to user ``to`` (via ``endpoint_arn`` where one is needed)."""


def platform_message(title: str, body: str, data: Mapping[str, Any] | None = None) -> str:
    """The SNS ``MessageStructure=json`` payload: one message per push platform."""
    data = {key: value for key, value in (data or {}).items() if value is not None}
    fcm = {"notification": {"title": title, "body": body}, "data": {k: str(v) for k, v in data.items()}}
    apns = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **data}
    return json.dumps(
        {
            "default": body,
            "GCM": json.dumps(fcm, ensure_ascii=False),
            "APNS": json.dumps(apns, ensure_ascii=False),
            "APNS_SANDBOX": json.dumps(apns, ensure_ascii=False),
        },
        ensure_ascii=False,
    )


class SnsPushSender:
    def send(
        self,
        to: str,
        title: str,
        body: str,
        *,
        data: Mapping[str, Any] | None = None,
        endpoint_arn: str | None = None,
    ) -> None:
        if not endpoint_arn:
            logger.info("push skipped: no push endpoint", extra={"to": to})
            return
        try:
            client("sns").publish(
                TargetArn=endpoint_arn, MessageStructure="json", Message=platform_message(title, body, data)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in _DEAD_ENDPOINT:
                raise
            logger.warning("push skipped: endpoint unusable", extra={"to": to, "error": str(error)})
            return
        logger.info("push sent", extra={"to": to})


class OutboxPushSender:
    def send(
        self,
        to: str,
        title: str,
        body: str,
        *,
        data: Mapping[str, Any] | None = None,
        endpoint_arn: str | None = None,
    ) -> None:
        from paotui.notify import outbox  # local stage only: AWS never loads it

        outbox.write(to, "push", title, body, data)
        logger.info("push written to the outbox", extra={"to": to})


def get_push_sender() -> PushSender:
    kind = get_settings().push_sender
    if kind == "sns":
        return SnsPushSender()
    if kind == "outbox":
        return OutboxPushSender()
    raise ValueError(f"unknown PUSH_SENDER {kind!r} (expected 'sns' or 'outbox')")
