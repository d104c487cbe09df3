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

    assert rounds._take_lease_or_ask(ZONE, "rnd_holder", {"ord_a"})
    assert not rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b"})
    assert not rounds._take_lease_or_ask(ZONE, "rnd_c", {"ord_c", "ord_d"})

    assert rounds._release_lease(ZONE, "rnd_holder") == {"ord_b", "ord_c", "ord_d"}
    assert rounds._take_lease_or_ask(ZONE, "rnd_next", {"ord_e"}), "released: free to take"
    assert rounds._release_lease(ZONE, "rnd_next") == set(), "the asks went with the last holder's release"


def test_the_asks_of_a_holder_that_died_pass_to_the_next_holder(aws):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_dead", {"ord_a"})
    assert not rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b"})
    lease_lapses()

    assert rounds._take_lease_or_ask(ZONE, "rnd_next", {"ord_c"}), "a lapsed lease is free to take"
    assert rounds._release_lease(ZONE, "rnd_dead") == set(), "no longer its lease"
    assert rounds._release_lease(ZONE, "rnd_next") == {"ord_b"}


def test_a_lapsed_lease_is_taken_not_asked(aws):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_dead", {"ord_a"})
    lease_lapses()

    assert not rounds._ask(ZONE, {"ord_b"}), "nobody is planning to hear it"
    assert rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b"})


def test_a_lease_let_go_between_a_failed_take_and_the_ask_is_taken_on_the_next_try(aws, monkeypatch):
    from paotui.dispatch import rounds

    assert rounds._take_lease_or_ask(ZONE, "rnd_holder", {"ord_a"})
    ask = rounds._ask

    def released_first(zone, order_ids):
        rounds._release_lease(zone, "rnd_holder")
        return ask(zone, order_ids)

    monkeypatch.setattr(rounds, "_ask", released_first)
    assert rounds._take_lease_or_ask(ZONE, "rnd_b", {"ord_b"})
    monkeypatch.undo()
    assert rounds._release_lease(ZONE, "rnd_b") == set()
