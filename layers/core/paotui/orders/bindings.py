"""Which merchant an external platform's shop is: the binding a pushed order is routed by (docs/adr/0010, 0015).

One item per shop, keyed ``<channel>#shop#<shop id>``, so a push finds its
merchant with one strongly consistent read. A binding needs proof that the
shop is the merchant's: the platform's own shop authorization (``granted``:
the merchant signed in there and granted us the shop, ``orders.eleme_oauth``)
or an admin's word after checking (``admin``). Binding is a conditional put
(the key is new, already names this merchant, or is a binding from before
proof was asked for, which carries none), so a proven binding is never taken
from its merchant by another, and binding again changes nothing but its time
and proof.

A shop authorization under way is an item too, keyed by the OAuth ``state``
the platform sends back, naming the merchant who started it and (by a hash)
the browser that started it, which alone may finish it; it is used once and
lapses after ``AUTHORIZATION_MINUTES``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, PutError

from paotui.orders.records import ChannelAuthorizationRecord, ChannelBindingRecord
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed, delete_returning, put_returning
from paotui.platform.errors import BadRequest, Conflict, NotFound
from paotui.platform.observability import logger, metrics

GRANTED, ADMIN = "granted", "admin"  # a binding's proof
AUTHORIZATION_MINUTES = 10  # to sign in at the platform and grant the shops


@dataclass(frozen=True)
class Authorization:
    state: str  # sent to the platform, which sends it back
    browser_key: str  # kept by the browser that started (a cookie), shown again when it comes back
    expires_at: str


def binding_key(channel: str, shop_id: str) -> str:
    return f"{channel}#shop#{shop_id}"


def bind_shop(
    channel: str, shop_id: str, merchant_id: str, *, by: str, proof: str, shop_name: str | None = None
) -> ChannelBindingRecord:
    """Bind the platform's shop to ``merchant_id`` on ``proof``; 409 ``SHOP_BOUND_ELSEWHERE`` if another merchant
    has it on proof of their own. A binding without proof (made on a merchant's word before proof was asked for)
    gives way: the proven claim is the shop's owner."""
    binding = ChannelBindingRecord(
        binding_key(channel, shop_id),
        merchant_id=merchant_id,
        channel=channel,
        shop_id=shop_id,
        bound_at=clock.now_iso(),
        bound_by=by,
        proof=proof,
        shop_name=shop_name,
    )
    record = ChannelBindingRecord
    try:
        before = put_returning(
            binding, record.key.does_not_exist() | record.proof.does_not_exist() | (record.merchant_id == merchant_id)
        )
    except PutError as error:
        if not condition_failed(error):
            raise
        raise Conflict(
            f"This {channel} shop is bound to another merchant.",
            code="SHOP_BOUND_ELSEWHERE",
            details={"channel": channel, "shop_id": shop_id},
        ) from None
    if before is not None and before.merchant_id != merchant_id:
        logger.warning(
            "a shop bound without proof went to the merchant who proved it",
            extra={"channel": channel, "shop_id": shop_id, "merchant_id": merchant_id, "was": before.merchant_id},
        )
        metrics.add_metric(name="ChannelShopsReclaimed", unit="Count", value=1)
    logger.info(
        "shop bound", extra={"channel": channel, "shop_id": shop_id, "merchant_id": merchant_id, "proof": proof}
    )
    return binding


def shops_of(channel: str, merchant_id: str) -> list[ChannelBindingRecord]:
    """The merchant's bound shops on the channel, by shop id (from an index: one bound a moment ago may be missing)."""
    return [binding for binding in ChannelBindingRecord.by_merchant.query(merchant_id) if binding.channel == channel]


def unbind_shop(channel: str, shop_id: str, merchant_id: str, *, by: str) -> None:
    """Remove the merchant's binding of the shop: its pushes are refused (404 ``SHOP_NOT_BOUND``, which the platform
    retries) until someone binds it again. 404 ``SHOP_NOT_BOUND`` if the merchant has no such binding."""
    removed = None
    if shop_id.isascii() and shop_id.isdigit() and len(shop_id) <= 20:  # platforms' shop ids are numbers
        removed = delete_returning(
            ChannelBindingRecord(binding_key(channel, shop_id)), ChannelBindingRecord.merchant_id == merchant_id
        )
    if removed is None:
        raise NotFound(
            f"This merchant has not bound this {channel} shop.",
            code="SHOP_NOT_BOUND",
            details={"channel": channel, "shop_id": shop_id},
        )
    logger.info("shop unbound", extra={"channel": channel, "shop_id": shop_id, "merchant_id": merchant_id, "by": by})


def start_authorization(channel: str, merchant_id: str, *, by: str) -> Authorization:
    """A new shop authorization for the merchant: its OAuth ``state`` and the key the starting browser keeps (both
    unguessable; only the key's hash is stored)."""
    state, browser_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    expires = clock.now() + timedelta(minutes=AUTHORIZATION_MINUTES)
    ChannelAuthorizationRecord(
        _authorization_key(channel, state),
        merchant_id=merchant_id,
        asked_by=by,
        browser=_digest(browser_key),
        expires_at=clock.iso(expires),
        ttl=expires,
    ).save(condition=ChannelAuthorizationRecord.key.does_not_exist())
    return Authorization(state, browser_key, clock.iso(expires))


def take_authorization(channel: str, state: str, browser_key: str | None) -> ChannelAuthorizationRecord:
    """The authorization ``state`` names, used up: of two callbacks with it, one gets it. 400
    ``AUTHORIZATION_EXPIRED`` if there is none (never issued, used already, or lapsed); 400
    ``AUTHORIZATION_NOT_YOURS`` if the browser finishing it is not the one that started it (an OAuth state bound
    to the merchant alone would let a merchant send someone else's browser to grant that person's shops to them)."""
    taken = None
    if 0 < len(state) <= 64:
        item = ChannelAuthorizationRecord(_authorization_key(channel, state))
        taken = delete_returning(item, ChannelAuthorizationRecord.key.exists())
    if taken is None or taken.expires_at <= clock.now_iso():
        raise BadRequest(
            "This shop authorization has lapsed or was used already; start it again.", code="AUTHORIZATION_EXPIRED"
        )
    if not browser_key or not hmac.compare_digest(_digest(browser_key), taken.browser):
        logger.warning(
            "shop authorization finished elsewhere", extra={"channel": channel, "merchant_id": taken.merchant_id}
        )
        raise BadRequest(
            "Finish the shop authorization in the browser that started it; start it again.",
            code="AUTHORIZATION_NOT_YOURS",
        )
    return taken


def _digest(browser_key: str) -> str:
    return hashlib.sha256(browser_key.encode()).hexdigest()


def _authorization_key(channel: str, state: str) -> str:
    return f"{channel}#authorization#{state}"


def merchant_for(channel: str, shop_id: str) -> str:
    """The merchant bound to the platform's shop; 404 ``SHOP_NOT_BOUND`` when none is."""
    try:
        return ChannelBindingRecord.get(binding_key(channel, shop_id), consistent_read=True).merchant_id
    except DoesNotExist:
        raise NotFound(
            f"No merchant has bound this {channel} shop.",
            code="SHOP_NOT_BOUND",
            details={"channel": channel, "shop_id": shop_id},
        ) from None
