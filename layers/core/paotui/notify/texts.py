"""Texting a user once about what they asked for (the decision on their application to open a shop or to ride).

The text goes out at most once per ``key`` (an Inbox receipt, ``inbox.send_once``), so deciding again, or a
retry after a crash, texts nothing more. It is a courtesy beside what the caller did, not part of it: a text
that fails is logged and counted (``ApplicantsNotTexted``) and the caller's work stands; the receipt is given
back, so the next try (deciding the same way again) sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paotui.notify import inbox
from paotui.notify.sms import get_sms_sender
from paotui.platform.observability import logger, metrics


def text_once(user_id: str, key: str, phone: str, body: str, *, data: Mapping[str, Any]) -> bool:
    """Text ``body`` to ``phone`` unless done for ``key``; True if sent now."""

    def send() -> None:
        get_sms_sender().send(phone, body, data=data)

    try:
        return inbox.send_once(user_id, key, send)
    except Exception:  # noqa: BLE001 (see the module's docstring)
        logger.exception("applicant not texted", extra={"user_id": user_id, "key": key})
        metrics.add_metric(name="ApplicantsNotTexted", unit="Count", value=1)
        return False
