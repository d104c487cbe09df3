"""Incentive rules: what they accept, and what each rule pays for hand-made deliveries (China time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from paotui.platform.clock import CHINA
from paotui.riders.incentives import Delivery, IncentiveRules, SaveIncentiveRules, complaint_line, settle

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=CHINA)


def delivery(at: datetime = NOON, *, promised: datetime | None = NOON, fee: int = 600, distance_m: int = 0):
    return Delivery(order_id="ord_1", delivered_at=at, promised_at=promised, fee=fee, distance_m=distance_m)


def kinds(settlement) -> dict[str, int]:
    return {line.kind: line.amount for line in settlement.lines}


# --- validation -------------------------------------------------------------------------------------------


def test_rules_default_to_paying_nothing_extra():
    assert IncentiveRules().model_dump() == {
        "per_order": 0,
        "per_km": 0,
        "peak_hours": [],
        "streak": None,
        "late_grace_minutes": 0,
        "late_penalty": 0,
        "complaint_penalty": 0,
    }


@pytest.mark.parametrize(
    "rules",
    [
        {"per_order": -1},
        {"late_penalty": -100},
        {"peak_hours": [{"start": "11:00", "end": "11:00", "bonus": 100}]},  # empty
        {"peak_hours": [{"start": "24:00", "end": "01:00", "bonus": 100}]},
        {"peak_hours": [{"start": "11:00", "end": "13:00", "bonus": -5}]},
        {
            "peak_hours": [
                {"start": "11:00", "end": "13:00", "bonus": 100},
                {"start": "12:30", "end": "14:00", "bonus": 1},
            ]
        },
        {
            "peak_hours": [
                {"start": "22:00", "end": "02:00", "bonus": 100},
                {"start": "01:00", "end": "03:00", "bonus": 1},
            ]
        },
        {
            "peak_hours": [
                {"start": "22:00", "end": "02:00", "bonus": 100},
                {"start": "23:00", "end": "23:30", "bonus": 1},
            ]
        },
        {"streak": {"orders": 1, "bonus": 100}},
        {"late_grace_minutes": -1},
        {"bonus": 5},  # unknown field
    ],
)
def test_invalid_rules_are_refused(rules):
    with pytest.raises(ValidationError):
        IncentiveRules.model_validate(rules)


def test_adjacent_and_midnight_windows_are_fine():
    rules = IncentiveRules.model_validate(
        {
            "peak_hours": [
                {"start": "11:00", "end": "13:00", "bonus": 100},
                {"start": "13:00", "end": "14:00", "bonus": 50},
                {"start": "22:00", "end": "02:00", "bonus": 80},
            ]
        }
    )
    assert len(rules.peak_hours) == 3


def test_saving_needs_the_version_replaced():
    with pytest.raises(ValidationError):
        SaveIncentiveRules.model_validate({"per_order": 100})
    assert SaveIncentiveRules.model_validate({"version": 0, "per_order": 100}).version == 0


# --- lines ---------------------------------------------------------------------------------------------------


def test_base_fee_per_order_and_per_km():
    rules = IncentiveRules(per_order=200, per_km=150)
    settlement = settle(delivery(distance_m=3450), rules, streak_before=0)
    assert kinds(settlement) == {"base": 600, "per_order": 200, "distance": 518}  # 150 × 3.45 = 517.5 → 518
    assert settlement.on_time is True


def test_zero_lines_are_left_out():
    assert kinds(settle(delivery(fee=0, distance_m=1000), IncentiveRules(), 0)) == {}


@pytest.mark.parametrize(
    ("local_time", "bonus"),
    [
        ((11, 0), 100),  # start included
        ((12, 59), 100),
        ((13, 0), None),  # end excluded
        ((23, 30), 80),  # a window past midnight, before it
        ((1, 59), 80),  # and after it
        ((2, 0), None),
        ((21, 59), None),
    ],
)
def test_peak_windows_in_china_time_including_across_midnight(local_time, bonus):
    rules = IncentiveRules.model_validate(
        {
            "peak_hours": [
                {"start": "11:00", "end": "13:00", "bonus": 100},
                {"start": "22:00", "end": "02:00", "bonus": 80},
            ]
        }
    )
    at = datetime(2026, 11, 25, *local_time, tzinfo=CHINA).astimezone(UTC)  # as the order records it
    assert kinds(settle(delivery(at, promised=None), rules, 0)).get("peak") == bonus


def test_late_after_the_grace_costs_the_penalty_and_breaks_the_streak():
    rules = IncentiveRules(late_grace_minutes=5, late_penalty=300, streak={"orders": 3, "bonus": 500})
    within_grace = settle(delivery(NOON + timedelta(minutes=5), promised=NOON), rules, streak_before=1)
    assert (within_grace.on_time, within_grace.streak, "late" in kinds(within_grace)) == (True, 2, False)

    late = settle(delivery(NOON + timedelta(minutes=5, seconds=1), promised=NOON), rules, streak_before=2)
    assert (late.on_time, late.streak) == (False, 0)
    assert kinds(late) == {"base": 600, "late": -300}
    assert late.lines[-1].detail == "超时 1 分钟扣款"


def test_streak_pays_every_nth_on_time_delivery_of_the_day():
    rules = IncentiveRules(streak={"orders": 3, "bonus": 500})
    streak, bonuses = 0, []
    for _ in range(7):
        settlement = settle(delivery(), rules, streak)
        streak = settlement.streak
        bonuses.append(kinds(settlement).get("streak"))
    assert bonuses == [None, None, 500, None, None, 500, None]


def test_a_delivery_without_a_promise_is_neither_on_time_nor_late_and_leaves_the_streak():
    rules = IncentiveRules(late_penalty=300, streak={"orders": 2, "bonus": 500})
    settlement = settle(delivery(promised=None), rules, streak_before=1)
    assert (settlement.on_time, settlement.streak, kinds(settlement)) == (None, 1, {"base": 600})


def test_upheld_complaint_line():
    assert complaint_line(IncentiveRules()) is None
    line = complaint_line(IncentiveRules(complaint_penalty=1000))
    assert (line.kind, line.amount) == ("complaint", -1000)
