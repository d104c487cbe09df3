"""The Riders table. ``cell`` is set only while a rider is online, so ``by-cell`` is a sparse
index of exactly the riders dispatch may offer an order to."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import LatLngMap, table_meta
from paotui.platform.settings import get_settings


class ByCell(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-cell"
        projection = AllProjection()

    cell = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


def _default_capacity() -> int:
    return get_settings().rider_default_capacity


class RiderRecord(Model):
    Meta = table_meta("riders_table")

    id = UnicodeAttribute(hash_key=True)  # the rider's user id
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    online = BooleanAttribute(default=False)
    location = LatLngMap(null=True)
    location_at = UnicodeAttribute(null=True)
    cell = UnicodeAttribute(null=True)  # H3 at settings.rider_cell_resolution, only while online
    capacity = NumberAttribute(default=_default_capacity)
    active_orders = NumberAttribute(default=0)
    vehicle = UnicodeAttribute(default="ebike")
    push_endpoint_arn = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(default="zh-CN")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_cell = ByCell()
