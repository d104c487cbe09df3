"""Incentive rules (set by admins) and what they pay for one delivery.

The rules are versioned: saving is a compare-and-set on the version the admin
last read, and every version is kept with the moment it took effect, so a
delivery is paid under the rules in force when it was delivered even when the
worker applies it later (a retry, a redrive). Times of day are China time;
money is fen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator
from pynamodb.exceptions import TransactWriteError

from paotui.platform import clock
from paotui.platform.dynamo import failed_conditions, transact_write
from paotui.platform.errors import Conflict
from paotui.platform.models import Fen, RequestModel
from paotui.riders.earnings_records import RULES_SCHEME, IncentiveRulesRecord

MINUTES_PER_DAY = 24 * 60
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["11:00"])]


def minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class PeakWindow(RequestModel):
    """A bonus for a delivery made from ``start`` up to (not including) ``end``; ``end`` before ``start`` runs
    past midnight (22:00–02:00)."""

    start: ClockTime
    end: ClockTime
    bonus: Fen

    @model_validator(mode="after")
    def _not_empty(self) -> PeakWindow:
        if self.start == self.end:
            raise ValueError("a peak window needs different start and end")
        return self

    def spans(self) -> list[tuple[int, int]]:
        """The window as minute ranges [from, to) within one day."""
        start, end = minute_of_day(self.start), minute_of_day(self.end)
        return [(start, end)] if start < end else [(start, MINUTES_PER_DAY), (0, end)]

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(clock.CHINA)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.spans())


class StreakRule(RequestModel):
    """A bonus for every ``orders``-th on-time delivery in a row within a China-time day."""

    orders: int = Field(ge=2, le=100)
    bonus: Fen


class IncentiveRules(RequestModel):
    """``per_order``: paid on every delivery on top of the offer's fee; ``per_km``: per kilometre from pick-up to
    drop-off; a delivery after the promised time plus ``late_grace_minutes`` is late (``late_penalty``), and an
    upheld complaint costs ``complaint_penalty``."""

    per_order: Fen = 0
    per_km: Fen = 0
    peak_hours: list[PeakWindow] = Field(default_factory=list, max_length=12)
    streak: StreakRule | None = None
    late_grace_minutes: int = Field(default=0, ge=0, le=120)
    late_penalty: Fen = 0
    complaint_penalty: Fen = 0

    @model_validator(mode="after")
    def _peaks_do_not_overlap(self) -> IncentiveRules:
        spans = sorted(((span, window) for window in self.peak_hours for span in window.spans()), key=lambda s: s[0])
        for (earlier, first), (later, second) in zip(spans, spans[1:], strict=False):
            if later[0] < earlier[1]:
                raise ValueError(f"peak windows {first.start}–{first.end} and {second.start}–{second.end} overlap")
        return self

    def peak_at(self, moment: datetime) -> PeakWindow | None:
        return next((window for window in self.peak_hours if window.contains(moment)), None)


class SaveIncentiveRules(IncentiveRules):
    """``PUT /admin/incentives``: the new rules and ``version``, the version they replace (0 for the first)."""

    version: int = Field(ge=0)


class IncentiveRulesView(IncentiveRules):
    """The rules in force: ``version`` 0 (all zero) until an admin saves some."""

    model_config = ConfigDict(extra="ignore")

    version: int
    effective_from: str | None = None
    set_by: str | None = None


@dataclass(frozen=True)
class RulesInForce:
    version: int
    rules: IncentiveRules


NO_RULES = RulesInForce(version=0, rules=IncentiveRules())


# --- storage -------------------------------------------------------------------------------------


def _in_force(record: IncentiveRulesRecord) -> RulesInForce:
    return RulesInForce(version=int(record.version), rules=IncentiveRules.model_validate_json(record.document))


def _newest_first():
    return IncentiveRulesRecord.query(RULES_SCHEME, scan_index_forward=False, consistent_read=True)


def current_rules() -> IncentiveRulesView:
    newest = next(iter(_newest_first()), None)
    if newest is None:
        return IncentiveRulesView(version=0, **IncentiveRules().model_dump())
    return IncentiveRulesView(
        version=int(newest.version),
        effective_from=newest.effective_from,
        set_by=newest.set_by,
        **_in_force(newest).rules.model_dump(),
    )


def rules_at(moment: datetime) -> RulesInForce:
    """The rules in force at ``moment``: the newest version that took effect by then (none: all zero)."""
    at = clock.iso(moment)
    for record in _newest_first():
        if record.effective_from <= at:
            return _in_force(record)
    return NO_RULES


def save_rules(request: SaveIncentiveRules, by: str) -> IncentiveRulesView:
    """Store version ``request.version + 1``, in force from now; 409 ``VERSION_CONFLICT`` when ``request.version``
    is not the newest (another admin saved in between): nothing is written."""
    rules = IncentiveRules.model_validate(request.model_dump(exclude={"version"}))
    version = request.version + 1
    record = IncentiveRulesRecord(
        RULES_SCHEME,
        IncentiveRulesRecord.revision_of(version),
        version=version,
        document=rules.model_dump_json(),
        effective_from=clock.now_iso(),
        set_by=by,
    )
    try:
        with transact_write() as transaction:
            transaction.save(record, condition=IncentiveRulesRecord.revision.does_not_exist())
            if request.version:
                replaced = IncentiveRulesRecord(RULES_SCHEME, IncentiveRulesRecord.revision_of(request.version))
                transaction.condition_check(
                    IncentiveRulesRecord,
                    replaced.scheme,
                    replaced.revision,
                    condition=IncentiveRulesRecord.revision.exists(),
                )
    except TransactWriteError as error:
        if not any(failed_conditions(error)):
            raise
        current = current_rules().version
        raise Conflict(
            f"The rules are at version {current}; read them again and save on top of that version.",
            code="VERSION_CONFLICT",
            details={"version": request.version, "current_version": current},
        ) from None
    return current_rules()


# --- what a delivery earns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What the rules look at: when it was delivered and promised, the offer's fee, the distance ridden."""

    order_id: str
    delivered_at: datetime
    promised_at: datetime | None
    fee: int
    distance_m: int


@dataclass(frozen=True)
class Line:
    kind: str
    amount: int
    detail: str


@dataclass(frozen=True)
class Settlement:
    """The delivery's ledger lines; ``on_time`` None when nothing was promised; ``streak``: on-time deliveries
    in a row that day, this one included (unchanged when nothing was promised, 0 after a late one)."""

    lines: list[Line]
    on_time: bool | None
    streak: int


def lateness(delivery: Delivery, grace_minutes: int) -> timedelta | None:
    """How late past the promised time plus grace; None when on time or nothing was promised."""
    if delivery.promised_at is None:
        return None
    late_by = delivery.delivered_at - (delivery.promised_at + timedelta(minutes=grace_minutes))
    return late_by if late_by > timedelta(0) else None


def settle(delivery: Delivery, rules: IncentiveRules, streak_before: int) -> Settlement:
    """The lines a delivery earns under ``rules``, given the day's run of on-time deliveries before it."""
    candidates = [
        Line("base", delivery.fee, "配送费"),
        Line("per_order", rules.per_order, "每单奖励"),
        Line(
            "distance",
            (rules.per_km * delivery.distance_m + 500) // 1000,  # fen per km, rounded half up
            f"里程奖励 {delivery.distance_m / 1000:.1f} km",
        ),
    ]
    peak = rules.peak_at(delivery.delivered_at)
    if peak is not None:
        candidates.append(Line("peak", peak.bonus, f"高峰奖励 {peak.start}–{peak.end}"))

    late_by = lateness(delivery, rules.late_grace_minutes)
    on_time = None if delivery.promised_at is None else late_by is None
    streak = streak_before if on_time is None else (streak_before + 1 if on_time else 0)
    if on_time and rules.streak and streak % rules.streak.orders == 0:
        candidates.append(Line("streak", rules.streak.bonus, f"连续准时 {streak} 单奖励"))
    if late_by is not None:
        minutes = math.ceil(late_by / timedelta(minutes=1))
        candidates.append(Line("late", -rules.late_penalty, f"超时 {minutes} 分钟扣款"))
    return Settlement([line for line in candidates if line.amount], on_time, streak)


def complaint_line(rules: IncentiveRules) -> Line | None:
    """What an upheld complaint costs the rider; None when the rules say nothing."""
    if not rules.complaint_penalty:
        return None
    return Line("complaint", -rules.complaint_penalty, "投诉成立扣款")
