"""Dispatch against moto: one offer per attempt, the nearest fresh rider, redelivery-safe, and the worker."""

from __future__ import annotations

import dataclasses

import json
from datetime import timedelta

import pytest

from paotui.platform import clock
from paotui.platform.settings import get_settings
from tests.integration.builders import (
    dispatch_requested,
    HOME,
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    FakeWorkflow,
    Killed,
    confirmed_order,
    lapse,
    load_handler,
    make_order,
    make_rider,
    near,
    offer_status_changed,
    order_event,
    sqs_event,
)


def offers_of(order_id: str = ORDER_ID):
    from paotui.dispatch.service import offers_of_order

    return offers_of_order(order_id)


def rider_has_room_again(rider_id: str) -> None:
    from paotui.riders.records import RiderRecord

    RiderRecord(rider_id).update(actions=[RiderRecord.active_orders.set(0)])


def killed_after_writing_an_offer_of(order_id: str, monkeypatch) -> None:
    """The dispatch Lambda dies right after it writes an offer of ``order_id`` (before any later write)."""
    from paotui.dispatch.records import OfferRecord

    save = OfferRecord.save

    def save_then_die(offer, *args, **kwargs):
        saved = save(offer, *args, **kwargs)
        if offer.order_id == order_id:
            raise Killed
        return saved

    monkeypatch.setattr(OfferRecord, "save", save_then_die)


@pytest.fixture
def order(aws):
    return make_order()


def test_dispatch_offers_the_order_to_the_nearest_online_rider(order):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_far", near(SHOP, 1500))
    make_rider("rdr_near", near(SHOP, 200, 100))
    make_rider("rdr_offline", near(SHOP, 10), online=False)
    make_rider("rdr_full", near(SHOP, 20), capacity=0)
    before = clock.now()

    offer = dispatch(ORDER_ID, reason="confirmed")

    assert (offer.rider_id, offer.status, offer.attempt) == ("rdr_near", "OPEN", 1)
    assert offer.fee == 650
    assert (offer.pickup.name, offer.pickup.lat) == ("老王生煎", SHOP["lat"])
    assert (offer.dropoff.detail, offer.dropoff.lat) == (HOME["detail"], HOME["lat"])
    expires = clock.parse_iso(offer.expires_at)
    assert timedelta(seconds=29) <= expires - before <= timedelta(seconds=31)
    assert offer.ttl == clock.epoch_seconds(expires) + 24 * 3600
    assert 150 < offer.distance_m < 300
    assert [o.id for o in offers_of()] == [offer.id]


def test_a_redelivered_dispatch_message_makes_one_offer(order):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    worker = load_handler("DispatchWorker")
    confirmed = order_event(order, "CONFIRMED", "PAID", event_id="evt-confirmed")

    response = worker(sqs_event(confirmed, confirmed), LAMBDA_CONTEXT)  # twice in one batch
    assert response["batchItemFailures"] == []
    worker(sqs_event(confirmed), LAMBDA_CONTEXT)  # and once more later
    # even with the consumer's idempotency record lost, the same event makes no second offer
    replay = dispatch(ORDER_ID, reason="confirmed", trigger="evt-confirmed")

    offers = offers_of()
    assert len(offers) == 1
    assert offers[0].status == "OPEN" and offers[0].rider_id == "rdr_a"
    assert replay.id == offers[0].id


def test_concurrent_runs_for_one_order_make_one_offer(order, serialized_moto, fine_thread_switching):
    """Two events for the same order handled at once (say CONFIRMED and a watchdog re-dispatch): one offer."""
    from concurrent.futures import ThreadPoolExecutor

    from paotui.dispatch import service

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda n: service.dispatch(ORDER_ID, reason="confirmed", trigger=f"evt-{n}"), range(4)))
    offers = offers_of()
    assert len([o for o in offers if o.status == "OPEN"]) == 1
    assert {offer.id for offer in made if offer is not None} <= {o.id for o in offers}


def test_redispatch_withdraws_an_offer_near_its_end_and_moves_to_a_fresh_rider(order):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    make_rider("rdr_c", near(SHOP, 900))
    # the watchdog's wait ends a moment before the offer's own expiry (under a quarter of its TTL left); 3 s, not
    # 1 s, so that a slow machine does not reach the expiry itself first
    near_its_end = -timedelta(seconds=3)
    first = dispatch(ORDER_ID, reason="confirmed", trigger="e1")
    lapse(first, near_its_end)
    second = dispatch(ORDER_ID, reason="timeout", trigger="e2")
    lapse(second, near_its_end)
    third = dispatch(ORDER_ID, reason="rejected", trigger="e3")

    assert [first.rider_id, second.rider_id, third.rider_id] == ["rdr_a", "rdr_b", "rdr_c"]
    assert [o.attempt for o in (first, second, third)] == [1, 2, 3]
    assert len({first.id, second.id, third.id}) == 3
    statuses = {o.rider_id: o.status for o in offers_of()}
    assert statuses == {"rdr_a": "WITHDRAWN", "rdr_b": "WITHDRAWN", "rdr_c": "OPEN"}
    lapse(third, near_its_end)
    assert dispatch(ORDER_ID, reason="timeout", trigger="e4") is None  # everyone nearby has had it
    assert {o.rider_id: o.status for o in offers_of()}["rdr_c"] == "WITHDRAWN"


def test_an_offer_unanswered_until_the_watchdog_stopped_waiting_counts_against_the_riders_acceptance_rate(order):
    """The watchdog's wait for an answer (the offer TTL, started before the offer was made) ends a moment before
    the offer's own expiry. Dispatch holds the silence against the rider (its cooldown); their KPIs must too."""
    from paotui.dispatch.service import dispatch, get_offer
    from paotui.riders import kpis

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    first = dispatch(ORDER_ID, reason="confirmed", trigger="e1")
    lapse(first, -timedelta(seconds=1))
    assert dispatch(ORDER_ID, reason="offer_expired", trigger="e2").rider_id == "rdr_b"
    unanswered = get_offer(first.id)
    earnings_worker = load_handler("EarningsWorker")

    assert earnings_worker(sqs_event(offer_status_changed(unanswered)), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    counted = kpis.rider_kpis("rdr_a", kpis.periods_of(clock.parse_iso(first.created_at))[0])
    assert (unanswered.status, counted.offers_received, counted.offers_expired) == ("EXPIRED", 1, 1)
    assert counted.acceptance_rate == 0


def test_a_fresh_offer_stands_when_the_watchdog_asks_again(order):
    """A round for another order (a bundle) offered this one since the watchdog started waiting: it stays the
    rider's to answer."""
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    fresh = dispatch(ORDER_ID, reason="confirmed", trigger="e1")
    again = dispatch(ORDER_ID, reason="timeout", trigger="e2")

    assert again.id == fresh.id
    assert [(o.rider_id, o.status) for o in offers_of()] == [("rdr_a", "OPEN")]


def test_a_lapsed_offer_is_closed_as_expired(order):
    from paotui.dispatch.records import OfferRecord
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    first = dispatch(ORDER_ID, reason="confirmed")
    lapse(first)
    dispatch(ORDER_ID, reason="timeout")
    assert OfferRecord.get(first.id).status == "EXPIRED"


def test_no_dispatch_without_riders_or_for_an_order_that_needs_none(aws):
    from paotui.dispatch.service import dispatch

    make_order("ord_lonely")
    assert dispatch("ord_lonely", reason="confirmed") is None  # nobody online anywhere
    make_rider("rdr_a", near(SHOP, 100))
    make_order("ord_paid", status="PAID")
    make_order("ord_taken", status="CONFIRMED", rider_id="rdr_x")
    assert dispatch("ord_paid", reason="confirmed") is None
    assert dispatch("ord_taken", reason="confirmed") is None
    assert dispatch("ord_missing", reason="confirmed") is None
    assert offers_of("ord_paid") == offers_of("ord_taken") == []


def test_dispatch_worker_reports_only_the_poison_message(order):
    make_rider("rdr_a", near(SHOP, 100))
    worker = load_handler("DispatchWorker")
    requested = dispatch_requested(ORDER_ID, "timeout", event_id="sfn-redispatch-1")
    batch = sqs_event(requested, "{not json", json.dumps({"id": "x"}))

    response = worker(batch, LAMBDA_CONTEXT)

    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    ids = [record["messageId"] for record in batch["Records"]]
    assert failed == {ids[1], ids[2]}  # the bad JSON and the envelope that isn't one
    offers = offers_of()
    assert [(o.rider_id, o.reason, o.trigger) for o in offers] == [("rdr_a", "timeout", "sfn-redispatch-1")]


def test_a_cancelled_order_withdraws_its_open_offer(order):
    from paotui.dispatch.service import dispatch

    make_rider("rdr_a", near(SHOP, 100))
    dispatch(ORDER_ID, reason="confirmed")
    worker = load_handler("DispatchWorker")
    cancelled = order_event(order, "CANCELLED", "CONFIRMED")
    assert worker(sqs_event(cancelled), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [o.status for o in offers_of()] == ["WITHDRAWN"]


def test_a_cancellation_handled_after_the_offers_time_withdraws_the_offer_the_rider_still_had_to_answer(
    order, monkeypatch
):
    """The customer cancelled while the rider had the offer; the worker got to the event after the offer's time (a
    retry after the queue's visibility timeout, a backlog). The rider did not let it lapse: WITHDRAWN, not EXPIRED,
    which would count against their acceptance rate."""
    from paotui.dispatch.service import dispatch
    from paotui.orders.service import get_order, system_transition
    from paotui.orders.transitions import Status

    make_rider("rdr_a", near(SHOP, 100))
    dispatch(ORDER_ID, reason="confirmed")
    system_transition(ORDER_ID, Status.CANCELLED, expected={Status.CONFIRMED}, reason="customer")
    cancelled = order_event(get_order(ORDER_ID), "CANCELLED", "CONFIRMED", at=clock.now_iso())
    now = clock.now
    monkeypatch.setattr(clock, "now", lambda: now() + timedelta(seconds=90))

    assert load_handler("DispatchWorker")(sqs_event(cancelled), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert [o.status for o in offers_of()] == ["WITHDRAWN"]


def test_three_orders_of_one_store_in_a_round_go_to_one_rider_as_one_bundle(aws):
    from paotui.dispatch import rounds, service
    from paotui.orders.service import get_order

    orders = [make_order(f"ord_bundle_{n}") for n in range(3)]
    make_rider("rdr_a", near(SHOP, 150))
    make_rider("rdr_b", near(SHOP, -2000))  # two kilometres off: one trip by the near rider beats a second rider
    for order in orders[:2]:
        rounds.join_pool(get_order(order.id))  # confirmed while the zone's round was busy
    mine = service.dispatch(orders[2].id, reason="confirmed", trigger="evt-bundle")

    offers = [offers_of(order.id) for order in orders]
    assert all(len(made) == 1 for made in offers)
    riders = {made[0].rider_id for made in offers}
    bundles = {(made[0].bundle_id, int(made[0].bundle_size)) for made in offers}
    assert len(riders) == 1 and len(bundles) == 1 and next(iter(bundles))[1] == 3
    assert mine.id == offers[2][0].id


def test_a_rider_still_bringing_back_a_failed_delivery_is_offered_only_what_they_have_room_for(aws):
    """A failed delivery holds its place in the rider's open orders until RETURNED, and accepting counts it: a
    bundle that fills the rest of their capacity and more would be half refused (RIDER_AT_CAPACITY), its other
    order left waiting out the offer for nothing."""
    from paotui.dispatch import rounds, service
    from paotui.orders.service import get_order
    from paotui.riders.records import RiderRecord

    make_rider("rdr_a", near(SHOP, 150), capacity=2)
    make_order("ord_failed", status="DELIVERY_FAILED", rider_id="rdr_a")
    RiderRecord.get("rdr_a").update(actions=[RiderRecord.active_orders.set(1)])  # as its acceptance left it
    first, second = make_order("ord_one"), make_order("ord_two")
    rounds.join_pool(get_order(first.id))  # confirmed while the zone's round was busy
    service.dispatch(second.id, reason="confirmed", trigger="evt-two")

    offered = [offer for order in (first, second) for offer in offers_of(order.id)]
    assert [(offer.rider_id, offer.bundle_size) for offer in offered] == [("rdr_a", 1)]
    accepted = service.accept_offer(offered[0].id, "rdr_a", workflow=FakeWorkflow())
    assert (accepted.status, accepted.rider_id) == ("ASSIGNED", "rdr_a")


def test_a_rider_who_refused_is_not_asked_again_within_the_cooldown(order):
    from paotui.dispatch import service

    make_rider("rdr_a", near(SHOP, 100))
    first = service.dispatch(ORDER_ID, reason="confirmed", trigger="e1")
    lapse(first)
    assert service.dispatch(ORDER_ID, reason="timeout", trigger="e2") is None  # the only rider let it lapse
    make_rider("rdr_b", near(SHOP, 2000))
    assert service.dispatch(ORDER_ID, reason="timeout", trigger="e3").rider_id == "rdr_b"


def test_a_round_reads_the_merchant_orders_its_zone_took_lately(aws):
    from paotui.dispatch import rounds
    from paotui.orders.service import get_order

    fresh, stale, errand = make_order("ord_fresh"), make_order("ord_stale"), make_order("ord_errand")
    stale.update(actions=[type(stale).created_at.set(clock.iso(clock.now() - timedelta(minutes=91)))])
    errand.update(actions=[type(errand).merchant_id.remove()])
    zones = {rounds.join_pool(get_order(order.id)) for order in (fresh, stale, errand)}
    assert len(zones) == 1
    rounds.join_pool(get_order(fresh.id))  # the watchdog's re-dispatch joins again: still one placement

    placed = rounds.recent_placements(zones.pop(), 90)

    assert [(p.store, p.pickup) for p in placed] == [("mer_1", (SHOP["lat"], SHOP["lng"]))]
    assert abs(placed[0].placed_at - clock.parse_iso(fresh.created_at).timestamp() / 60) < 1e-6


def test_a_rider_holding_an_offer_is_not_offered_more_than_their_capacity_in_a_later_round(aws):
    """Offers a rider has yet to answer take room: a rider with room for one, asked about one order, is not asked
    about a second one in the next round (accepting both would be refused, RIDER_AT_CAPACITY, and the second order
    would wait out its offer for nothing), and riders so taken don't stop the search before a free rider further
    out."""
    from paotui.dispatch import service

    first, second, third = make_order("ord_first"), make_order("ord_second"), make_order("ord_third")
    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    make_rider("rdr_b", near(SHOP, 600), capacity=1)
    make_rider("rdr_c", near(SHOP, 2500))  # rings past the two nearest: the usual search stops before them

    asked = service.dispatch(first.id, reason="confirmed", trigger="evt-first")
    then = service.dispatch(second.id, reason="confirmed", trigger="evt-second")
    last = service.dispatch(third.id, reason="confirmed", trigger="evt-third")

    assert (asked.rider_id, then.rider_id, last and last.rider_id) == ("rdr_a", "rdr_b", "rdr_c")


def test_an_offer_left_to_lapse_counts_against_the_rider_even_when_another_round_offered_the_order_again(aws):
    """The order's offer lapsed and a round for another order of the zone offered it to the next rider before the
    watchdog asked again: the lapse still ends EXPIRED, as the rider's acceptance rate counts it."""
    from paotui.dispatch import service
    from paotui.riders import kpis

    first, other = make_order("ord_first"), make_order("ord_other")
    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    make_rider("rdr_b", near(SHOP, 600), capacity=1)
    unanswered = service.dispatch(first.id, reason="confirmed", trigger="evt-first")
    lapse(unanswered)
    service.dispatch(other.id, reason="confirmed", trigger="evt-other")  # its round offers the lapsed order too
    again = service.dispatch(first.id, reason="offer_expired", trigger="evt-watchdog")
    assert again.rider_id != "rdr_a"
    service.accept_offer(again.id, again.rider_id, workflow=FakeWorkflow())

    lapsed = service.get_offer(unanswered.id)
    assert lapsed.status == "EXPIRED"
    earnings_worker = load_handler("EarningsWorker")
    assert earnings_worker(sqs_event(offer_status_changed(lapsed)), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    counted = kpis.rider_kpis("rdr_a", kpis.periods_of(clock.parse_iso(unanswered.created_at))[0])
    assert (counted.offers_received, counted.offers_expired) == (1, 1)


def test_a_round_killed_once_it_offered_an_order_again_leaves_none_of_its_lapsed_offers_open(aws, monkeypatch):
    """Another order's round offers the lapsed order to the next rider, and the Lambda dies right after writing that
    offer (its redelivery returns early; the order's own watchdog waits on the new offer): the lapsed one counts."""
    from paotui.dispatch import service

    first, other = make_order("ord_first"), make_order("ord_other")
    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    make_rider("rdr_b", near(SHOP, 600), capacity=1)
    unanswered = service.dispatch(first.id, reason="confirmed", trigger="evt-first")
    lapse(unanswered)

    killed_after_writing_an_offer_of(first.id, monkeypatch)
    with pytest.raises(Killed):
        service.dispatch(other.id, reason="confirmed", trigger="evt-other")

    assert [(o.rider_id, o.status) for o in offers_of(first.id)] == [("rdr_a", "EXPIRED"), ("rdr_b", "OPEN")]


def test_a_round_killed_after_its_own_orders_offer_is_finished_by_the_redelivery(aws, monkeypatch):
    """The round for one order also planned a pooled order, and the Lambda died after writing the first order's offer:
    the redelivered event finds its offer and returns it, and plans the zone again, so the pooled order is offered
    now rather than at its own watchdog's next try."""
    from paotui.dispatch import service

    pooled, trigger = make_order("ord_waiting"), make_order("ord_arriving")  # the round plans them in id order
    assert service.dispatch(pooled.id, reason="confirmed", trigger="evt-pooled") is None  # nobody near yet
    for n in range(2):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 300 * n), capacity=1)

    killed_after_writing_an_offer_of(trigger.id, monkeypatch)
    with pytest.raises(Killed):
        service.dispatch(trigger.id, reason="confirmed", trigger="evt-trigger")
    monkeypatch.undo()
    assert offers_of(pooled.id) == [], "the round writes the trigger's offer first"

    replayed = service.dispatch(trigger.id, reason="confirmed", trigger="evt-trigger")

    assert [o.id for o in offers_of(trigger.id)] == [replayed.id]
    assert [(o.status, o.rider_id != replayed.rider_id) for o in offers_of(pooled.id)] == [("OPEN", True)]


def test_an_order_confirmed_while_its_zone_plans_is_planned_once_more_without_offering_the_others_twice(
    aws, monkeypatch
):
    """The round plans once more when its pool grew while it planned: that round is for the newcomer, not again for
    the orders the first one gave riders (their offers are not written yet), which would go to a second rider."""
    from paotui.dispatch import rounds, service
    from paotui.orders.service import get_order

    first, late = make_order("ord_first"), make_order("ord_late")
    for n in range(3):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 300 * n), capacity=1)
    plan_round = rounds.plan_round

    def confirmed_meanwhile(state, params):
        if not any(order.id == late.id for order in state.orders):
            rounds.join_pool(get_order(late.id))  # its own run found the lease taken
        return plan_round(state, params)

    monkeypatch.setattr(rounds, "plan_round", confirmed_meanwhile)
    service.dispatch(first.id, reason="confirmed", trigger="evt-first")

    assert [(o.rider_id, o.status) for o in offers_of(first.id)] == [("rdr_0", "OPEN")]
    assert [o.rider_id for o in offers_of(late.id)] == ["rdr_1"]


def test_an_offer_of_a_runs_later_round_gives_its_rider_the_whole_wait_from_that_round(aws, monkeypatch):
    """A run's second round (for an order confirmed while the first planned) decides later than the run started:
    its offer's wait runs from that round, so the rider is not left a shorter time to answer than the TTL."""
    from paotui.dispatch import rounds, service
    from paotui.orders.service import get_order

    first, late = make_order("ord_first"), make_order("ord_late")
    for n in range(2):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 300 * n), capacity=1)
    plan_round, now = rounds.plan_round, clock.now
    second_round_at: list = []

    def slow_first_round(state, params):
        if not second_round_at:
            rounds.join_pool(get_order(late.id))  # its own run found the lease taken
            second_round_at.append(now() + timedelta(seconds=20))
            monkeypatch.setattr(clock, "now", lambda: now() + timedelta(seconds=20))
        return plan_round(state, params)

    monkeypatch.setattr(rounds, "plan_round", slow_first_round)
    service.dispatch(first.id, reason="confirmed", trigger="evt-first")

    [offer] = offers_of(late.id)
    created, expires = clock.parse_iso(offer.created_at), clock.parse_iso(offer.expires_at)
    assert created >= second_round_at[0] - timedelta(seconds=1)
    assert expires - created == timedelta(seconds=get_settings().offer_ttl_seconds)


def test_an_order_that_joins_the_pool_as_its_zone_lets_go_of_the_lease_is_planned_by_that_run(aws, monkeypatch):
    """An order joins the pool after the running round's last read, and its own run finds the lease still taken: it
    asks the holder, who plans it before it stops, so the order is offered now, not an offer wait later (and the
    operators' metrics count the run as left to the running round, not as an order no rider was found for)."""
    from paotui.dispatch import rounds, service
    from paotui.platform.observability import metrics

    first, late = make_order("ord_first"), make_order("ord_late")
    for n in range(2):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 300 * n), capacity=1)
    release = rounds._release_lease
    late_runs: list = []

    def joined_as_the_lease_ends(zone, holder):
        if not late_runs:  # the late order's own run, between the round's last read and the release
            late_runs.append(service.dispatch(late.id, reason="confirmed", trigger="evt-late"))
        return release(zone, holder)

    monkeypatch.setattr(rounds, "_release_lease", joined_as_the_lease_ends)
    metrics.clear_metrics()
    service.dispatch(first.id, reason="confirmed", trigger="evt-first")

    assert late_runs == [None]  # it found the lease taken
    assert [o.rider_id for o in offers_of(first.id)] == ["rdr_0"]
    assert [o.rider_id for o in offers_of(late.id)] == ["rdr_1"]
    assert "DispatchLeftToRunningRound" in metrics.metric_set and "DispatchNoRider" not in metrics.metric_set


def test_the_run_that_takes_the_zones_lease_next_finds_the_last_rounds_offers(aws, monkeypatch):
    """A round's offers are made before it lets go of the zone's lease: the next run reads them, so it does not plan
    their orders again (its offers, made first, would split a bundle between two runs) nor count on their rider's
    room."""
    from paotui.dispatch import rounds, service

    waiting = make_order("ord_waiting")
    assert service.dispatch(waiting.id, reason="confirmed", trigger="evt-waiting") is None  # nobody on duty yet
    make_rider("rdr_a", near(SHOP, 100))
    starting = make_order("ord_starting")
    release = rounds._release_lease
    at_release: list = []

    def next_run_reads_the_offers(zone, holder):
        asked = release(zone, holder)
        at_release.append(
            sorted((o.order_id, o.rider_id, o.status) for o in offers_of(waiting.id) + offers_of(starting.id))
        )
        return asked

    monkeypatch.setattr(rounds, "_release_lease", next_run_reads_the_offers)
    service.dispatch(starting.id, reason="confirmed", trigger="evt-starting")

    assert at_release == [[("ord_starting", "rdr_a", "OPEN"), ("ord_waiting", "rdr_a", "OPEN")]]


def test_an_offer_turned_down_before_its_round_let_go_of_the_lease_is_planned_again_by_that_run(aws, monkeypatch):
    """A rider rejects an offer the running round has just made, before the run lets go of the zone's lease, and
    the order's re-dispatch asks the run for it: the run plans the order again, though it had planned it once."""
    from paotui.dispatch import rounds, service

    waiting = make_order("ord_waiting")
    assert service.dispatch(waiting.id, reason="confirmed", trigger="evt-waiting") is None  # nobody on duty yet
    for n in range(3):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 300 * n), capacity=1)
    starting = make_order("ord_starting")
    release = rounds._release_lease
    redispatches: list = []

    def rejected_before_the_release(zone, holder):
        if not redispatches:
            (offer,) = offers_of(waiting.id)
            service.reject_offer(offer.id, offer.rider_id, workflow=FakeWorkflow())
            redispatches.append(service.dispatch(waiting.id, reason=service.OFFER_REJECTED, trigger="evt-rejected"))
        return release(zone, holder)

    monkeypatch.setattr(rounds, "_release_lease", rejected_before_the_release)
    service.dispatch(starting.id, reason="confirmed", trigger="evt-starting")

    assert redispatches == [None], "the re-dispatch found the lease taken"
    first, second = sorted(offers_of(waiting.id), key=lambda offer: offer.attempt)
    assert (first.status, second.status) == ("REJECTED", "OPEN")
    assert second.rider_id not in {first.rider_id, offers_of(starting.id)[0].rider_id}


@pytest.mark.parametrize("refused", ["rejected", "lapsed"])
def test_an_order_whose_offer_is_refused_while_its_zone_plans_is_planned_by_that_run(aws, monkeypatch, refused):
    """An order's rider is still deciding when another order's round reads the pool, so the round skips it; the rider
    turns it down (or lets it lapse) while the round plans, and the order's re-dispatch finds the lease taken. The
    running round plans it before it stops, so it is offered now, not at the zone's next round or an offer wait
    later."""
    from paotui.dispatch import rounds, service

    offered, late = make_order("ord_offered"), make_order("ord_late")
    make_rider("rdr_0", near(SHOP, 100), capacity=1)
    first_offer = service.dispatch(offered.id, reason="confirmed", trigger="evt-offered")
    for n in (1, 2):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 300 * n), capacity=1)
    plan_round = rounds.plan_round
    redispatches: list = []

    def refused_meanwhile(state, params):
        if not redispatches:
            assert offered.id not in {order.id for order in state.orders}, "skipped: its rider is deciding"
            if refused == "rejected":
                service.reject_offer(first_offer.id, "rdr_0", workflow=FakeWorkflow())
                reason = service.OFFER_REJECTED
            else:
                lapse(first_offer)
                reason = service.OFFER_EXPIRED
            redispatches.append(service.dispatch(offered.id, reason=reason, trigger="evt-redispatch"))
        return plan_round(state, params)

    monkeypatch.setattr(rounds, "plan_round", refused_meanwhile)
    service.dispatch(late.id, reason="confirmed", trigger="evt-late")

    assert redispatches == [None], "the re-dispatch found the lease taken"
    assert [o.rider_id for o in offers_of(late.id)] == ["rdr_1"]
    assert [(o.rider_id, o.status) for o in offers_of(offered.id)] == [
        ("rdr_0", "REJECTED" if refused == "rejected" else "EXPIRED"),
        ("rdr_2", "OPEN"),
    ]


def test_a_round_looks_for_riders_around_each_of_its_stores(aws):
    """An order waits in the pool at a store 4 km from the one whose order starts the round (one zone): the round
    finds the rider next to that store too, not only the riders around the first one."""
    from paotui.dispatch import rounds, service
    from paotui.orders.records import OrderRecord
    from paotui.platform.dynamo import PlaceMap

    other_store = near(SHOP, -4000)
    assert rounds.zone_of(other_store["lat"], other_store["lng"]) == rounds.zone_of(SHOP["lat"], SHOP["lng"])
    waiting = make_order("ord_waiting")
    waiting.update(
        actions=[
            OrderRecord.merchant_id.set("mer_2"),
            OrderRecord.pickup.set(PlaceMap(lat=other_store["lat"], lng=other_store["lng"], name="小李馄饨")),
        ]
    )
    assert service.dispatch(waiting.id, reason="confirmed", trigger="evt-waiting") is None  # nobody on duty yet
    for n in range(2):
        make_rider(f"rdr_{n}", near(SHOP, 100 + 200 * n))
    make_rider("rdr_there", near(other_store, 100))
    starting = make_order("ord_starting")

    service.dispatch(starting.id, reason="confirmed", trigger="evt-starting")

    assert [o.rider_id for o in offers_of(starting.id)] == ["rdr_0"]
    assert [o.rider_id for o in offers_of(waiting.id)] == ["rdr_there"]


def test_a_round_around_two_nearby_stores_queries_each_rider_cell_once(aws, monkeypatch):
    """Two stores 300 m apart share most of their search: every cell is read once for both."""
    from paotui.dispatch import service
    from paotui.orders.records import OrderRecord
    from paotui.platform.dynamo import PlaceMap
    from paotui.riders import service as riders

    other_store = near(SHOP, 300, 300)
    waiting = make_order("ord_waiting")
    waiting.update(
        actions=[OrderRecord.pickup.set(PlaceMap(lat=other_store["lat"], lng=other_store["lng"], name="小李馄饨"))]
    )
    assert service.dispatch(waiting.id, reason="confirmed", trigger="evt-waiting") is None  # nobody on duty yet
    make_rider("rdr_far", near(SHOP, 2500))
    queried: list[str] = []
    online_riders_in = riders.online_riders_in

    def recorded(cells):
        queried.extend(cells)
        return online_riders_in(cells)

    monkeypatch.setattr(riders, "online_riders_in", recorded)
    service.dispatch(make_order("ord_starting").id, reason="confirmed", trigger="evt-starting")

    assert len(queried) == len(set(queried)) > 7, "the two searches went out past their first ring, each cell once"


def test_an_order_cancelled_while_its_zone_plans_leaves_no_offer_open(order, monkeypatch):
    """The customer cancels while the round plans, and the worker withdraws the order's offers (none yet) before the
    round writes its offer: that offer must not stay open for the rider to be pushed and to accept in vain."""
    from paotui.dispatch import rounds, service
    from paotui.orders.service import system_transition
    from paotui.orders.transitions import Status

    make_rider("rdr_a", near(SHOP, 100))
    plan_round = rounds.plan_round

    def cancelled_meanwhile(state, params):
        decision = plan_round(state, params)
        system_transition(ORDER_ID, Status.CANCELLED, expected={Status.CONFIRMED}, reason="customer")
        service.withdraw_offers(ORDER_ID)  # the CANCELLED event, handled by another worker
        return decision

    monkeypatch.setattr(rounds, "plan_round", cancelled_meanwhile)

    assert service.dispatch(ORDER_ID, reason="confirmed", trigger="evt-confirmed") is None
    assert [o.status for o in offers_of()] in ([], ["WITHDRAWN"])
    assert service.open_offers_of_rider("rdr_a") == []


@pytest.fixture
def offer_reads(monkeypatch):
    """Reads a run makes, in call order: the Offers table's index queries as (index, the rider or order it read),
    and item reads as ("GetItem", the item's id)."""
    from botocore.client import BaseClient

    read, original = [], BaseClient._make_api_call

    def make_api_call(client, operation, params):
        if operation == "Query" and params.get("IndexName") in ("by-rider", "by-order"):
            read.extend(
                (params["IndexName"], v["S"])
                for v in params["ExpressionAttributeValues"].values()
                if v.get("S", "").startswith(("rdr", "ord"))
            )
        if operation == "GetItem":
            read.append(("GetItem", params["Key"]["id"]["S"]))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return read


def test_a_round_reads_the_offers_of_only_the_riders_holding_one(aws, offer_reads):
    """A dense area's round must not wait for one read per nearby rider: only a rider offered something whose
    offer may still be open has their offers read, and that rider's open offer still takes their room."""
    from paotui.dispatch import service

    first, second = make_order("ord_first"), make_order("ord_second")
    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    for n, metres in enumerate((300, 500, 700)):
        make_rider(f"rdr_{n}", near(SHOP, metres))

    asked = service.dispatch(first.id, reason="confirmed", trigger="evt-first")
    assert [rider for index, rider in offer_reads if index == "by-rider"] == []
    then = service.dispatch(second.id, reason="confirmed", trigger="evt-second")

    assert [rider for index, rider in offer_reads if index == "by-rider"] == ["rdr_a"]
    assert (asked.rider_id, then.rider_id) == ("rdr_a", "rdr_0")


def test_a_round_reads_each_pooled_orders_offers_once_to_plan_it(aws, offer_reads):
    """Each read is a request the rider's offer waits for: a waiting order's offers are read once, for the round
    (whether a rider is deciding, who refused it lately, and the new offer's attempt)."""
    from paotui.dispatch import service

    waiting, confirmed = make_order("ord_waiting"), make_order("ord_confirmed")
    assert service.dispatch(waiting.id, reason="confirmed", trigger="evt-waiting") is None  # no rider yet
    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    make_rider("rdr_b", near(SHOP, 300), capacity=1)
    offer_reads.clear()

    service.dispatch(confirmed.id, reason="confirmed", trigger="evt-confirmed")
    reads = [order for index, order in offer_reads if index == "by-order"]

    assert reads.count(waiting.id) == 1
    assert [offer.rider_id for offer in service.offers_of_order(waiting.id)] == ["rdr_b"]


def test_a_run_reads_the_orders_merchant_once(aws, offer_reads):
    """Escalation and carrier routing both go by the merchant's delivery settings: one read serves both."""
    from paotui.dispatch import service

    order, merchant = confirmed_order()
    make_rider("rdr_a", near(SHOP, 100))
    offer_reads.clear()

    assert service.dispatch(order.id, reason="confirmed", trigger="evt-merchant").rider_id == "rdr_a"
    assert offer_reads.count(("GetItem", merchant.id)) == 1


def test_an_order_offered_by_another_run_after_the_round_read_it_gets_one_offer(aws, monkeypatch):
    """Another run writes the order's next offer between this round's read and its own write (a run whose lease ran
    out while it planned): both write the same attempt, so only one of the two offers is made and one rider is
    asked."""
    from paotui.dispatch import service

    order = make_order("ord_contested")
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    offer = service._offer

    def another_run_offers_first(planned, **kwargs):
        other = dataclasses.replace(planned, rider_id="rdr_b" if planned.rider_id == "rdr_a" else "rdr_a")
        offer(other, reason="offer_expired", trigger=None)
        return offer(planned, **kwargs)

    monkeypatch.setattr(service, "_offer", another_run_offers_first)
    mine = service.dispatch(order.id, reason="confirmed", trigger="evt-contested")

    offers = service.offers_of_order(order.id)
    assert mine is None
    assert [(offer.attempt, offer.status) for offer in offers] == [(1, "OPEN")]


def test_a_rider_given_the_same_last_slot_by_two_rounds_frees_the_other_order_when_accepting_one(aws, monkeypatch):
    """Two rounds (adjacent zones) read the rider's room before either wrote its offer, and both offered the last
    slot: once the rider accepts one, the other offer is withdrawn and its order's wait failed, so that order is
    re-dispatched now instead of waiting out an offer the rider can no longer accept."""
    from paotui.dispatch import rounds, service

    first, second = make_order("ord_first"), make_order("ord_second")
    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    mine = service.dispatch(first.id, reason="confirmed", trigger="evt-first")
    with monkeypatch.context() as meanwhile:  # the other round read the rider before the first offer was written
        meanwhile.setattr(rounds, "open_offers_of_rider", lambda rider_id: [])
        theirs = service.dispatch(second.id, reason="confirmed", trigger="evt-second")
    assert (mine.rider_id, theirs.rider_id) == ("rdr_a", "rdr_a")
    workflow = FakeWorkflow()

    service.accept_offer(mine.id, "rdr_a", workflow=workflow)

    assert service.get_offer(theirs.id).status == "WITHDRAWN"
    assert workflow.failed == [(second.id, "assignment", "OfferRejected", "the rider is full")]
    assert service.open_offers_of_rider("rdr_a") == []
    rider_has_room_again("rdr_a")  # the first order delivered: the rider never turned the second one down
    assert service.dispatch(second.id, reason="offer_rejected", trigger="evt-again").rider_id == "rdr_a"


def test_a_riders_offered_until_only_moves_forward(aws):
    """Two rounds offering one rider at once may write out of order: the later expiry stays, so the rider's open
    offer is still read; an unknown rider gets no record."""
    from paotui.riders import service as riders
    from paotui.riders.records import RiderRecord

    make_rider("rdr_a", near(SHOP, 100))
    riders.mark_offered("rdr_a", "2026-11-26T10:00:30.000Z")
    riders.mark_offered("rdr_a", "2026-11-26T10:00:10.000Z")
    riders.mark_offered("rdr_ghost", "2026-11-26T10:00:10.000Z")

    assert RiderRecord.get("rdr_a").offered_until == "2026-11-26T10:00:30.000Z"
    assert RiderRecord.count("rdr_ghost") == 0


def test_a_rider_holding_cash_up_to_the_limit_is_offered_no_more_cash_orders_until_they_hand_it_in(aws):
    """An order paid at the door goes past the nearest rider when its cash would take them over
    ``rider_cash_limit``; an order paid online still goes to them."""
    from paotui.dispatch import service
    from paotui.orders.records import OrderRecord
    from paotui.platform.settings import get_settings
    from paotui.riders.records import RiderRecord

    near_one = make_rider("rdr_near", near(SHOP, 100))
    make_rider("rdr_far", near(SHOP, 900))
    limit = get_settings().rider_cash_limit
    near_one.update(actions=[RiderRecord.cash_held.set(limit - 1000)])
    cash, online = make_order("ord_cash"), make_order("ord_online")
    cash.update(actions=[OrderRecord.amounts.collect_on_delivery.set(1850)])  # 1000 would still fit

    assert service.dispatch(cash.id, reason="confirmed", trigger="evt-cash").rider_id == "rdr_far"
    assert service.dispatch(online.id, reason="confirmed", trigger="evt-online").rider_id == "rdr_near"


def paid_at_the_door(order_id: str, collect: int, **kwargs):
    from paotui.orders.records import OrderRecord

    order = make_order(order_id, **kwargs)
    order.update(actions=[OrderRecord.amounts.collect_on_delivery.set(collect)])
    return order


def test_a_trip_of_cash_orders_takes_only_what_the_riders_cash_limit_leaves_room_for(aws):
    """Three orders of one store, paid at the door, would be one bundle for the rider next to it; each fits under
    the limit alone, but only one fits with what the rider holds: the offer is that one, the rest wait."""
    from paotui.dispatch import rounds, service
    from paotui.orders.service import get_order
    from paotui.riders.records import RiderRecord

    near_one = make_rider("rdr_near", near(SHOP, 150))
    make_rider("rdr_far", near(SHOP, -2000))
    near_one.update(actions=[RiderRecord.cash_held.set(get_settings().rider_cash_limit - 3000)])
    orders = [paid_at_the_door(f"ord_cash_{n}", 2000) for n in range(3)]
    for order in orders[:2]:
        rounds.join_pool(get_order(order.id))  # confirmed while the zone's round was busy
    service.dispatch(orders[2].id, reason="confirmed", trigger="evt-cash")

    to_near = [offer for order in orders for offer in offers_of(order.id) if offer.rider_id == "rdr_near"]
    assert [(offer.collect, offer.bundle_size) for offer in to_near] == [(2000, 1)]


@pytest.mark.parametrize("how", ["carrying", "offered"])
def test_cash_the_rider_will_collect_counts_toward_the_limit_before_it_is_in_hand(aws, how):
    """Orders paid at the door that a rider carries, or holds an offer of, bring cash within the hour: a new one
    that would take them past the limit with it goes to another rider."""
    from paotui.dispatch import service
    from paotui.riders.records import RiderRecord

    near_one = make_rider("rdr_near", near(SHOP, 100))
    make_rider("rdr_far", near(SHOP, 1500))
    near_one.update(actions=[RiderRecord.cash_held.set(get_settings().rider_cash_limit - 3000)])
    if how == "carrying":  # on the way to a door a few hundred metres off
        paid_at_the_door("ord_first", 2000, status="DELIVERING", rider_id="rdr_near")
        near_one.update(actions=[RiderRecord.active_orders.set(1)])
    else:
        first = paid_at_the_door("ord_first", 2000)
        assert service.dispatch(first.id, reason="confirmed", trigger="evt-first").rider_id == "rdr_near"
    second = paid_at_the_door("ord_second", 2000)

    assert service.dispatch(second.id, reason="confirmed", trigger="evt-second").rider_id == "rdr_far"
