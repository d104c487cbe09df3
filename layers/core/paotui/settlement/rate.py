"""A shop's commission rate: its own, or the platform's default (read by the worker and by the statement)."""

from __future__ import annotations

from paotui.catalog.records import MerchantRecord
from paotui.platform.settings import get_settings


def commission_bp(merchant: MerchantRecord) -> int:
    """The merchant's commission rate in basis points: its own, or the platform's default."""
    own = merchant.commission_bp
    return get_settings().default_commission_bp if own is None else int(own)
