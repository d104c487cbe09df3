"""A rider coming on duty gets the orders waiting around them at once: RidersApi announces it on DispatchQueue
(``rider.online``) and DispatchWorker plans the zones around them, instead of the orders waiting for their
watchdogs' next try (up to an offer wait). So does a rider whose order ended (delivered, returned, cancelled)
while the orders around them waited because they were full."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from paotui.platform.settings import get_settings
from tests.integration.builders import (
    LAMBDA_CONTEXT,
    SHOP,
    FakeWorkflow,
    dispatch_queue_events,
    load_handler,
    make_order,
    make_rider,
    near,
    order_event,
    sqs_event,
)


def go(rider_id: str, state: str) -> None:
    from paotui.riders.records import RiderState
    from paotui.riders.service import set_state

    set_state(rider_id, RiderState(state))


def waiting(*order_ids: str) -> None:
    """Confirmed with nobody on duty: each order's run finds no rider and leaves it in its zone's pool."""
    from paotui.dispatch.service import dispatch

    for order_id in order_ids:
        make_order(order_id)
        assert dispatch(order_id, reason="confirmed") is None


def offers_of(order_id: str):
    from paotui.dispatch.service import offers_of_order

    return offers_of_order(order_id)


def test_a_rider_coming_online_is_offered_the_orders_waiting_around_them_at_once(aws):
    make_rider("rdr_a", near(SHOP, 120), online=False)
    waiting("ord_wait_1", "ord_wait_2")
    assert dispatch_queue_events() == []

    go("rdr_a", "online")

    (event,) = dispatch_queue_events()
    assert (event["type"], event["subject"]) == ("rider.online", "rdr_a")
    assert (event["data"]["lat"], event["data"]["lng"]) == pytest.approx((near(SHOP, 120)["lat"], SHOP["lng"]))
    worker = load_handler("DispatchWorker")
    assert worker(sqs_event(json.dumps(event)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    offers = [offer for order_id in ("ord_wait_1", "ord_wait_2") for offer in offers_of(order_id)]
    assert {(o.rider_id, o.reason, o.status, int(o.bundle_size)) for o in offers} == {
        ("rdr_a", "rider_online", "OPEN", 2)
    }
    assert len({o.bundle_id for o in offers}) == 1, "the two orders of one store: one trip"

    assert worker(sqs_event(json.dumps(event)), LAMBDA_CONTEXT)["batchItemFailures"] == []  # redelivered
    assert [len(offers_of(order_id)) for order_id in ("ord_wait_1", "ord_wait_2")] == [1, 1], "offered once"


def test_a_rider_coming_online_while_another_run_plans_the_zone_is_offered_the_order_by_that_run(aws, monkeypatch):
    """The zone's lease is held by a run whose round read the riders before this one came on duty: the arrival's run
    asks it to plan the zone's whole pool again, and it offers the waiting order to the newcomer before it lets go
    (asked for that order alone, it would not plan it again: it had planned it)."""
    from paotui.dispatch import rounds
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 120), online=False)
    make_order("ord_wait_1")
    worker = load_handler("DispatchWorker")
    planned_with_nobody_on_duty = rounds._round
    arrivals = []

    def the_rider_arrives_meanwhile(*args, **kwargs):
        planned = planned_with_nobody_on_duty(*args, **kwargs)
        if not arrivals:
            go("rdr_a", "online")
            (event,) = dispatch_queue_events()
            arrivals.append(worker(sqs_event(json.dumps(event)), LAMBDA_CONTEXT))
        return planned

    monkeypatch.setattr(rounds, "_round", the_rider_arrives_meanwhile)
    offer = dispatch("ord_wait_1", reason="confirmed")

    assert arrivals == [{"batchItemFailures": []}], "the arrival's run found the lease taken and asked"
    assert offer is not None and (offer.rider_id, offer.reason) == ("rdr_a", "confirmed")
    assert len(offers_of("ord_wait_1")) == 1


def test_only_an_arrival_on_duty_is_announced(aws):
    """Online again while online is no arrival; back from a break is (a rider on a break is not offered orders)."""
    make_rider("rdr_a", near(SHOP, 120), online=False)
    go("rdr_a", "online")
    go("rdr_a", "online")
    assert len(dispatch_queue_events()) == 1
    go("rdr_a", "break")
    go("rdr_a", "offline")
    assert dispatch_queue_events() == []
    go("rdr_a", "online")
    go("rdr_a", "break")
    go("rdr_a", "online")
    assert len(dispatch_queue_events()) == 2


def test_a_rider_coming_online_far_from_the_waiting_orders_is_offered_none_of_them(aws):
    make_rider("rdr_far", near(SHOP, 30_000), online=False)  # 30 km north: no store's search reaches that far
    waiting("ord_wait_1")
    go("rdr_far", "online")

    (event,) = dispatch_queue_events()
    assert load_handler("DispatchWorker")(sqs_event(json.dumps(event)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert offers_of("ord_wait_1") == []


def test_going_online_does_not_fail_when_dispatch_cannot_be_told(aws, monkeypatch):
    """The announcement is best effort: the orders' watchdogs still ask again, so the rider is not kept off duty."""
    from paotui.dispatch import requests
    from paotui.riders.service import get_rider

    def queue_down(event):
        raise ConnectionError("DispatchQueue unreachable")

    make_rider("rdr_a", near(SHOP, 120), online=False)
    monkeypatch.setattr(requests, "send", queue_down)
    go("rdr_a", "online")
    assert get_rider("rdr_a").online


def test_the_zones_reaching_a_rider_hold_every_store_whose_search_reaches_them(aws):
    """Whichever zone a store's pool is kept in, if its usual rider search (rings of rider cells around the store)
    reaches the rider's cell, that zone is among those a rider coming online there has planned."""
    import random

    import h3

    from paotui.dispatch.rounds import zone_of, zones_reaching

    settings = get_settings()
    rings = settings.dispatch_search_rings
    generator = random.Random(7)
    for _ in range(40):
        rider = near(SHOP, generator.uniform(-20_000, 20_000), generator.uniform(-20_000, 20_000))
        rider_cell = h3.latlng_to_cell(rider["lat"], rider["lng"], settings.rider_cell_resolution)
        zones = set(zones_reaching(rider["lat"], rider["lng"]))
        for _ in range(50):
            store = near(rider, generator.uniform(-6_000, 6_000), generator.uniform(-6_000, 6_000))
            store_cell = h3.latlng_to_cell(store["lat"], store["lng"], settings.rider_cell_resolution)
            if h3.grid_distance(store_cell, rider_cell) <= rings:
                assert zone_of(store["lat"], store["lng"]) in zones


def test_the_sample_event_is_one_dispatch_worker_takes(aws):
    """``events/DispatchWorker/rider-online.json`` (a point 400 m from the store) plans the orders waiting there."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "events" / "DispatchWorker" / "rider-online.json"
    waiting("ord_wait_1")
    make_rider("rdr_a", near(SHOP, 120))  # on duty (made so, not announced)

    assert load_handler("DispatchWorker")(json.loads(sample.read_text()), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [(o.rider_id, o.reason) for o in offers_of("ord_wait_1")] == [("rdr_a", "rider_online")]


def carrying(rider_id: str, order_id: str) -> None:
    """The rider is offered the order and takes it (one more order on them)."""
    from paotui.dispatch.service import accept_offer, dispatch

    make_order(order_id)
    offer = dispatch(order_id, reason="confirmed")
    assert offer is not None and offer.rider_id == rider_id
    accept_offer(offer.id, rider_id, workflow=FakeWorkflow())


def delivered(order_id: str) -> str:
    """The order's rider picks it up and delivers it; the ``order.status_changed`` event the stream makes of it."""
    from paotui.orders.service import get_order, system_transition
    from paotui.orders.transitions import Actor, Status

    steps = [Status.ASSIGNED, Status.PICKING_UP, Status.DELIVERING, Status.DELIVERED]
    for current, target in pairwise(steps):
        assert system_transition(order_id, target, expected={current}, reason="test", actor=Actor.CARRIER)
    return order_event(get_order(order_id), "DELIVERED", "DELIVERING")


def test_a_full_rider_whose_order_is_delivered_is_offered_the_order_that_waited_meanwhile_at_once(aws):
    make_rider("rdr_a", near(SHOP, 120), capacity=1)
    carrying("rdr_a", "ord_carried")
    waiting("ord_wait_1")  # the only rider near the store is full

    event = delivered("ord_carried")
    worker = load_handler("DispatchWorker")
    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [(o.rider_id, o.reason, o.status) for o in offers_of("ord_wait_1")] == [("rdr_a", "rider_freed", "OPEN")]

    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []  # redelivered
    assert len(offers_of("ord_wait_1")) == 1, "offered once"


def test_a_rider_who_goes_off_duty_after_their_delivery_is_offered_nothing(aws):
    make_rider("rdr_a", near(SHOP, 120), capacity=1)
    carrying("rdr_a", "ord_carried")
    waiting("ord_wait_1")
    event = delivered("ord_carried")
    go("rdr_a", "offline")

    assert load_handler("DispatchWorker")(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert offers_of("ord_wait_1") == []


def test_the_delivered_sample_event_plans_the_orders_waiting_around_its_rider(aws):
    """``events/DispatchWorker/order-delivered.json``: the order's rider, on duty with room, is offered the order
    waiting at the store."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "events" / "DispatchWorker" / "order-delivered.json"
    rider_id = json.loads(json.loads(sample.read_text())["Records"][0]["body"])["data"]["order"]["rider_id"]
    make_rider(rider_id, near(SHOP, 120), online=False)
    waiting("ord_wait_1")
    go(rider_id, "online")  # its announcement is left on the queue: only the sample runs here

    assert load_handler("DispatchWorker")(json.loads(sample.read_text()), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [(o.rider_id, o.reason) for o in offers_of("ord_wait_1")] == [(rider_id, "rider_freed")]
