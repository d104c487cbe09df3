"""The analytics table: counter items, and the facts already counted.

``scope`` = ``all#<shard>`` (the platform, split in PLATFORM_SHARDS) or ``merchant#<id>``, ``period`` =
``day#YYYY-MM-DD`` or ``hour#YYYY-MM-DDTHH`` (China time), its other attributes counters named by
paotui.analytics.facts; an hour's item expires after ``HOURS_KEPT_DAYS``. ``scope`` = ``fact#<order id>``,
``period`` = the fact's name: that fact is counted already (kept ``FACTS_KEPT_DAYS``, longer than an event can
be redelivered or redriven). The counters are open-ended, so they are written and read through the low-level
client (paotui.analytics.counters); this class gives the table its schema.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta

HOURS_KEPT_DAYS = 93
FACTS_KEPT_DAYS = 35


class AnalyticsItem(Model):
    Meta = table_meta("analytics_table")

    scope = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    ttl = NumberAttribute(null=True)  # epoch seconds: hour items and fact items expire
