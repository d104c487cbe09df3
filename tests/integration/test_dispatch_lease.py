"""A zone's round lease against moto: a run that finds it taken leaves its order with the holder, and no ask is lost
whichever way the lease changes hands."""

from __future__ import annotations

import json

ZONE = "86309959fffffff"


def lease_lapses(zone: str = ZONE) -> None:
    """The holder died: its lease runs out."""
    from paotui.dispatch.rounds import ZoneLease
    from paotui.platform import clock

    ZoneLease(f"lease#{zone}", "round").update(actions=[ZoneLease.until.set(clock.epoch_seconds() - 1)])


def test_a_run_that_finds_the_lease_taken_leaves_its_order_with_the_holder(aws):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_holder", {"ord_a": None})
    assert not rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b": None})
    assert not rounds._take_lease_or_ask(ZONE, "rnd_c", {"ord_c": None, "ord_d": None})

    assert rounds._release_lease(ZONE, "rnd_holder") == {"ord_b": None, "ord_c": None, "ord_d": None}
    assert rounds._take_lease_or_ask(ZONE, "rnd_next", {"ord_e": None}), "released: free to take"
    assert rounds._release_lease(ZONE, "rnd_next") == {}, "the asks went with the last holder's release"


def test_the_asks_of_a_holder_that_died_pass_to_the_next_holder(aws):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_dead", {"ord_a": None})
    assert not rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b": None})
    lease_lapses()

    assert rounds._take_lease_or_ask(ZONE, "rnd_next", {"ord_c": None}), "a lapsed lease is free to take"
    assert rounds._release_lease(ZONE, "rnd_dead") == {}, "no longer its lease"
    assert rounds._release_lease(ZONE, "rnd_next") == {"ord_b": None}


def test_a_lapsed_lease_is_taken_not_asked(aws):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_dead", {"ord_a": None})
    lease_lapses()

    assert not rounds._ask(ZONE, {"ord_b": None}), "nobody is planning to hear it"
    assert rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b": None})


def test_a_lease_let_go_between_a_failed_take_and_the_ask_is_taken_on_the_next_try(aws, monkeypatch):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_holder", {"ord_a": None})
    ask = rounds._ask

    def released_first(zone, order_ids):
        rounds._release_lease(zone, "rnd_holder")
        return ask(zone, order_ids)

    monkeypatch.setattr(rounds, "_ask", released_first)
    assert rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b": None})
    monkeypatch.undo()
    assert rounds._release_lease(ZONE, "rnd_b") == {}


def test_an_order_asked_for_twice_is_searched_for_as_widely_as_either_ask(aws):
    """An escalated run asks for a wider search (H3 rings) than the usual one; the holder learns the widest."""
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_holder", {"ord_a": None})
    for rings in (None, 10, 8):
        assert not rounds._take_lease_or_ask(ZONE, f"rnd_{rings}", {"ord_b": rings, "ord_c": None})

    assert rounds._release_lease(ZONE, "rnd_holder") == {"ord_b": 10, "ord_c": None}


def spent_run(monkeypatch) -> list[str]:
    """Another run asks the holder again during each of its rounds, so its rounds are spent with an ask left; the
    zone of each round, as they run."""
    from paotui.dispatch import rounds

    planned = rounds._round
    zones = []

    def asked_again_meanwhile(orders, *args, **kwargs):
        decided = planned(orders, *args, **kwargs)
        zone = rounds.zone_of(float(orders[0].pickup.lat), float(orders[0].pickup.lng))
        assert rounds._ask(zone, {rounds._WHOLE_POOL: None}), "the holder's lease is live while it plans"
        zones.append(zone)
        return decided

    monkeypatch.setattr(rounds, "_round", asked_again_meanwhile)
    return zones


def confirmed_with_nobody_on_duty() -> dict:
    """Run DispatchWorker on a confirmed order's event; its answer."""
    from paotui.orders.service import get_order
    from tests.integration.builders import LAMBDA_CONTEXT, load_handler, make_order, order_event, sqs_event

    make_order("ord_wait_1")
    event = order_event(get_order("ord_wait_1"), "CONFIRMED", "PAID")
    return load_handler("DispatchWorker")(sqs_event(event), LAMBDA_CONTEXT)


def test_what_a_run_whose_rounds_are_spent_was_still_asked_goes_to_a_fresh_run(aws, monkeypatch, capsys):
    """After its last round the holder stops and hands what was asked of it on (``dispatch.asked``); the fresh run
    plans it at once, instead of the orders waiting for their watchdogs."""
    from paotui.dispatch import rounds
    from paotui.dispatch.service import offers_of_order
    from tests.integration.builders import (
        LAMBDA_CONTEXT,
        SHOP,
        dispatch_queue_events,
        load_handler,
        make_rider,
        near,
        sqs_event,
    )

    zones = spent_run(monkeypatch)
    assert confirmed_with_nobody_on_duty()["batchItemFailures"] == []
    assert len(zones) == 1 + rounds._MORE_ROUNDS, "the first round and the most a run plans again"
    assert '"DispatchAsksHandedOn":[1.0]' in capsys.readouterr().out
    assert rounds._take_lease(zones[0], "rnd_next") and rounds._release_lease(zones[0], "rnd_next") == {}
    (handed_on,) = dispatch_queue_events()
    assert (handed_on["type"], handed_on["data"]) == ("dispatch.asked", {"zone": zones[0], "asks": ["*"]})

    monkeypatch.undo()
    make_rider("rdr_a", near(SHOP, 120))  # on duty now (made so, not announced)
    assert load_handler("DispatchWorker")(sqs_event(json.dumps(handed_on)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [(o.rider_id, o.reason) for o in offers_of_order("ord_wait_1")] == [("rdr_a", "asked")]


def test_asks_that_cannot_be_handed_on_are_left_to_the_watchdogs_and_counted(aws, monkeypatch, capsys):
    from paotui.dispatch import requests, rounds

    def queue_down(event):
        raise ConnectionError("DispatchQueue unreachable")

    zones = spent_run(monkeypatch)
    monkeypatch.setattr(requests, "send", queue_down)
    assert confirmed_with_nobody_on_duty()["batchItemFailures"] == [], "the run itself succeeded"
    assert '"DispatchAsksUnanswered":[1.0]' in capsys.readouterr().out
    assert [entry.step for entry in rounds._pool(zones[0])] == ["ord_wait_1"], "left waiting for its watchdog"


def test_the_handed_on_sample_event_plans_its_zone(aws):
    """``events/DispatchWorker/asks-handed-on.json``: the whole pool of the store's zone, and an order, asked."""
    from pathlib import Path

    from paotui.dispatch.service import dispatch, offers_of_order
    from tests.integration.builders import LAMBDA_CONTEXT, SHOP, load_handler, make_order, make_rider, near

    sample = Path(__file__).resolve().parents[2] / "events" / "DispatchWorker" / "asks-handed-on.json"
    make_order("ord_wait_1")
    assert dispatch("ord_wait_1", reason="confirmed") is None, "nobody on duty: it waits in its zone's pool"
    make_rider("rdr_a", near(SHOP, 120))

    assert load_handler("DispatchWorker")(json.loads(sample.read_text()), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [(o.rider_id, o.reason) for o in offers_of_order("ord_wait_1")] == [("rdr_a", "asked")]
