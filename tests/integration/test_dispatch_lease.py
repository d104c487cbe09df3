"""A zone's round lease against moto: a run that finds it taken leaves its order with the holder, and no ask is lost
whichever way the lease changes hands."""

from __future__ import annotations

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


def test_asks_left_when_a_runs_rounds_are_spent_are_counted_for_operators(aws, monkeypatch, capsys):
    """Another run asks the holder again during each of its rounds: after its last round the holder stops, and what
    was asked of it is left to the orders' watchdogs, counted (``DispatchAsksUnanswered``) rather than lost unseen."""
    from paotui.dispatch import rounds
    from paotui.orders.service import get_order
    from tests.integration.builders import LAMBDA_CONTEXT, load_handler, make_order, order_event, sqs_event

    planned = rounds._round
    zones = []

    def asked_again_meanwhile(orders, *args, **kwargs):
        decided = planned(orders, *args, **kwargs)
        zone = rounds.zone_of(float(orders[0].pickup.lat), float(orders[0].pickup.lng))
        assert rounds._ask(zone, {rounds._WHOLE_POOL: None}), "the holder's lease is live while it plans"
        zones.append(zone)
        return decided

    monkeypatch.setattr(rounds, "_round", asked_again_meanwhile)
    order = make_order("ord_wait_1")  # nobody on duty
    event = order_event(get_order(order.id), "CONFIRMED", "PAID")
    assert load_handler("DispatchWorker")(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []

    assert len(zones) == 1 + rounds._MORE_ROUNDS, "the first round and the most a run plans again"
    assert '"DispatchAsksUnanswered":[1.0]' in capsys.readouterr().out
    assert [entry.step for entry in rounds._pool(zones[0])] == ["ord_wait_1"], "left waiting for its watchdog"
    assert rounds._take_lease(zones[0], "rnd_next"), "the lease was let go"
