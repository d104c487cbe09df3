"""Which shop a cloud printer is: one item per printer, so that no shop prints on, or unbinds, another's."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


def claim_key(provider: str, sn: str) -> str:
    return f"{provider}#printer#{sn}"


class PrinterClaimRecord(Model):
    """A printer's shop. In the channel bindings' table (external things bound to a merchant), keyed apart; without
    a ``shop_id`` it stays out of that table's by-merchant index."""

    Meta = table_meta("channel_bindings_table")

    key = UnicodeAttribute(hash_key=True)  # "<provider>#printer#<sn>", e.g. feie#printer#960238952
    merchant_id = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
