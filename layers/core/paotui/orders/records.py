"""The Orders table. Its stream drives every reaction to an order (DESIGN.md §1)."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from paotui.platform.dynamo import LatLngMap, PlaceMap, table_meta


class AddressMap(MapAttribute):
    lat = NumberAttribute()
    lng = NumberAttribute()
    detail = UnicodeAttribute()
    contact_name = UnicodeAttribute()
    contact_phone = UnicodeAttribute()


class LineItemMap(MapAttribute):
    product_id = UnicodeAttribute()
    name = UnicodeAttribute()
    unit_price = NumberAttribute()
    quantity = NumberAttribute()
    line_total = NumberAttribute()


class FeeLineMap(MapAttribute):
    code = UnicodeAttribute()
    label = UnicodeAttribute()
    amount = NumberAttribute()  # fen; a waiver is negative


class AmountsMap(MapAttribute):
    items_total = NumberAttribute()
    delivery_fee = NumberAttribute()
    total = NumberAttribute()
    breakdown = ListAttribute(of=FeeLineMap, null=True)  # the delivery fee line by line, as quoted at intake
    collect_on_delivery = NumberAttribute(null=True)  # cash the rider takes at the door (orders.channels)
    discount = NumberAttribute(null=True)  # a coupon's, already taken off ``total`` (paotui.coupons)

    @property
    def cash_at_door(self) -> int:
        """Fen the rider takes at the door: 0 unless the order is paid on delivery."""
        return int(self.collect_on_delivery or 0)


class CancelRequestMap(MapAttribute):
    """A customer's request to cancel an order the merchant already confirmed (orders.cancellation)."""

    reason = UnicodeAttribute()
    at = UnicodeAttribute()
    status = UnicodeAttribute()  # PENDING | APPROVED | REJECTED
    answered_at = UnicodeAttribute(null=True)
    answer = UnicodeAttribute(null=True)  # the merchant's reason for a refusal


class PickupAddressMap(MapAttribute):
    """An errand's pick-up in words, with whom to meet there (none for a buy errand's shop)."""

    detail = UnicodeAttribute()
    contact_name = UnicodeAttribute(null=True)
    contact_phone = UnicodeAttribute(null=True)


class ErrandMap(MapAttribute):
    """What an errand is about (docs/adr/0008); amounts in fen."""

    type = UnicodeAttribute()  # send | buy | fetch
    item = UnicodeAttribute()
    weight_g = NumberAttribute(null=True)
    pickup_address = PickupAddressMap()
    pickup_at = UnicodeAttribute(null=True)  # when the customer wants it picked up, if not now
    goods_estimate = NumberAttribute(null=True)  # buy: what the customer expects the goods to cost
    goods_amount = NumberAttribute(null=True)  # buy: what they cost, reported by the rider on delivery


class TimelineEntryMap(MapAttribute):
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class AlertMap(MapAttribute):
    """Something the parties of an order must hear about that is not a status change (orders.alerts)."""

    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    at = UnicodeAttribute()
    detail = MapAttribute(null=True)


class CarrierRiderMap(MapAttribute):
    """The carrier's rider, as the carrier reports them."""

    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    id = UnicodeAttribute(null=True)


class PositionMap(MapAttribute):
    lat = NumberAttribute()
    lng = NumberAttribute()
    at = UnicodeAttribute()  # when the carrier said so


class CarrierExceptionMap(MapAttribute):
    """Why the carrier can't carry the order on (a refusal, its failure status): a person decides what next."""

    code = UnicodeAttribute()
    message = UnicodeAttribute()
    at = UnicodeAttribute()


class KitchenPrintMap(MapAttribute):
    """The order's kitchen ticket on the shop's cloud printer (paotui.printing writes it, once per order)."""

    state = UnicodeAttribute()  # printing (sent, or being retried) | sent | failed
    sn = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    job_id = UnicodeAttribute(null=True)  # the provider's id of the print job
    reason = UnicodeAttribute(null=True)  # why the provider refused it
    reprints = NumberAttribute(null=True)  # printed again at the shop's asking (printing.kitchen.reprint)
    at = UnicodeAttribute()  # the last change


class CarrierMap(MapAttribute):
    """The third-party carrier delivering the order instead of our riders (paotui.carriers writes it)."""

    name = UnicodeAttribute()  # "dada"
    shop_no = UnicodeAttribute()  # the merchant's shop at the carrier
    city_code = UnicodeAttribute(null=True)
    quote_id = UnicodeAttribute(null=True)  # the quote the carrier order is created from (Dada's deliveryNo)
    fee = NumberAttribute(null=True)  # fen, what the carrier charges the merchant
    distance_m = NumberAttribute(null=True)
    quoted_at = UnicodeAttribute(null=True)
    handed_over_at = UnicodeAttribute(null=True)  # set once the carrier has the order
    order_no = UnicodeAttribute(null=True)  # the carrier's own number for it (Dada's 运单号)
    status = NumberAttribute(null=True)  # the carrier's own status code, as last seen
    status_label = UnicodeAttribute(null=True)
    seen_at = UnicodeAttribute(null=True)  # when we last learned the carrier's state: older news is not recorded
    rider = CarrierRiderMap(null=True)
    position = PositionMap(null=True)
    exception = CarrierExceptionMap(null=True)
    cancelled_at = UnicodeAttribute(null=True)  # withdrawn at the carrier, by us or by the carrier


class GeofenceOverrideMap(MapAttribute):
    """A rider's move made outside the geofence, on the rider's word (orders.proof)."""

    step = UnicodeAttribute()  # "arrival" (at the pick-up) | "dropoff" (at the address)
    distance_m = NumberAttribute(null=True)  # None: no usable position was known
    reason = UnicodeAttribute()
    at = UnicodeAttribute()


class ProofMap(MapAttribute):
    """How the delivery was proven (orders.proof)."""

    kind = UnicodeAttribute()  # "code" (the customer's 收货码) | "photo"
    photo_key = UnicodeAttribute(null=True)  # in the proof photos bucket, under proofs/<order id>/
    at = UnicodeAttribute()


class DeliveryFailureMap(MapAttribute):
    """Why the rider could not hand the order over: what the exception workflow starts from."""

    reason = UnicodeAttribute()  # buyer_refused | unreachable | wrong_address
    note = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    by = UnicodeAttribute()
    position = LatLngMap(null=True)  # where the rider was, if known


class RatingMap(MapAttribute):
    """The customer's rating of a delivered order, given once (orders.feedback)."""

    stars = NumberAttribute()  # 1..5
    comment = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class ComplaintMap(MapAttribute):
    """The customer's complaint about the delivery, which an admin upholds or dismisses (orders.feedback)."""

    reason = UnicodeAttribute()
    at = UnicodeAttribute()
    rider_id = UnicodeAttribute(null=True)  # the rider it is about, who an upheld one penalises; older ones lack it
    status = UnicodeAttribute()  # PENDING | UPHELD | DISMISSED
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


def _index(name: str, hash_attr: str) -> type[GlobalSecondaryIndex]:
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    return type(
        f"Index_{hash_attr}",
        (GlobalSecondaryIndex,),
        {"Meta": meta, hash_attr: UnicodeAttribute(hash_key=True), "created_at": UnicodeAttribute(range_key=True)},
    )


class OrdersByRef(GlobalSecondaryIndex):
    """Orders by the short reference people read out (platform.ids.short_ref), for operators. Keys only: the key
    never changes, so the index is written once per order, not at every move; a lookup reads the few it finds."""

    class Meta:
        index_name = "by-ref"
        projection = KeysOnlyProjection()

    ref = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OrderRecord(Model):
    Meta = table_meta("orders_table", stream_view_type="NEW_AND_OLD_IMAGES")

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    version = NumberAttribute(default=1)
    customer_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute(null=True)  # none for an errand, which the sparse by-merchant index leaves out
    kind = UnicodeAttribute(default="food")  # food | errand; orders from before errands read as food
    channel = UnicodeAttribute(default="mini_program")  # how it came in (orders.channels); older orders: mini_program
    external_id = UnicodeAttribute(null=True)  # the platform's order id, for orders pushed by one (e.g. Ele.me)
    rider_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_day = UnicodeAttribute(null=True)  # YYYY-MM-DD in China time: the by-day index
    ref = UnicodeAttribute(null=True)  # the short reference (platform.ids.short_ref): the by-ref index
    updated_at = UnicodeAttribute()
    items = ListAttribute(of=LineItemMap)
    amounts = AmountsMap()
    address = AddressMap()
    pickup = PlaceMap()
    timeline = ListAttribute(of=TimelineEntryMap)
    alerts = ListAttribute(of=AlertMap, null=True)  # orders.alerts: each becomes one order.alert event
    alert_ids = UnicodeSetAttribute(null=True)  # the ids in ``alerts``, so an alert is appended once
    scheduled_for = UnicodeAttribute(null=True)
    promised_at = UnicodeAttribute(null=True)  # when delivery was promised at placement: what on time means
    late_at = UnicodeAttribute(null=True)  # when the watchdog found it late against promised_at (orders.compensation)
    coupon_id = UnicodeAttribute(null=True)  # the customer's coupon it uses (paotui.coupons)
    slot_start = UnicodeAttribute(null=True)  # the delivery slot a scheduled order holds a place in
    dispatch_at = UnicodeAttribute(null=True)  # a scheduled order is not offered to riders before (workflow.schedule)
    note = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    cancel_request = CancelRequestMap(null=True)
    errand = ErrandMap(null=True)
    rating = RatingMap(null=True)
    complaint = ComplaintMap(null=True)
    carrier = CarrierMap(null=True)  # a third-party carrier delivers it (paotui.carriers); rider_id stays empty
    kitchen_print = KitchenPrintMap(null=True)  # its ticket on the shop's cloud printer (paotui.printing)
    # the rider's status flow (orders.proof)
    delivery_code = UnicodeAttribute(null=True)  # the 收货码: only the customer (and admins) may read it
    delivery_code_attempts = NumberAttribute(null=True)  # wrong guesses so far, an atomic counter
    geofence_overrides = ListAttribute(of=GeofenceOverrideMap, null=True)
    proof = ProofMap(null=True)
    delivery_failure = DeliveryFailureMap(null=True)  # the last DELIVERY_FAILED's
    # refunds (payments.refunds keeps these in step with the refund items, in the same transactions)
    refunded = NumberAttribute(null=True)  # fen refunded so far
    refunds_pending = NumberAttribute(null=True)
    refunds_failed = NumberAttribute(null=True)
    request_fingerprint = UnicodeAttribute()
    # the watchdog execution watching the order when not the first (named by the order id): ops.reconcile
    watch_execution = UnicodeAttribute(null=True)

    by_customer = _index("by-customer", "customer_id")()
    by_day = _index("by-day", "created_day")()  # every order of a China-time day, for operators
    by_merchant = _index("by-merchant", "merchant_id")()
    by_rider = _index("by-rider", "rider_id")()
    by_ref = OrdersByRef()


class ChannelBindingsByMerchant(GlobalSecondaryIndex):
    """A merchant's bound shops: only bindings carry both keys (sparse)."""

    class Meta:
        index_name = "by-merchant"
        projection = AllProjection()

    merchant_id = UnicodeAttribute(hash_key=True)
    shop_id = UnicodeAttribute(range_key=True)


class ChannelBindingRecord(Model):
    """Which merchant an external platform's shop is (orders.bindings): one shop, one merchant."""

    Meta = table_meta("channel_bindings_table")

    by_merchant = ChannelBindingsByMerchant()
    key = UnicodeAttribute(hash_key=True)  # "<channel>#shop#<shop id>", e.g. eleme#shop#968861
    merchant_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    bound_at = UnicodeAttribute()
    bound_by = UnicodeAttribute()
    proof = UnicodeAttribute(null=True)  # "granted" (the platform's shop authorization) or "admin"; None: the
    # merchant's word, from before bindings needed proof (docs/adr/0015)
    shop_name = UnicodeAttribute(null=True)  # as the platform named it in the grant


class ChannelAuthorizationRecord(Model):
    """A merchant's shop authorization under way (orders.bindings): the OAuth ``state`` the platform sends back,
    naming the merchant who asked. In the bindings' table, keyed apart; used once, gone after ``expires_at``."""

    Meta = table_meta("channel_bindings_table")

    key = UnicodeAttribute(hash_key=True)  # "<channel>#authorization#<state>"
    merchant_id = UnicodeAttribute()
    asked_by = UnicodeAttribute()
    browser = UnicodeAttribute()  # SHA-256 of the key in the starting browser's cookie: only it may finish
    expires_at = UnicodeAttribute()
    ttl = TTLAttribute()


class ChannelCancellationRecord(Model):
    """A platform's cancellation of an order we don't have (orders.channels): if the order's push comes later (a
    redelivery of one we refused, or one overtaken), it is not taken. In the bindings' table, keyed apart."""

    Meta = table_meta("channel_bindings_table")

    key = UnicodeAttribute(hash_key=True)  # "<channel>#cancelled#<platform order id>"
    order_id = UnicodeAttribute()  # ours, had we taken it
    reason = UnicodeAttribute()
    cancelled_at = UnicodeAttribute()
    ttl = TTLAttribute()  # long after the platform has stopped redelivering the push
