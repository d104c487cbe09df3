"""Which provider serves a payment channel, built from its Secrets Manager secret once per container.

A channel whose secret is still the placeholder ``{}`` (as the template
creates it) is not configured: paying with it is 422 CHANNEL_NOT_CONFIGURED,
and its notify route is 404, so nothing half-configured can take money.
The sandbox exists only in local and test stages. Adapters are rebuilt when a
secret's value changes (secrets are re-read every five minutes), so a key
rotation needs no deploy.
"""

from __future__ import annotations

from functools import lru_cache

from paotui.payments import sandbox
from paotui.payments.providers import PaymentProvider
from paotui.platform.errors import NotFound, Unprocessable
from paotui.platform.secrets import secret_value
from paotui.platform.settings import Settings, get_settings

CHANNELS = ("wechat", "alipay", "sandbox")


class Providers:
    def __init__(self, settings: Settings, transport: sandbox.Transport):
        self._settings = settings
        self._transport = transport

    def notify_url(self, channel: str) -> str:
        """Where a provider sends its callbacks for ``channel``: our public API."""
        return f"{self._settings.public_base_url.rstrip('/')}/payments/notify/{channel}"

    def for_payment(self, channel: str) -> PaymentProvider:
        provider = self._provider(channel)
        if provider is None:
            raise Unprocessable(
                f"The {channel} channel is not configured in this deployment.", code="CHANNEL_NOT_CONFIGURED"
            )
        return provider

    def for_notify(self, channel: str) -> PaymentProvider:
        provider = self._provider(channel) if channel in CHANNELS else None
        if provider is None:
            raise NotFound("No such payment channel.", code="CHANNEL_NOT_FOUND")
        return provider

    def _provider(self, channel: str) -> PaymentProvider | None:
        settings = self._settings
        if channel == "sandbox":
            if not settings.is_local:
                return None
            return sandbox.SandboxProvider(lambda: secret_value(settings.payment_secret_arn), self._transport)
        arn = {"wechat": settings.wechatpay_secret_arn, "alipay": settings.alipay_secret_arn}[channel]
        if not arn:
            return None
        document = secret_value(arn)
        if not document.strip() or document.strip() == "{}":
            return None
        return _adapter(channel, document)


@lru_cache(maxsize=4)
def _adapter(channel: str, document: str) -> PaymentProvider:
    """One adapter per (channel, secret value): it keeps its parsed keys and HTTP connections."""
    if channel == "wechat":
        from paotui.payments.wechatpay import WeChatPayConfig, WeChatPayProvider

        return WeChatPayProvider(WeChatPayConfig.from_secret(document))
    from paotui.payments.alipay import AlipayConfig, AlipayProvider

    return AlipayProvider(AlipayConfig.from_secret(document))


@lru_cache(maxsize=1)
def default_providers() -> Providers:
    """The container's providers: the sandbox's callback goes over HTTP to our public notify URL."""
    return Providers(get_settings(), sandbox.http_transport)
