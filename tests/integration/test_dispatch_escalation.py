"""Escalation against moto: offers that lapse widen the search, then pay a bonus, then go to the merchant's carrier
(only if it allows it), then page operations and tell the customer a new ETA, each step once however often
dispatch runs again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paotui.platform import clock
from paotui_local.fakes.dada import TEST_SHOP, FakeDada
from tests.integration.builders import (
    dispatch_requested,
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    SignedInApi,
    lapse,
    load_handler,
    make_order,
    make_rider,
    merchant_with_products,
    near,
    order_event,
    provider_secret,
    sqs_event,
)

FAR = near(SHOP, 6000)  # nine rings of H3 cells out: past the usual search (six), within the widened one (ten)
FEE = 650


def escalate_after(monkeypatch, **offers: int) -> None:
    """Reach the named steps (widen, bonus, carrier, operations) after that many offers; the rest never, nor by
    time."""
    from paotui.dispatch.escalation import STEPS
    from paotui.platform.settings import get_settings

    for step in STEPS:
        monkeypatch.setenv(f"ESCALATION_{step.upper()}_AFTER_OFFERS", str(offers.get(step, 1000)))
        monkeypatch.setenv(f"ESCALATION_{step.upper()}_AFTER_SECONDS", "86400")
    get_settings.cache_clear()


def dispatch(order_id: str = ORDER_ID, trigger: str | None = None):
    from paotui.dispatch.service import dispatch

    return dispatch(order_id, reason="timeout", trigger=trigger)


def other_than(rider_id: str) -> str:
    """Of the two riders near the shop, the one who did not let the offer lapse (either may be offered first:
    the food is not ready yet and both would be there in time)."""
    return ({"rdr_a", "rdr_b"} - {rider_id}).pop()


def alerts(order_id: str = ORDER_ID) -> list[tuple[str, dict]]:
    from paotui.orders.service import get_order

    return [(alert.kind, alert.detail.as_dict() if alert.detail else {}) for alert in get_order(order_id).alerts or []]


def incidents() -> list:
    from paotui.ops.records import IncidentRecord

    return list(IncidentRecord.scan())


def offers(order_id: str = ORDER_ID):
    from paotui.dispatch.service import offers_of_order

    return offers_of_order(order_id)


def of_merchant(order, merchant) -> None:
    from paotui.orders.records import OrderRecord

    order.update(actions=[OrderRecord.merchant_id.set(merchant.id)])


class Watchdog:
    """The watchdog's side of acceptance, which these tests don't follow."""

    def resolve_step(self, order_id: str, step: str) -> None:
        return None

    def fail_step(self, order_id: str, step: str, error: str, cause: str) -> None:
        return None


@pytest.fixture
def order(aws):
    return make_order()


def test_a_far_rider_is_beyond_the_usual_search(order, monkeypatch):
    escalate_after(monkeypatch)
    make_rider("rdr_far", FAR)
    assert dispatch() is None
    assert alerts() == []


def test_once_offers_lapse_the_search_widens_and_a_far_rider_gets_the_offer(order, monkeypatch):
    escalate_after(monkeypatch, widen=1)
    make_rider("rdr_near", near(SHOP, 100))
    make_rider("rdr_far", FAR)
    first = dispatch(trigger="e1")
    assert (first.rider_id, first.fee, first.bonus) == ("rdr_near", FEE, 0)
    lapse(first)

    widened = dispatch(trigger="e2")

    assert widened.rider_id == "rdr_far" and widened.distance_m > 5500
    assert (widened.fee, widened.bonus) == (FEE, 0)  # wider, not dearer yet
    assert alerts() == [("escalated", {"level": 1, "step": "widen"})]


def test_a_widened_run_that_finds_its_zone_planning_has_the_round_search_as_widely(order, monkeypatch):
    """The order's re-dispatch, escalated to the widened search, finds another order's round (the usual search)
    planning the zone: that round plans the order again out to the widened rings before it stops, so the far rider
    is offered it now, not at the watchdog's next try."""
    from paotui.dispatch import rounds

    escalate_after(monkeypatch, widen=1)
    make_rider("rdr_near", near(SHOP, 100), capacity=1)
    make_rider("rdr_far", FAR)
    first = dispatch(trigger="e1")
    assert first.rider_id == "rdr_near"
    lapse(first)
    late = make_order("ord_late")
    plan_round = rounds.plan_round
    widened: list = []

    def widened_meanwhile(state, params):
        if not widened:
            widened.append(dispatch(trigger="e2"))  # the lease is taken: it asks
        return plan_round(state, params)

    monkeypatch.setattr(rounds, "plan_round", widened_meanwhile)
    dispatch(late.id, trigger="e-late")

    assert widened == [None]
    assert [o.rider_id for o in offers(late.id)] == ["rdr_near"]
    assert [(o.rider_id, o.status) for o in offers()] == [("rdr_near", "EXPIRED"), ("rdr_far", "OPEN")]
    assert alerts() == [("escalated", {"level": 1, "step": "widen"})]


def test_at_the_bonus_level_the_offer_pays_more_and_the_rider_sees_and_earns_it(order, monkeypatch):
    from paotui.dispatch.service import accept_offer
    from paotui.orders.records import OrderRecord, TimelineEntryMap
    from paotui.platform.clock import china_date

    escalate_after(monkeypatch, widen=1, bonus=1)
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    lapse(dispatch(trigger="e1"))

    bonus = dispatch(trigger="e2")

    assert (bonus.rider_id, bonus.bonus, bonus.fee) == ("rdr_b", 300, FEE + 300)
    assert alerts() == [("escalated", {"level": 1, "step": "widen"}), ("escalated", {"level": 2, "step": "bonus"})]
    riders_api = SignedInApi("RidersApi")
    status, listed = riders_api.call("GET", "/riders/me/offers", user="rdr_b", roles="rider")
    assert status == 200 and [(o["id"], o["fee"], o["bonus"]) for o in listed] == [(bonus.id, FEE + 300, 300)]

    accepted = accept_offer(bonus.id, "rdr_b", workflow=Watchdog())
    delivered_at = clock.now()
    accepted.update(
        actions=[
            OrderRecord.status.set("DELIVERED"),
            OrderRecord.timeline.set(
                OrderRecord.timeline.append([TimelineEntryMap(status="DELIVERED", at=clock.iso(delivered_at), by="r")])
            ),
        ]
    )
    earnings = load_handler("EarningsWorker")
    assert earnings(sqs_event(order_event(accepted, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT) == {
        "batchItemFailures": []
    }
    day = china_date(delivered_at)
    status, statement = riders_api.call(
        "GET", "/riders/me/earnings", user="rdr_b", roles="rider", query={"from": day, "to": day}
    )
    assert status == 200, statement
    paid = [(line["kind"], line["amount"]) for day in statement["days"] for line in day["lines"]]
    assert paid == [("base", FEE + 300)]


@pytest.fixture
def dada(aws, monkeypatch):
    """A configured Dada whose test shop a fallback merchant names."""
    with FakeDada() as fake:
        provider_secret(monkeypatch, "DADA_SECRET_ARN", fake.secret_json())
        yield fake


def deliver_by(merchant, mode: str, *, fallback: bool = False):
    """Set who delivers the merchant's orders: our riders ("self", falling back on Dada or not) or Dada ("carrier")."""
    from paotui.catalog import delivery

    carrier = {"carrier": "dada", "carrier_shop": {"shop_no": TEST_SHOP, "city_code": "021"}}
    settings = {
        "mode": mode,
        "allow_carrier_fallback": fallback,
        **(carrier if mode == "carrier" or fallback else {}),
        "areas": [{"name": "全城", "radius_m": 5000, "fees": {"base_fee": 500, "base_distance_m": 3000}}],
    }
    delivery.save(merchant, delivery.DeliverySettings.model_validate(settings))
    return merchant


def merchant_delivering(*, fallback: bool):
    """A merchant of our riders' that may fall back on Dada, or not."""
    return deliver_by(merchant_with_products(50)[0], "self", fallback=fallback)


def test_at_the_carrier_level_the_order_goes_to_dada_only_if_the_merchant_allows_it(dada, monkeypatch):
    escalate_after(monkeypatch, carrier=1)
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    allowing, refusing = make_order("ord_allowing"), make_order("ord_refusing")
    of_merchant(allowing, merchant_delivering(fallback=True))
    of_merchant(refusing, merchant_delivering(fallback=False))
    first = dispatch("ord_allowing", trigger="a1")  # a live offer when the carrier takes over
    lapsed = dispatch("ord_refusing", trigger="r1")
    lapse(lapsed)

    assert dispatch("ord_allowing", trigger="a2") is None
    assert dispatch("ord_allowing", trigger="a3") is None  # the watchdog asks again: handed over once

    from paotui.orders.service import get_order

    handed = get_order("ord_allowing")
    assert (handed.status, handed.rider_id, handed.carrier.name) == ("CONFIRMED", None, "dada")
    assert handed.carrier.handed_over_at and list(dada.orders) == ["ord_allowing"]
    assert [(o.id, o.status) for o in offers("ord_allowing")] == [(first.id, "WITHDRAWN")]
    assert [detail["step"] for _, detail in alerts("ord_allowing")] == ["widen", "bonus", "carrier"]

    kept = dispatch("ord_refusing", trigger="r2")  # no fallback: our riders, with the bonus
    assert (kept.rider_id, kept.bonus) == (other_than(lapsed.rider_id), 600)
    assert get_order("ord_refusing").carrier is None
    assert [detail["step"] for _, detail in alerts("ord_refusing")] == ["widen", "bonus"]


def test_a_rider_cannot_take_an_order_handed_to_the_carrier(dada, monkeypatch):
    from paotui.dispatch.service import accept_offer
    from paotui.platform.errors import Conflict

    escalate_after(monkeypatch, carrier=1)
    make_rider("rdr_a", near(SHOP, 100))
    of_merchant(make_order(), merchant_delivering(fallback=True))
    offered = dispatch(trigger="e1")
    dispatch(trigger="e2")

    with pytest.raises(Conflict) as refused:
        accept_offer(offered.id, "rdr_a", workflow=Watchdog())
    assert refused.value.code == "OFFER_UNAVAILABLE"


def test_an_accept_that_read_the_order_before_the_hand_over_to_the_carrier_loses(dada, monkeypatch):
    """rdr_b's offer came from a concurrent round the escalated run did not see. rdr_b's accept reads the order
    just before that run gives it to Dada and writes just after: Dada's rider is on the way, so ours must not
    come for it too."""
    from paotui.carriers import service as carriers
    from paotui.dispatch.service import accept_offer
    from paotui.orders.service import get_order
    from paotui.platform.errors import Conflict
    from paotui.riders import service as riders
    from paotui.riders.records import RiderRecord

    make_rider("rdr_b", near(SHOP, 300))
    of_merchant(make_order(), merchant_delivering(fallback=True))
    offered = dispatch(trigger="e1")
    read_rider = riders.get_rider

    def hand_over_meanwhile(rider_id, *, consistent=False):  # the accept has read the order, and not written yet
        carriers.hand_over(get_order(ORDER_ID), fallback=True)
        return read_rider(rider_id, consistent=consistent)

    monkeypatch.setattr(riders, "get_rider", hand_over_meanwhile)
    with pytest.raises(Conflict) as refused:
        accept_offer(offered.id, "rdr_b", workflow=Watchdog())

    assert refused.value.code == "OFFER_UNAVAILABLE"
    order = get_order(ORDER_ID)
    assert (order.status, order.rider_id) == ("CONFIRMED", None)
    assert order.carrier.handed_over_at and list(dada.orders) == [ORDER_ID]
    assert int(RiderRecord.get("rdr_b", consistent_read=True).active_orders) == 0


def test_a_hand_over_that_finds_our_rider_took_the_order_cancels_it_at_the_carrier(dada, monkeypatch):
    """While one run creates the Dada order from its quote, a concurrent run (which read the order before that
    quote) is refused by Dada and records the refusal, so the order is our riders' again, and rdr_b takes it.
    The first run's Dada order must not stay: it is cancelled, and rdr_b delivers."""
    from paotui.carriers import service as carriers
    from paotui.carriers.dada import DadaCarrier
    from paotui.dispatch.service import accept_offer
    from paotui.orders.service import get_order

    make_rider("rdr_b", near(SHOP, 300))
    of_merchant(make_order(), merchant_delivering(fallback=True))
    offered = dispatch(trigger="e1")
    before_the_quote = get_order(ORDER_ID)
    create = DadaCarrier.create

    def create_while_another_run_is_refused(carrier, order_id: str, quote_id: str) -> None:
        balance, dada.balance = dada.balance, 0
        carriers.hand_over(before_the_quote, fallback=True)
        dada.balance = balance
        accept_offer(offered.id, "rdr_b", workflow=Watchdog())
        create(carrier, order_id, quote_id)

    monkeypatch.setattr(DadaCarrier, "create", create_while_another_run_is_refused)
    carriers.hand_over(get_order(ORDER_ID), fallback=True)

    order = get_order(ORDER_ID)
    assert (order.status, order.rider_id, order.carrier.handed_over_at) == ("ASSIGNED", "rdr_b", None)
    assert dada.orders[ORDER_ID].status == 5  # 已取消


def test_when_the_carrier_refuses_the_fallback_our_riders_keep_trying(dada, monkeypatch):
    escalate_after(monkeypatch, carrier=1)
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    of_merchant(make_order(), merchant_delivering(fallback=True))
    lapsed = dispatch(trigger="e1")
    lapse(lapsed)
    dada.balance = 0  # Dada refuses every quote

    kept = dispatch(trigger="e2")

    from paotui.orders.service import get_order

    assert kept is not None and (kept.rider_id, kept.bonus) == (other_than(lapsed.rider_id), 600)
    refused = get_order(ORDER_ID).carrier
    assert refused.exception.code == "CARRIER_REFUSED" and refused.handed_over_at is None
    assert dada.orders == {}
    lapse(kept)
    dada.balance = 100_000  # topped up: the next run hands it over from a fresh quote
    assert dispatch(trigger="e3") is None
    assert get_order(ORDER_ID).carrier.handed_over_at and list(dada.orders) == [ORDER_ID]


def test_a_rider_whose_offer_the_fallback_withdrew_may_be_offered_the_order_again(dada, monkeypatch):
    """The fallback takes a fresh offer from its rider before the carrier answers; when the carrier refuses, that
    rider is not in the refusal cooldown for the order: they never turned it down."""
    escalate_after(monkeypatch, carrier=1)
    make_rider("rdr_a", near(SHOP, 100))
    of_merchant(make_order(), merchant_delivering(fallback=True))
    fresh = dispatch(trigger="e1")
    dada.balance = 0  # Dada refuses every quote

    again = dispatch(trigger="e2")  # at the carrier level while the offer is still fresh

    assert {offer.id: offer.status for offer in offers()}[fresh.id] == "WITHDRAWN"
    assert again is not None and again.rider_id == "rdr_a" and again.id != fresh.id


def test_at_the_last_level_operations_are_paged_and_the_customer_told_a_new_eta_once(order, monkeypatch):
    escalate_after(monkeypatch, operations=1)
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_far", FAR)
    lapse(dispatch(trigger="e1"))
    before = clock.now()

    onwards = dispatch(trigger="e2")
    assert dispatch(trigger="e2").id == onwards.id  # the same message again
    lapse(onwards)
    assert dispatch(trigger="e3") is None  # a later lapse: nobody left, but nothing said twice

    assert (onwards.rider_id, onwards.bonus) == ("rdr_far", 900)  # the widest search, the biggest bonus
    said = alerts()
    assert [(kind, detail.get("step")) for kind, detail in said] == [
        ("escalated", "widen"),
        ("escalated", "bonus"),
        ("escalated", "operations"),
        ("no_rider", None),
    ]
    eta = clock.parse_iso(said[-1][1]["eta"])
    assert said[-1][1]["level"] == 4
    # the default 15 minutes' wait for a rider, then the ride (the 390 m to HOME: 2 minutes at 250 m/min)
    assert before + timedelta(minutes=17) <= eta <= clock.now() + timedelta(minutes=17)
    (incident,) = incidents()
    assert (incident.order_id, incident.kind, incident.status) == (ORDER_ID, "no_rider", "OPEN")
    assert incident.detail["eta"] == said[-1][1]["eta"] and incident.detail["offers"] == 1


def test_time_alone_escalates_an_order_nobody_was_offered(order, monkeypatch):
    """No rider anywhere: no offers are made, and the wait since the order was confirmed drives the levels."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap
    from paotui.platform.settings import get_settings

    monkeypatch.setenv("ESCALATION_OPERATIONS_AFTER_SECONDS", "600")
    get_settings.cache_clear()
    confirmed = TimelineEntryMap(status="CONFIRMED", at=clock.iso(clock.now() - timedelta(seconds=601)), by="test")
    order.update(actions=[OrderRecord.timeline.set([confirmed])])
    assert dispatch(trigger="e1") is None
    assert [kind for kind, _ in alerts()] == ["escalated", "escalated", "escalated", "no_rider"]
    assert [incident.kind for incident in incidents()] == ["no_rider"]


def test_a_redelivered_dispatch_message_escalates_once(order, monkeypatch):
    escalate_after(monkeypatch, operations=1)
    make_rider("rdr_a", near(SHOP, 100))
    lapse(dispatch(trigger="e1"))
    worker = load_handler("DispatchWorker")
    requested = dispatch_requested(ORDER_ID, "offer_expired", event_id="sfn-redispatch-2")

    assert worker(sqs_event(requested, requested), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert worker(sqs_event(requested), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    assert [kind for kind, _ in alerts()] == ["escalated", "escalated", "escalated", "no_rider"]  # levels 1, 2, 4
    assert len(incidents()) == 1


def test_a_carrier_merchants_order_is_the_carriers_and_never_escalated(dada, monkeypatch):
    escalate_after(monkeypatch, widen=0, bonus=0, carrier=0, operations=0)
    of_merchant(make_order(), deliver_by(merchant_with_products(50)[0], "carrier"))

    assert dispatch(trigger="e1") is None
    assert list(dada.orders) == [ORDER_ID] and alerts() == [] and incidents() == []


def test_a_redelivered_dispatch_message_neither_escalates_further_nor_takes_back_the_offer_it_made(dada, monkeypatch):
    """The message's first run made the order's second offer. Run again, it must not count that offer towards the
    carrier level: the rider keeps the offer, the order stays with our riders."""
    from paotui.orders.service import get_order

    escalate_after(monkeypatch, carrier=2)
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    of_merchant(make_order(), merchant_delivering(fallback=True))
    lapse(dispatch(trigger="e1"))
    made = dispatch(trigger="e2")

    again = dispatch(trigger="e2")  # the same message, redelivered

    assert again is not None and again.id == made.id
    assert (offers()[-1].id, offers()[-1].status) == (made.id, "OPEN")
    assert get_order(ORDER_ID).carrier is None and list(dada.orders) == []
    assert alerts() == []


def test_an_order_dada_has_is_never_escalated_after_its_merchant_switched_to_our_riders(dada, monkeypatch):
    """Dada keeps the orders it has when the merchant goes back to our riders (docs/adr/0012): the watchdog's
    re-dispatch must not tell the merchant we search further or pay a bonus, nor page operations, for them."""
    escalate_after(monkeypatch, widen=0, bonus=0, carrier=0, operations=0)
    make_rider("rdr_a", near(SHOP, 100))
    merchant = deliver_by(merchant_with_products(50)[0], "carrier")
    of_merchant(make_order(), merchant)
    assert dispatch(trigger="e1") is None
    deliver_by(merchant, "self")

    assert dispatch(trigger="e2") is None  # the watchdog asks again while Dada's riders have not taken it
    assert list(dada.orders) == [ORDER_ID] and offers() == []
    assert alerts() == [] and incidents() == []
