"""SMS: through SNS in AWS, into the outbox locally (``settings.sms_sender``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from paotui.platform.aws import client
from paotui.platform.observability import logger
from paotui.platform.settings import get_settings


class SmsSender(Protocol):
    def send(self, phone: str, message: str, *, data: Mapping[str, Any] | None = None) -> None:
        """Send ``message`` to ``phone`` (E.164). ``data`` is kept by the outbox only."""


class SnsSmsSender:
    def send(self, phone: str, message: str, *, data: Mapping[str, Any] | None = None) -> None:
        client("sns").publish(
            PhoneNumber=phone,
            Message=message,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
        logger.info("sms sent", extra={"channel": "sns"})


class OutboxSmsSender:
    def send(self, phone: str, message: str, *, data: Mapping[str, Any] | None = None) -> None:
        from paotui.notify import outbox  # local stage only: AWS never loads it

        outbox.write(phone, "sms", "SMS", message, data)
        logger.info("sms written to the outbox", extra={"to": phone})


def get_sms_sender() -> SmsSender:
    kind = get_settings().sms_sender
    if kind == "sns":
        return SnsSmsSender()
    if kind == "outbox":
        return OutboxSmsSender()
    raise ValueError(f"unknown SMS_SENDER {kind!r} (expected 'sns' or 'outbox')")
