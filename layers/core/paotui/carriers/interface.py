"""What a third-party carrier adapter implements, and what it reports, in our units.

Why: the service hands orders over, withdraws them and follows them the same
way whoever carries them; each carrier's protocol (signatures, yuan, status
codes, error codes) stays inside its adapter (``dada.py``). An adapter speaks
fen, metres, GCJ-02 and our order ids, and maps the carrier's statuses onto ours
(DESIGN.md §5), saying when a status is the carrier giving up on an order.

Errors, the same from every adapter: the carrier unreachable or failing is
``BadGateway(code="CARRIER_UNAVAILABLE")`` (worth retrying); the carrier
refusing is a DomainError with a stable code and the carrier's own code and
message in ``details``: ``CARRIER_REFUSED``, ``CARRIER_QUOTE_EXPIRED`` (create
from a fresh quote), ``CARRIER_ORDER_EXISTS`` (the carrier already has an order
for ours), ``CARRIER_CANCEL_REFUSED``; a callback whose signature doesn't check
out is ``Unauthorized(code="INVALID_SIGNATURE")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from paotui.orders.transitions import Status
from paotui.platform.errors import BadGateway

CARRIER_UNAVAILABLE = "CARRIER_UNAVAILABLE"
CARRIER_REFUSED = "CARRIER_REFUSED"
QUOTE_EXPIRED = "CARRIER_QUOTE_EXPIRED"
ORDER_EXISTS = "CARRIER_ORDER_EXISTS"
CANCEL_REFUSED = "CARRIER_CANCEL_REFUSED"


@dataclass(frozen=True)
class Receiver:
    name: str
    phone: str  # E.164
    address: str
    lat: float  # GCJ-02
    lng: float


@dataclass(frozen=True)
class Shipment:
    """One order as a carrier needs it to quote it and carry it."""

    order_id: str  # ours, and the carrier's reference for the order (Dada's origin_id)
    shop_no: str  # the merchant's shop at the carrier: where the rider picks up
    city_code: str
    goods_value: int  # fen
    goods_count: int
    receiver: Receiver
    note: str | None
    callback_url: str  # where the carrier reports status changes


@dataclass(frozen=True)
class CarrierQuote:
    quote_id: str  # what ``create`` takes (Dada's deliveryNo)
    fee: int  # fen, what the carrier charges the merchant
    distance_m: int


@dataclass(frozen=True)
class CarrierRider:
    name: str | None
    phone: str | None
    id: str | None


@dataclass(frozen=True)
class CarrierState:
    """What the carrier says about an order now, asked over its authenticated API."""

    order_id: str
    code: int  # the carrier's own status code
    label: str
    status: Status | None  # ours (DESIGN.md §5); None for a code that moves nothing
    gave_up: bool  # the carrier will not carry the order (Dada 1000 创建达达运单失败, 7 已过期): a person decides
    rider: CarrierRider | None
    position: tuple[float, float] | None  # the rider's (lat, lng), GCJ-02


@dataclass(frozen=True)
class CarrierNotice:
    """A callback whose signature checked out: which order changed and what the carrier claims it changed to."""

    order_id: str
    code: int
    cancel_reason: str | None
    order_no: str | None  # the carrier's own number for the order (Dada's 运单号), when it says


class Carrier(Protocol):
    name: str  # "dada"

    def quote(self, shipment: Shipment) -> CarrierQuote:
        """What carrying the order costs; ``CARRIER_ORDER_EXISTS`` once the carrier has an order for it."""
        ...

    def create(self, order_id: str, quote_id: str) -> None:
        """Hand the order over as quoted; creating it again from the same quote is a no-op (the carrier says
        so), a lapsed quote is ``CARRIER_QUOTE_EXPIRED``."""
        ...

    def cancel(self, order_id: str, reason: str, *, by_customer: bool) -> bool:
        """Withdraw the order: True once the carrier has it cancelled (now or before), False if it never had it;
        ``CARRIER_CANCEL_REFUSED`` once its rider is on the way to the customer."""
        ...

    def track(self, order_id: str) -> CarrierState:
        """The order's status, rider and the rider's position as the carrier has them now."""
        ...

    def notice(self, callback: Any) -> CarrierNotice:
        """A status callback (as the carrier's route parsed it), verified; ``Unauthorized`` if it isn't genuine."""
        ...


def unavailable(carrier: str, message: str, **details: object) -> BadGateway:
    known = {key: value for key, value in details.items() if value is not None}
    return BadGateway(message, code=CARRIER_UNAVAILABLE, details={"carrier": carrier, **known})
