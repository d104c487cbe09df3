"""Finding a merchant, and whether a caller may manage it: kept apart from catalog.service (delivery areas, pricing,
search) so that functions needing no more of the catalog (OpsApi's settlement routes) don't load it."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from paotui.catalog.records import MerchantRecord
from paotui.platform.auth import Principal
from paotui.platform.errors import Forbidden, NotFound


def get_merchant(merchant_id: str) -> MerchantRecord:
    try:
        return MerchantRecord.get(merchant_id)
    except DoesNotExist:
        raise NotFound("No such merchant.", code="MERCHANT_NOT_FOUND") from None


def managed_merchant(principal: Principal, merchant_id: str) -> MerchantRecord:
    """The merchant, if ``principal`` owns it or is an admin: 404 ``MERCHANT_NOT_FOUND``, 403 ``NOT_YOUR_MERCHANT``."""
    merchant = get_merchant(merchant_id)
    if merchant.owner_id != principal.user_id and not principal.is_admin:
        raise Forbidden("That merchant is not yours.", code="NOT_YOUR_MERCHANT")
    return merchant
