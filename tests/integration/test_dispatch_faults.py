"""DispatchWorker under crashes: a round and an escalation, each run with its N-th AWS call (or call to Dada)
throttled or the Lambda killed at it, then delivered again after the queue's visibility timeout.

Redelivery comes 90 s later and an offer lives 30 s, so an offer a killed run made has lapsed when the message comes
back, and the rider a lapsed offer went to sits out the cooldown: which rider gets which order is not one clean
run's. What a user notices is: every order ends with exactly one live offer (none stale, none twice, each rider
within capacity counting offers they have yet to answer) once the watchdog has asked again for each order whose
offer lapsed (``AwaitAssignment`` times out after the offer TTL and sends ``dispatch.requested``: a redelivered
message that finds its offer made returns early, leaving the round's other orders to their own watchdogs); every
escalation step is taken once (the merchant and the customer told once, the bonus paid once, operations paged once,
the carrier asked once); a cancelled order keeps no open offer and nothing at the carrier.
"""

from __future__ import annotations

import uuid

import boto3
import pytest

from paotui.platform import clock
from paotui_local.fakes.dada import TEST_SHOP, FakeDada
from tests.integration.builders import (
    LAMBDA_CONTEXT,
    SHOP,
    AwsFaults,
    crash_at_every_step,
    dispatch_requested,
    load_handler,
    make_order,
    make_rider,
    merchant_with_products,
    near,
    order_event,
    sqs_event,
)

CAPACITY = 1


@pytest.fixture
def faults(aws, monkeypatch) -> AwsFaults:
    """Faults on every AWS call; escalation only by offers made, never by the minutes redeliveries add."""
    from paotui.dispatch.escalation import STEPS
    from paotui.platform.settings import get_settings

    for step in STEPS:
        monkeypatch.setenv(f"ESCALATION_{step.upper()}_AFTER_SECONDS", "86400")
    for search in ("DISPATCH_SEARCH_RINGS", "ESCALATION_SEARCH_RINGS"):  # the riders are near: fewer calls to fail
        monkeypatch.setenv(search, "1")
    get_settings.cache_clear()
    return AwsFaults(monkeypatch)


@pytest.fixture
def worker(faults):
    return load_handler("DispatchWorker")


class Scene:
    """Each scenario's own orders and riders near the shop, the previous scenario's cleared away (one zone)."""

    def __init__(self) -> None:
        self.orders: list[str] = []
        self.riders: list[str] = []

    def fresh(self, orders: int, riders: int) -> tuple[list[str], list[str]]:
        """The previous scenario's orders delivered, its riders gone offline (out of the cell index, as going
        offline does) and its placements forgotten, so every scenario's round sees the same zone."""
        from paotui.dispatch.rounds import RecentPlacement, zone_of
        from paotui.orders.records import OrderRecord
        from paotui.riders.records import RiderRecord

        for order_id in self.orders:
            OrderRecord(order_id).update(actions=[OrderRecord.status.set("DELIVERED")])
        for rider_id in self.riders:
            RiderRecord(rider_id).update(actions=[RiderRecord.online.set(False), RiderRecord.cell.remove()])
        for placement in RecentPlacement.query(f"placed#{zone_of(SHOP['lat'], SHOP['lng'])}"):
            placement.delete()
        key = uuid.uuid4().hex[:8]
        self.orders = [make_order(f"ord_{key}_{n}").id for n in range(orders)]
        self.riders = [
            make_rider(f"rdr_{key}_{n:03}", near(SHOP, 20 + 30 * n), capacity=CAPACITY).id for n in range(riders)
        ]
        return self.orders, self.riders


def live_offers(order_id: str) -> list:
    from paotui.dispatch.service import offers_of_order

    now = clock.now_iso()
    return [offer for offer in offers_of_order(order_id) if offer.is_live(now)]


def watchdog_asks_again(worker, order_ids: list[str]) -> None:
    """What each order's watchdog does once its wait for an answer ran out: ``dispatch.requested``."""
    for order_id in order_ids:
        if not live_offers(order_id):
            requested = dispatch_requested(order_id, "offer_expired", event_id=f"sfn-{uuid.uuid4().hex}")
            assert worker(sqs_event(requested), LAMBDA_CONTEXT) == {"batchItemFailures": []}


def offered(order_ids: list[str], rider_ids: list[str]) -> dict:
    """Per order, its live and its open offers (one each); per rider, within capacity counting open offers."""
    from paotui.dispatch.service import offers_of_order, open_offers_of_rider
    from paotui.riders.records import RiderRecord

    per_order = {
        order_id[-1]: (len(live_offers(order_id)), sum(o.status == "OPEN" for o in offers_of_order(order_id)))
        for order_id in order_ids
    }
    within = all(
        len(open_offers_of_rider(rider_id)) + int(RiderRecord.get(rider_id).active_orders) <= CAPACITY
        for rider_id in rider_ids
    )
    return {"orders": per_order, "riders_within_capacity": within}


def alerts_of(order_id: str) -> list[tuple[str, str | None]]:
    from paotui.orders.service import get_order

    return [
        (alert.kind, (alert.detail.as_dict() if alert.detail else {}).get("step"))
        for alert in get_order(order_id).alerts or []
    ]


def test_a_round_crashed_at_any_call_leaves_each_order_one_live_offer_once_the_watchdog_asks_again(faults, worker):
    """Two orders in the zone's pool, one confirmed: its round offers both, to two of three riders."""
    from paotui.dispatch import rounds
    from paotui.orders.service import get_order

    scene = Scene()

    def round_of_two():
        (confirmed, *pooled), riders = scene.fresh(orders=2, riders=3)
        for order_id in pooled:
            rounds.join_pool(get_order(order_id))  # confirmed while the zone's round was busy
        event = sqs_event(order_event(get_order(confirmed), "CONFIRMED", "PAID", event_id=f"evt-{confirmed}"))

        def observe():
            watchdog_asks_again(worker, scene.orders)
            return offered(scene.orders, riders)

        return event, observe

    assert crash_at_every_step(faults, worker, round_of_two)


@pytest.fixture
def dada(faults, monkeypatch):
    """A configured Dada whose calls go through ``faults`` too (killed after: Dada has it, the answer is lost)."""
    from paotui.carriers.dada import DadaCarrier
    from paotui.platform.settings import get_settings

    call = DadaCarrier._call
    monkeypatch.setattr(
        DadaCarrier,
        "_call",
        lambda carrier, path, *args, **kw: faults.call(lambda: call(carrier, path, *args, **kw), path),
    )
    with FakeDada() as fake:
        arn = boto3.client("secretsmanager").create_secret(Name="dada", SecretString=fake.secret_json())["ARN"]
        monkeypatch.setenv("DADA_SECRET_ARN", arn)
        get_settings.cache_clear()
        yield fake


def merchant_of(order_id: str, *, fallback: bool) -> None:
    """The order is of a merchant of our riders' that may fall back on Dada, or not."""
    from paotui.catalog import delivery
    from paotui.orders.records import OrderRecord

    merchant = merchant_with_products(5)[0]
    settings = {
        "mode": "self",
        "allow_carrier_fallback": fallback,
        **({"carrier": "dada", "carrier_shop": {"shop_no": TEST_SHOP, "city_code": "021"}} if fallback else {}),
        "areas": [{"name": "全城", "radius_m": 5000, "fees": {"base_fee": 500, "base_distance_m": 3000}}],
    }
    delivery.save(merchant, delivery.DeliverySettings.model_validate(settings))
    OrderRecord(order_id).update(actions=[OrderRecord.merchant_id.set(merchant.id)])


@pytest.mark.parametrize("fallback", [False, True], ids=["riders", "carrier"])
def test_an_escalation_crashed_at_any_call_takes_each_step_once(faults, worker, dada, monkeypatch, fallback):
    """The order's first offer lapsed, which takes it to the last level: widen, bonus, the carrier (if the merchant
    allows it), operations. Each alert and the incident once; our riders' offer pays the bonus once; Dada gets the
    order once."""
    from paotui.dispatch import service
    from paotui.dispatch.escalation import STEPS
    from paotui.ops.records import IncidentRecord
    from paotui.orders.service import get_order
    from paotui.platform.settings import get_settings
    from tests.integration.builders import lapse

    for step in STEPS:
        monkeypatch.setenv(f"ESCALATION_{step.upper()}_AFTER_OFFERS", "1")
    get_settings.cache_clear()
    scene = Scene()

    def lapsed_once():
        (order_id,), riders = scene.fresh(orders=1, riders=3)
        merchant_of(order_id, fallback=fallback)
        lapse(service.dispatch(order_id, reason="confirmed", trigger=f"evt-{order_id}"))
        event = sqs_event(dispatch_requested(order_id, "offer_expired", event_id=f"sfn-{order_id}"))

        def observe():
            if not fallback:
                watchdog_asks_again(worker, scene.orders)
            order = get_order(order_id)
            return {
                **offered(scene.orders, riders),
                "bonuses": sorted(int(offer.bonus) for offer in live_offers(order_id)),
                "alerts": alerts_of(order_id),
                "incidents": [i.kind for i in IncidentRecord.scan(IncidentRecord.order_id == order_id)],
                "at_dada": sum(o == order_id for o in dada.orders),
                "asked_dada": sum(
                    code == 0 and dada.quotes[body["deliveryNo"]].origin_id == order_id
                    for body, code in dada.calls("/api/order/addAfterQuery")
                ),
                "handed_over": bool(order.carrier and order.carrier.handed_over_at),
            }

        return event, observe

    assert crash_at_every_step(faults, worker, lapsed_once)


@pytest.mark.parametrize("delivered_by", ["riders", "carrier"])
def test_a_cancellation_crashed_at_any_call_leaves_no_offer_open_and_nothing_at_the_carrier(
    faults, worker, dada, delivered_by
):
    """The order had a live offer to our rider, or was at Dada (its merchant's carrier delivers everything): once
    the ``CANCELLED`` event is handled the offer is withdrawn, Dada cancelled it once and we recorded it."""
    from paotui.catalog import delivery
    from paotui.dispatch import service
    from paotui.orders.records import OrderRecord
    from paotui.orders.service import get_order, system_transition
    from paotui.orders.transitions import Status

    scene = Scene()

    def cancelled():
        (order_id,), _ = scene.fresh(orders=1, riders=1)
        if delivered_by == "carrier":
            merchant = merchant_with_products(5)[0]
            settings = {
                "mode": "carrier",
                "carrier": "dada",
                "carrier_shop": {"shop_no": TEST_SHOP, "city_code": "021"},
                "areas": [{"name": "全城", "radius_m": 5000, "fees": {"base_fee": 500, "base_distance_m": 3000}}],
            }
            delivery.save(merchant, delivery.DeliverySettings.model_validate(settings))
            OrderRecord(order_id).update(actions=[OrderRecord.merchant_id.set(merchant.id)])
        service.dispatch(order_id, reason="confirmed", trigger=f"evt-{order_id}")
        system_transition(order_id, Status.CANCELLED, expected={Status.CONFIRMED}, reason="customer")
        cancelled_at = clock.now_iso()
        event = sqs_event(
            order_event(
                get_order(order_id), "CANCELLED", "CONFIRMED", event_id=f"evt-cancel-{order_id}", at=cancelled_at
            )
        )

        def observe():
            carrier = get_order(order_id).carrier
            return {
                "offers": [offer.status for offer in service.offers_of_order(order_id)],
                "dada": [int(o.status) for o in dada.orders.values() if o.origin_id == order_id],
                "recorded": carrier and (bool(carrier.cancelled_at), carrier.exception),
            }

        return event, observe

    assert crash_at_every_step(faults, worker, cancelled)


def test_an_order_cancelled_while_its_round_planned_keeps_no_open_offer_whichever_call_crashed(
    faults, worker, monkeypatch
):
    """The customer cancels while the round plans and the CANCELLED event's withdrawal finds no offer yet: the run
    withdraws the offer it then writes once it reads the order again, or, killed before that, its redelivery."""
    from paotui.dispatch import rounds, service
    from paotui.orders.service import get_order, system_transition
    from paotui.orders.transitions import Status

    scene, plan_round = Scene(), rounds.plan_round

    def cancelled_meanwhile(state, params):
        decision = plan_round(state, params)
        for order_id in scene.orders:
            if system_transition(order_id, Status.CANCELLED, expected={Status.CONFIRMED}, reason="customer"):
                service.withdraw_offers(order_id)  # the CANCELLED event, handled by another worker
        return decision

    monkeypatch.setattr(rounds, "plan_round", cancelled_meanwhile)

    def cancelled_while_planned():
        (order_id,), riders = scene.fresh(orders=1, riders=1)
        event = sqs_event(order_event(get_order(order_id), "CONFIRMED", "PAID", event_id=f"evt-{order_id}"))
        return event, lambda: {"open": [o.id for o in service.offers_of_order(order_id) if o.status == "OPEN"]}

    assert crash_at_every_step(faults, worker, cancelled_while_planned)
