"""Escalation: what dispatch does, step by step, while no rider takes an order, so it is never left alone.

Every dispatch run for a confirmed order without a rider (its confirmation,
then each ``dispatch.requested`` the watchdog sends when an offer lapsed or
was refused) computes the order's level from two facts, the offers made for
it so far and how long it has waited (:func:`level_of`, pure; the thresholds
are settings). Level n is reached after its count of offers or its seconds of
waiting, whichever comes first:

1. widen: the round searches riders out to ``escalation_search_rings`` rings
   of H3 cells, past the nearest riders (who have had their chance);
2. bonus: the offer's fee, what the rider is paid, gains
   ``escalation_bonus_fen``, and as much again at each level after it;
3. carrier: if the merchant allows it (delivery settings
   ``allow_carrier_fallback``), its carrier takes the order and open offers
   are withdrawn; if the carrier refuses, our riders keep trying;
4. operations: an incident pages operators and the customer is told a new ETA.

Each step taken is recorded once as an ``escalated`` alert (a merchant without
the fallback skips step 3 and its alert); level 4 adds the customer's
``no_rider`` alert and the ``no_rider`` incident, once. Alerts and incidents
are keyed, so a rerun of the same dispatch (a redelivered message) repeats
nothing. Past level 4 the watchdog keeps asking and offers keep going out at
the widest search with the bonus.

The wait counts from the order's CONFIRMED move, or, for a scheduled order,
from when it is due for dispatch (its ``dispatch_at``: the slot minus prep and
ride, ``paotui.workflow.schedule``), if that is later. The new ETA is when a rider found by operations could
have the food at the door: ``max(now + no_rider_eta_wait_seconds, food
ready) + ride``, the ride timed as quotes time it (``catalog.pricing``).
Orders of a merchant whose carrier delivers everything (mode "carrier") are
the carrier's: nothing here applies to them, nor to those the carrier has
once the merchant switched back to our riders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


from paotui.carriers.service import is_with_carrier
from paotui.catalog.delivery import settings_of
from paotui.catalog.pricing import riding_minutes
from paotui.catalog.records import MerchantRecord
from paotui.ops.incidents import raise_incident
from paotui.orders.alerts import alert_id, record_alert
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform import clock
from paotui.platform.geo import haversine_m
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import Settings, get_settings

STEPS = ("widen", "bonus", "carrier", "operations")
"""Level n's step is ``STEPS[n - 1]``."""
WIDEN, BONUS, CARRIER, OPERATIONS = range(1, len(STEPS) + 1)
ESCALATED = "escalated"
NO_RIDER = "no_rider"


@dataclass(frozen=True)
class Thresholds:
    """Level n is reached after ``offers[n - 1]`` offers or ``seconds[n - 1]`` seconds of waiting."""

    offers: tuple[int, ...]
    seconds: tuple[float, ...]

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(
            offers=tuple(getattr(settings, f"escalation_{step}_after_offers") for step in STEPS),
            seconds=tuple(getattr(settings, f"escalation_{step}_after_seconds") for step in STEPS),
        )


@dataclass(frozen=True)
class Escalation:
    """What this dispatch run does differently for the order."""

    level: int
    rings: int | None = None  # rings of the round's rider search; None: the usual search
    carrier: bool = False  # hand the order to the merchant's carrier instead of offering it


# --- pure ---------------------------------------------------------------------------------------


def level_of(offers: int, waited_seconds: float, thresholds: Thresholds) -> int:
    """The highest level whose offers or seconds threshold is met; 0 while none is."""
    met = (
        level
        for level, (enough_offers, enough_seconds) in enumerate(
            zip(thresholds.offers, thresholds.seconds, strict=True), start=1
        )
        if offers >= enough_offers or waited_seconds >= enough_seconds
    )
    return max(met, default=0)


def bonus_at(level: int, per_level: int) -> int:
    """The rider's extra at ``level``: ``per_level`` at the bonus level, once more at each level beyond it."""
    return per_level * max(0, level - BONUS + 1)


def waiting_since(confirmed_at: datetime, dispatch_at: datetime | None) -> datetime:
    """When the order started to need a rider: confirmed, or for a scheduled order when it is due for dispatch,
    whichever is later."""
    return confirmed_at if dispatch_at is None else max(confirmed_at, dispatch_at)


def new_eta(now: datetime, ready_at: datetime, ride_minutes: float, wait_seconds: float) -> datetime:
    """When a rider found after ``wait_seconds`` (not before the food is ready) brings the order to the door."""
    return max(now + timedelta(seconds=wait_seconds), ready_at) + timedelta(minutes=ride_minutes)


# --- from an order ------------------------------------------------------------------------------


def escalate(order: OrderRecord, offers_made: int, merchant: MerchantRecord | None) -> Escalation:
    """The order's level for this dispatch run, with its alerts and incident recorded (each once); ``merchant`` is
    the order's (``paotui.carriers.service.merchant_of``)."""
    delivery = settings_of(merchant) if merchant is not None else None
    if (delivery is not None and delivery.mode == "carrier") or _carriers_own(order):
        return Escalation(level=0)
    settings = get_settings()
    now = clock.now()
    waited = _waited_seconds(order, now)
    level = level_of(offers_made, waited, Thresholds.of(settings))
    fallback = delivery is not None and delivery.allow_carrier_fallback
    for reached in range(1, level + 1):
        if reached != CARRIER or fallback:
            _alert(order, ESCALATED, reached, {"level": reached, "step": STEPS[reached - 1]})
    if level >= OPERATIONS:
        _call_operations(order, {"offers": offers_made, "waited_seconds": round(waited)}, now, merchant)
    return Escalation(
        level=level,
        rings=settings.escalation_search_rings if level >= WIDEN else None,
        carrier=fallback and level >= CARRIER,
    )


def bonus_for(order: OrderRecord, offers_made: int) -> int:
    """The extra an offer of the order pays now, ``offers_made`` offers after the first."""
    settings = get_settings()
    level = level_of(offers_made, _waited_seconds(order, clock.now()), Thresholds.of(settings))
    return bonus_at(level, settings.escalation_bonus_fen)


def _waited_seconds(order: OrderRecord, now: datetime) -> float:
    dispatch_at = clock.parse_iso(order.dispatch_at) if order.dispatch_at else None
    return (now - waiting_since(_confirmed_at(order), dispatch_at)).total_seconds()


def _carriers_own(order: OrderRecord) -> bool:
    """A carrier has the order, not as this escalation's fallback: its merchant had the carrier deliver all, and
    has switched to our riders since, which leaves the carrier the orders it has (docs/adr/0012)."""
    fell_back = alert_id(order.id, ESCALATED, str(CARRIER)) in (order.alert_ids or set())
    return is_with_carrier(order) and not fell_back


def _call_operations(order: OrderRecord, facts: dict, now: datetime, merchant: MerchantRecord | None) -> None:
    """Page operators (incident ``no_rider``, with ``facts``) and tell the customer when the order can arrive."""
    ready_at = _confirmed_at(order) + timedelta(minutes=_prep_minutes(merchant))
    eta = clock.iso(new_eta(now, ready_at, _ride_minutes(order), get_settings().no_rider_eta_wait_seconds))
    raise_incident(order.id, NO_RIDER, {"level": OPERATIONS, **facts, "eta": eta})
    _alert(order, NO_RIDER, OPERATIONS, {"level": OPERATIONS, "eta": eta})


def _alert(order: OrderRecord, kind: str, level: int, detail: dict) -> None:
    if record_alert(order.id, kind, key=str(level), detail=detail):
        logger.warning("dispatch escalated", extra={"order_id": order.id, "alert": kind, **detail})
        metrics.add_metric(name="DispatchEscalations", unit="Count", value=1)


def _confirmed_at(order: OrderRecord) -> datetime:
    moved = [entry.at for entry in order.timeline if entry.status == Status.CONFIRMED.value]
    return clock.parse_iso(moved[-1] if moved else order.updated_at)


def _prep_minutes(merchant: MerchantRecord | None) -> int:
    return int(merchant.prep_minutes) if merchant is not None else 0


def _ride_minutes(order: OrderRecord) -> int:
    pickup, dropoff = order.pickup, order.address
    return riding_minutes(
        round(haversine_m(float(pickup.lat), float(pickup.lng), float(dropoff.lat), float(dropoff.lng)))
    )
