"""The Orders table. Its stream drives every reaction to an order (DESIGN.md §1)."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import PlaceMap, table_meta


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


def _index(name: str, hash_attr: str) -> type[GlobalSecondaryIndex]:
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    return type(
        f"Index_{hash_attr}",
        (GlobalSecondaryIndex,),
        {"Meta": meta, hash_attr: UnicodeAttribute(hash_key=True), "created_at": UnicodeAttribute(range_key=True)},
    )


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
    updated_at = UnicodeAttribute()
    items = ListAttribute(of=LineItemMap)
    amounts = AmountsMap()
    address = AddressMap()
    pickup = PlaceMap()
    timeline = ListAttribute(of=TimelineEntryMap)
    scheduled_for = UnicodeAttribute(null=True)
    slot_start = UnicodeAttribute(null=True)  # the delivery slot a scheduled order holds a place in
    note = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    cancel_request = CancelRequestMap(null=True)
    errand = ErrandMap(null=True)
    carrier = CarrierMap(null=True)  # a third-party carrier delivers it (paotui.carriers); rider_id stays empty
    # refunds (payments.refunds keeps these in step with the refund items, in the same transactions)
    refunded = NumberAttribute(null=True)  # fen refunded so far
    refunds_pending = NumberAttribute(null=True)
    refunds_failed = NumberAttribute(null=True)
    request_fingerprint = UnicodeAttribute()

    by_customer = _index("by-customer", "customer_id")()
    by_day = _index("by-day", "created_day")()  # every order of a China-time day, for operators
    by_merchant = _index("by-merchant", "merchant_id")()
    by_rider = _index("by-rider", "rider_id")()


class ChannelBindingRecord(Model):
    """Which merchant an external platform's shop is (orders.bindings): one shop, one merchant."""

    Meta = table_meta("channel_bindings_table")

    key = UnicodeAttribute(hash_key=True)  # "<channel>#shop#<shop id>", e.g. eleme#shop#968861
    merchant_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    bound_at = UnicodeAttribute()
    bound_by = UnicodeAttribute()
