"""Slot occupancy: how many scheduled orders each delivery slot of a merchant has taken.

One counter item per (merchant, slot start), incremented in the order intake
transaction on condition ``taken < capacity`` (the pattern of
``catalog.stock``), so concurrent orders never overbook a slot: the losers'
transactions fail and they are told the slot is full. A capacity of 0 takes
no scheduled order, not even the first of a slot. A cancelled order does
not give its place back yet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from paotui.catalog import delivery, pricing, slots
from paotui.catalog.records import MerchantRecord, SlotRecord
from paotui.platform import clock
from paotui.platform.errors import Conflict, Unprocessable
from paotui.platform.settings import get_settings
from paotui.platform.dynamo import update_if

_CONDITION_FAILED = "ConditionalCheckFailed"


def stage_booking(
    transaction: TransactWrite, merchant: MerchantRecord, scheduled_for: datetime, order_id: str
) -> str | None:
    """Add the order to the slot ``scheduled_for`` falls in to the caller's transaction, if it has room.

    Returns the slot's start, which the order keeps so that a cancellation
    finds its slot even if the merchant changes slot lengths meanwhile. A
    time outside opening hours has no slot; pricing has refused it already.
    """
    slot = slots.slot_at(merchant.hours, merchant.holidays, scheduled_for, int(merchant.slot_minutes))
    if slot is None:
        return None
    capacity = int(merchant.slot_capacity)
    if capacity <= 0:  # "0 takes none": the condition below would let in the first order of a slot nobody booked
        raise full_refusal()
    slot_start = clock.iso(slot.start)
    transaction.update(
        SlotRecord(merchant.id, slot_start),
        actions=[SlotRecord.taken.add(1), SlotRecord.orders.add({order_id})],
        condition=SlotRecord.taken.does_not_exist() | (SlotRecord.taken < capacity),
        return_values="ALL_OLD",
    )
    return slot_start


def release_booking(merchant_id: str, slot_start: str, order_id: str) -> bool:
    """Give a cancelled order's place back; False when it holds none (already given back)."""
    return update_if(
        SlotRecord(merchant_id, slot_start),
        actions=[SlotRecord.taken.add(-1), SlotRecord.orders.delete({order_id})],
        condition=SlotRecord.orders.contains(order_id),
    )


def full_refusal() -> Conflict:
    """409 ``SLOT_FULL``: what an order for a slot without room is told."""
    return Conflict("That delivery slot is full; pick another.", code="SLOT_FULL")


def slot_full(error: TransactWriteError) -> bool:
    """Whether a staged booking is what failed the transaction (read from the failed item, as stock does)."""
    return any(
        reason and reason.code == _CONDITION_FAILED and reason.raw_item and "slot_start" in reason.raw_item
        for reason in error.cancellation_reasons
    )


def offered(
    merchant: MerchantRecord, lat: float, lng: float, day: date, now: datetime
) -> list[tuple[slots.Slot, bool]]:
    """The slots of ``day`` reachable at the point from now, each with whether it still has room.

    None while the merchant is paused, or beyond ``schedule_max_days`` (no order may be booked there);
    422 ``OUT_OF_RANGE`` when it does not deliver there.
    """
    distance = pricing.distance_m(merchant, lat, lng)
    if delivery.area_at(merchant, distance, lat, lng) is None:
        raise Unprocessable(
            "The point is outside this merchant's delivery area.", code="OUT_OF_RANGE", details={"distance_m": distance}
        )
    horizon = now + timedelta(days=get_settings().schedule_max_days)
    if merchant.switched_off or not clock.china_day(now) <= day <= clock.china_day(horizon):
        return []  # (the day's bounds also keep the calendar's ends out of the date arithmetic)
    lead = pricing.eta_minutes(merchant, distance)
    day_slots = slots.day_slots(merchant.hours, merchant.holidays, day, int(merchant.slot_minutes))
    reachable = [slot for slot in day_slots if slots.reachable(slot, now, lead) and slot.start <= horizon]
    if not reachable:
        return []
    counts = taken(merchant.id, reachable[0].start, reachable[-1].start + timedelta(seconds=1))
    capacity = int(merchant.slot_capacity)
    return [(slot, counts.get(slot.start, 0) < capacity) for slot in reachable]


def taken(merchant_id: str, start: datetime, end: datetime) -> dict[datetime, int]:
    """Orders taken per slot start, for the slots starting in [start, end)."""
    condition = SlotRecord.slot_start.between(clock.iso(start), clock.iso(end))
    return {
        clock.parse_iso(record.slot_start): int(record.taken)
        for record in SlotRecord.query(merchant_id, condition, consistent_read=True)
        if clock.parse_iso(record.slot_start) < end
    }
