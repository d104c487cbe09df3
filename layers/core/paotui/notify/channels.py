"""Push channels: how a device of one platform is addressed, and how a message reaches it.

A :class:`PushChannel` per platform. ``fcm`` (Android with Google services),
``apns`` and ``apns_sandbox`` (iPhones; sandbox for development builds) are
SNS mobile push: one SNS platform application each (its ARN a setting; an
empty one leaves the platform off, and registering for it is 422
``PUSH_PLATFORM_NOT_CONFIGURED``), one SNS platform endpoint per device.

Callers (``paotui.notify.devices`` registering a device, the push sender
delivering to it) only go through :func:`channel_for`, so a provider SNS does
not cover (most Android phones sold in China have no Google services: Getui
个推, JPush 极光, or the vendors' own push) is added here alone:

1. a class with the three methods of :class:`PushChannel`: ``endpoint_for``
   returns how the provider addresses the device (for Getui, the client id the
   app reports, i.e. the token itself); ``deliver`` calls the provider's API
   and raises :class:`EndpointGone` when it reports the device gone;
   ``forget`` releases the address (often nothing to do);
2. its platform name in :data:`Platform` and a factory in :data:`CHANNELS`;
   its credentials in a Secrets Manager secret named by a setting, read like
   the payment providers' keys, and the provider's host allowed out of the
   function.

Nothing else changes: the Devices table stores the platform and the address,
the API accepts the new platform name, every push goes to every device.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from paotui.platform.aws import client
from paotui.platform.errors import Unprocessable
from paotui.platform.settings import Settings, get_settings

Platform = Literal["fcm", "apns", "apns_sandbox"]


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, title: str, body: str, data: Mapping[str, Any] | None = None) -> PushMessage:
        """A message whose ``data`` leaves out unset (None) values."""
        return cls(title, body, {key: value for key, value in (data or {}).items() if value is not None})


class EndpointGone(Exception):
    """The provider says this device can't be reached any more (app uninstalled, token rotated): forget it."""


class PushChannel(Protocol):
    def endpoint_for(self, token: str, known: str | None = None) -> str:
        """The provider's address of the device with ``token``, ready to receive (``known``: the one stored)."""

    def deliver(self, endpoint: str, message: PushMessage) -> None:
        """Send ``message`` to the device; raises :class:`EndpointGone` when it is gone."""

    def forget(self, endpoint: str) -> None:
        """Release the address of a device that is no longer registered."""


# SNS answers that retrying will not fix: the provider disabled the endpoint, or it was deleted.
_DEAD_ENDPOINT = {"EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException"}
_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:\S+) already exists with the same [Tt]oken")


def fcm_payload(message: PushMessage) -> dict[str, Any]:
    """FCM's message: a notification the system shows, and data (strings only) for the app."""
    return {
        "notification": {"title": message.title, "body": message.body},
        "data": {key: str(value) for key, value in message.data.items()},
    }


def apns_payload(message: PushMessage) -> dict[str, Any]:
    """APNs' message: the alert in ``aps``, the app's data beside it."""
    return {"aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"}, **message.data}


@dataclass(frozen=True)
class SnsPlatformChannel:
    """A platform SNS mobile push covers: one platform application, an endpoint per device token."""

    platform: str
    application_arn: str  # "" when the platform is not configured
    message_key: str  # the platform's key in SNS's MessageStructure=json: GCM, APNS, APNS_SANDBOX
    payload: Callable[[PushMessage], dict[str, Any]]
    token_pattern: re.Pattern[str]

    def endpoint_for(self, token: str, known: str | None = None) -> str:
        """Create the device's endpoint, or take the existing one, and make sure it is enabled with this token.

        The flow AWS recommends: an endpoint SNS disabled (the provider said the
        token was invalid) is enabled again by a fresh registration.
        """
        if not self.application_arn:
            raise Unprocessable(
                f"Push to {self.platform} devices is not set up.",
                code="PUSH_PLATFORM_NOT_CONFIGURED",
                details={"platform": self.platform},
            )
        if not self.token_pattern.fullmatch(token):
            raise _invalid_token(self.platform)
        endpoint = known or self._create(token)
        attributes = _attributes(endpoint)
        if attributes is None:  # the stored endpoint was deleted (by an operator, or SNS): a new one
            endpoint = self._create(token)
            attributes = _attributes(endpoint) or {}
        if str(attributes.get("Enabled")).lower() != "true" or attributes.get("Token") != token:
            client("sns").set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Token": token, "Enabled": "true"})
        return endpoint

    def _create(self, token: str) -> str:
        try:
            created = client("sns").create_platform_endpoint(PlatformApplicationArn=self.application_arn, Token=token)
        except ClientError as error:
            if error.response["Error"]["Code"] != "InvalidParameter":
                raise
            existing = _EXISTING_ENDPOINT.search(error.response["Error"].get("Message", ""))
            if existing:  # the token has an endpoint with other attributes (e.g. disabled): that one
                return existing.group(1)
            raise _invalid_token(self.platform) from None
        return created["EndpointArn"]

    def sns_message(self, message: PushMessage) -> str:
        """SNS's ``MessageStructure=json`` message: the platform's payload, and the text for anything else."""
        structured = {"default": message.body, self.message_key: json.dumps(self.payload(message), ensure_ascii=False)}
        return json.dumps(structured, ensure_ascii=False)

    def deliver(self, endpoint: str, message: PushMessage) -> None:
        try:
            client("sns").publish(TargetArn=endpoint, MessageStructure="json", Message=self.sns_message(message))
        except ClientError as error:
            if error.response["Error"]["Code"] in _DEAD_ENDPOINT:
                raise EndpointGone(str(error)) from error
            raise

    def forget(self, endpoint: str) -> None:
        client("sns").delete_endpoint(EndpointArn=endpoint)  # deleting a deleted endpoint succeeds


def _attributes(endpoint: str) -> dict[str, str] | None:
    """An endpoint's attributes (``Enabled``, ``Token``), or None when it no longer exists."""
    try:
        return client("sns").get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
    except ClientError as error:
        if error.response["Error"]["Code"] not in _DEAD_ENDPOINT:
            raise
        return None


def _invalid_token(platform: str) -> Unprocessable:
    return Unprocessable(f"That is not a {platform} device token.", code="PUSH_TOKEN_INVALID")


_FCM_TOKEN = re.compile(r"[A-Za-z0-9_:\-]{20,4096}")
_APNS_TOKEN = re.compile(r"(?:[0-9a-fA-F]{2}){32,100}")  # 32 bytes today; Apple says not to rely on the length

CHANNELS: dict[str, Callable[[Settings], PushChannel]] = {
    "fcm": lambda settings: SnsPlatformChannel(
        "fcm", settings.fcm_platform_application_arn, "GCM", fcm_payload, _FCM_TOKEN
    ),
    "apns": lambda settings: SnsPlatformChannel(
        "apns", settings.apns_platform_application_arn, "APNS", apns_payload, _APNS_TOKEN
    ),
    "apns_sandbox": lambda settings: SnsPlatformChannel(
        "apns_sandbox", settings.apns_sandbox_platform_application_arn, "APNS_SANDBOX", apns_payload, _APNS_TOKEN
    ),
}
"""Every platform's channel, built from settings; the keys are exactly :data:`Platform`."""


def channel_for(platform: str) -> PushChannel:
    """The channel of ``platform`` (one of :data:`Platform`)."""
    return CHANNELS[platform](get_settings())
