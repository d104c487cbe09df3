"""When the watchdog's clocks fall for one order: a scheduled order's dispatch, and lateness.

A scheduled order is not offered to riders as soon as the merchant confirms it:
dispatch starts at ``dispatch_at``, working back from the time the customer
chose (``scheduled_for``, which is also its ``promised_at``) by the kitchen's
prep, the ride from the pickup to the address at dispatch's speed
(paotui.dispatch.workload) and ``scheduled_dispatch_lead_seconds`` for a rider to
answer and reach the store. An errand picked up later (``pickup_at``) starts the
lead before it. The orders service stores ``dispatch_at`` with the move to
CONFIRMED, so DispatchWorker (which skips an order not yet due) and the
watchdog (which waits until then, then asks for dispatch) read the same time.

An order is late once ``late_grace_seconds`` have passed its ``promised_at``
undelivered (paotui.orders.compensation decides and compensates).

The state machine can only wait for a number of seconds taken from its input,
so ``timers`` turns both moments into seconds from now, rounded up: a wait never
ends before its moment. The watchdog reads them when the order is confirmed
(its ReadSchedule step) and again whenever it re-enters the delivery phase.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from paotui.orders.records import OrderRecord
from paotui.platform import clock
from paotui.platform.settings import get_settings

NEVER_SECONDS = 99_999_999
"""The longest wait Step Functions takes: an order promised no time is never late."""


def dispatch_time(order: OrderRecord) -> datetime | None:
    """When riders are first offered the order; None for an order placed for now (offered once confirmed)."""
    from paotui.dispatch.workload import prep_minutes, road_minutes

    lead = timedelta(seconds=get_settings().scheduled_dispatch_lead_seconds)
    if order.errand is not None:
        return clock.parse_iso(order.errand.pickup_at) - lead if order.errand.pickup_at else None
    if not order.scheduled_for:
        return None
    prep = prep_minutes([order]).get(order.merchant_id, 0)
    pickup, address = order.pickup, order.address
    ride = road_minutes((float(pickup.lat), float(pickup.lng)), (float(address.lat), float(address.lng)))
    return clock.parse_iso(order.scheduled_for) - timedelta(minutes=prep + ride) - lead


def late_time(order: OrderRecord) -> datetime | None:
    """When the undelivered order becomes late; None when nothing was promised."""
    if not order.promised_at:
        return None
    return clock.parse_iso(order.promised_at) + timedelta(seconds=get_settings().late_grace_seconds)


def seconds_until(moment: datetime | None, now: datetime) -> int:
    """Whole seconds from ``now`` to ``moment`` rounded up, 0 once it has passed; NEVER_SECONDS for no moment."""
    if moment is None:
        return NEVER_SECONDS
    return min(NEVER_SECONDS, max(0, math.ceil((moment - now).total_seconds())))


def timers(order: OrderRecord, now: datetime | None = None) -> dict[str, int]:
    """The ReadSchedule step's answer: seconds until dispatch may start (0: now) and until the order is late."""
    now = now or clock.now()
    dispatch_in = seconds_until(clock.parse_iso(order.dispatch_at), now) if order.dispatch_at else 0
    return {"dispatch_in": dispatch_in, "late_in": seconds_until(late_time(order), now)}
