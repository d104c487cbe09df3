"""Which merchant an external platform's shop is: the binding a pushed order is routed by (docs/adr/0010).

One item per shop, keyed ``<channel>#shop#<shop id>``, so a push finds its
merchant with one strongly consistent read. Binding is a conditional put (the
key is new, or already names this merchant), so a shop binds to one merchant
however many merchants try at once, and binding again is a no-op.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from paotui.orders.records import ChannelBindingRecord
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed
from paotui.platform.errors import Conflict, NotFound
from paotui.platform.observability import logger


def binding_key(channel: str, shop_id: str) -> str:
    return f"{channel}#shop#{shop_id}"


def bind_shop(channel: str, shop_id: str, merchant_id: str, *, by: str) -> ChannelBindingRecord:
    """Bind the platform's shop to ``merchant_id``; 409 ``SHOP_BOUND_ELSEWHERE`` if another merchant has it."""
    key = binding_key(channel, shop_id)
    binding = ChannelBindingRecord(
        key, merchant_id=merchant_id, channel=channel, shop_id=shop_id, bound_at=clock.now_iso(), bound_by=by
    )
    try:
        binding.save(condition=ChannelBindingRecord.key.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        existing = ChannelBindingRecord.get(key, consistent_read=True)
        if existing.merchant_id != merchant_id:
            raise Conflict(
                f"This {channel} shop is bound to another merchant.",
                code="SHOP_BOUND_ELSEWHERE",
                details={"channel": channel, "shop_id": shop_id},
            ) from None
        return existing
    logger.info("shop bound", extra={"channel": channel, "shop_id": shop_id, "merchant_id": merchant_id})
    return binding


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
