"""Tables of riders' pay and performance: incentive rules, the earnings ledger, KPI counters.

Only the earnings worker writes the ledger and the counters, and every write
is one transaction with an ``AppliedFact`` item of the fact it records (a
delivery, a rating, an upheld complaint, an offer's answer): the fact item is
conditional on not existing, so a fact applied once is never applied again,
whichever event (or copy of one) brings it.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta

RULES_SCHEME = "riders"  # the platform's one rule set (a city could get its own scheme later)


class IncentiveRulesRecord(Model):
    """One version of the incentive rules; the newest whose ``effective_from`` has passed is in force."""

    Meta = table_meta("incentives_table")

    scheme = UnicodeAttribute(hash_key=True)
    revision = UnicodeAttribute(range_key=True)  # the version zero-padded, so string order is version order
    version = NumberAttribute()
    document = UnicodeAttribute()  # the rules as JSON (paotui.riders.incentives.IncentiveRules)
    effective_from = UnicodeAttribute()
    set_by = UnicodeAttribute()

    @staticmethod
    def revision_of(version: int) -> str:
        return f"{version:010d}"


class LedgerLine(Model):
    """Money a rider earned or lost on one order: ``entry`` = ``line#<China day>#<at>#<order id>#<kind>``."""

    Meta = table_meta("earnings_table")

    rider_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    day = UnicodeAttribute()  # China-time YYYY-MM-DD the line belongs to
    at = UnicodeAttribute()
    order_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # base | per_order | distance | peak | streak | late | complaint
    amount = NumberAttribute()  # fen; a penalty is negative
    detail = UnicodeAttribute()
    rules_version = NumberAttribute()  # the incentive rules applied (0: none configured yet)

    @staticmethod
    def entry_of(day: str, at: str, order_id: str, kind: str) -> str:
        return f"line#{day}#{at}#{order_id}#{kind}"


class AppliedFact(Model):
    """A fact already written to the rider's ledger and counters: ``entry`` = ``fact#<what>#<order or offer id>``."""

    Meta = table_meta("earnings_table")

    rider_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()  # when the fact happened
    event_id = UnicodeAttribute()  # the event that brought it first

    @staticmethod
    def entry_of(fact: str) -> str:
        return f"fact#{fact}"


class ByPeriod(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-period"
        projection = AllProjection()

    period = UnicodeAttribute(hash_key=True)
    rider_id = UnicodeAttribute(range_key=True)


class RiderKpisRecord(Model):
    """A rider's counters for one China-time period: ``period`` = ``day#YYYY-MM-DD`` | ``week#YYYY-Www`` |
    ``month#YYYY-MM``. ``by-period`` lists every rider active in a period (the admin leaderboard)."""

    Meta = table_meta("rider_kpis_table")

    rider_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    assigned = NumberAttribute(null=True)
    delivered = NumberAttribute(null=True)
    on_time = NumberAttribute(null=True)
    late = NumberAttribute(null=True)
    failed = NumberAttribute(null=True)
    cancelled = NumberAttribute(null=True)
    offers_accepted = NumberAttribute(null=True)
    offers_rejected = NumberAttribute(null=True)
    offers_expired = NumberAttribute(null=True)
    rating_sum = NumberAttribute(null=True)
    rating_count = NumberAttribute(null=True)
    complaints_upheld = NumberAttribute(null=True)
    earnings = NumberAttribute(null=True)  # fen: the sum of the period's ledger lines
    streak = NumberAttribute(null=True)  # day items: on-time deliveries in a row so far that day

    by_period = ByPeriod()
