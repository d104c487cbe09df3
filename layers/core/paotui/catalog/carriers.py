"""The interface a third-party carrier adapter (Dada first) implements; the adapter itself is another issue.

A merchant in delivery mode "carrier" has chosen one. Until an adapter
exists, nothing calls this interface: orders of such merchants are priced by
their own areas and fees and still dispatched to our riders, as in mode
"self". The carrier's order statuses map onto ours as DESIGN.md §5 lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CarrierQuote:
    fee: int  # fen, what the carrier charges the merchant
    distance_m: int
    quote_id: str  # the carrier's reference, passed back to ``create``


class Carrier(Protocol):
    name: str  # "dada"

    def quote(self, order_id: str) -> CarrierQuote:
        """What delivering this (confirmed) order would cost; raises the carrier's refusal as a domain error."""

    def create(self, order_id: str, quote: CarrierQuote) -> str:
        """Hand the order over; returns the carrier's order id. Idempotent on ``order_id``."""

    def cancel(self, order_id: str, reason: str) -> None:
        """Withdraw the order from the carrier (before pickup); idempotent."""
