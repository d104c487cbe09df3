"""The Offers table: one item per offer of an order to a rider. Its stream feeds
``offer.created`` (the push to the rider) and ``offer.status_changed``.

``expires_at`` is an ISO-8601 ``Z`` string with milliseconds, so string order
is time order and DynamoDB can compare it in key and condition expressions.
An OPEN offer past ``expires_at`` is dead even before anything marks it EXPIRED.
"""

from __future__ import annotations

from enum import StrEnum

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import LatLngMap, PlaceMap, table_meta


class OfferStatus(StrEnum):
    """OPEN until answered (ACCEPTED, REJECTED) or closed unanswered: EXPIRED when the rider's time ran out (past
    ``expires_at``, or the watchdog stopped waiting for the answer), WITHDRAWN when taken away before that (the
    order cancelled, handed to a carrier, or taken through another offer). Acceptance rates count all but
    WITHDRAWN (``paotui.riders.kpis``)."""

    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


class DropoffMap(LatLngMap):
    detail = UnicodeAttribute()


class ByRider(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-rider"
        projection = AllProjection()

    rider_id = UnicodeAttribute(hash_key=True)
    expires_at = UnicodeAttribute(range_key=True)


class ByOrder(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-order"
        projection = AllProjection()

    order_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OfferRecord(Model):
    Meta = table_meta("offers_table", stream_view_type="NEW_AND_OLD_IMAGES")

    id = UnicodeAttribute(hash_key=True)  # stable per (order, attempt)
    order_id = UnicodeAttribute()
    rider_id = UnicodeAttribute()
    status = UnicodeAttribute(default=OfferStatus.OPEN.value)
    attempt = NumberAttribute()
    reason = UnicodeAttribute()  # why dispatch ran: confirmed, timeout, rejected, ...
    trigger = UnicodeAttribute(null=True)  # id of the event that caused this dispatch
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    ttl = NumberAttribute()  # epoch seconds; DynamoDB TTL removes the item a day after expiry
    pickup = PlaceMap()
    dropoff = DropoffMap()
    fee = NumberAttribute()  # fen: what the rider is paid, the order's delivery fee plus ``bonus``
    bonus = NumberAttribute(default=0)  # fen: an escalated order's extra for the rider (dispatch.escalation)
    collect = NumberAttribute(default=0)  # fen: cash the rider takes from the customer at the door (paid on delivery)
    distance_m = NumberAttribute(null=True)  # rider → pickup when offered
    bundle_id = UnicodeAttribute(null=True)  # offers of one trip (one store, several drop-offs) share it
    bundle_size = NumberAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)

    by_rider = ByRider()
    by_order = ByOrder()

    def is_live(self, now_iso: str) -> bool:
        return self.status == OfferStatus.OPEN and self.expires_at > now_iso
