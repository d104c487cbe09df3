"""EarningsWorker and the pay-and-performance routes of RidersApi against moto.

Deliveries are made by hand (an order DELIVERED by a rider, with the offer the
rider accepted), then their events are handed to the worker as SQS delivers
them: once, twice, under other event ids, at the same time. Whatever way a
fact comes, the ledger and the counters have it once.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paotui.platform import clock
from paotui.platform.events import DomainEvent
from tests.integration.builders import (
    HandClock,
    CUSTOMER,
    HOME,
    LAMBDA_CONTEXT,
    SHOP,
    answer,
    api_event,
    assign,
    load_handler,
    make_order,
    make_rider,
    near,
    order_event,
    principal,
    sqs_event,
    take_back,
)

RIDER, OTHER_RIDER = "usr_rider_a", "usr_rider_b"
RULES_SAVED = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 China time
NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 China time: in the 11:30–13:30 peak
DAY = "2026-11-25"
RULES = {
    "per_order": 100,
    "per_km": 200,
    "peak_hours": [{"start": "11:30", "end": "13:30", "bonus": 300}],
    "streak": {"orders": 2, "bonus": 500},
    "late_grace_minutes": 5,
    "late_penalty": 400,
    "complaint_penalty": 1000,
}
OFFER_FEE = 700  # what the accepted offer pays; the order's delivery fee is 650


@pytest.fixture
def now(aws, monkeypatch) -> HandClock:
    return HandClock(monkeypatch, RULES_SAVED)


@pytest.fixture
def worker(aws):
    return load_handler("EarningsWorker")


@pytest.fixture
def riders_api(aws):
    handler = load_handler("RidersApi")

    def call(method: str, path: str, *, user: str = RIDER, roles: str = "rider", body: Any = None, **query: str):
        event = api_event(method, path, body=body, query=query or None, authorizer={"user_id": user, "roles": roles})
        return answer(handler(event, LAMBDA_CONTEXT))

    return call


@pytest.fixture
def rules(now, riders_api):
    status, saved = riders_api(
        "PUT", "/admin/incentives", user="usr_admin", roles="admin", body={"version": 0, **RULES}
    )
    assert status == 200, saved
    return saved


def delivered(
    order_id: str,
    *,
    rider: str = RIDER,
    at: datetime = NOON,
    promised: datetime | None = NOON + timedelta(minutes=10),
):
    """An order ``rider`` accepted (offer fee 700) and delivered at ``at``, promised for ``promised``."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    order = make_order(order_id, status="DELIVERED", rider_id=rider, fee=650)
    timeline = [
        TimelineEntryMap(status=status, at=clock.iso(at - ago), by="test")
        for status, ago in (("ASSIGNED", timedelta(minutes=30)), ("DELIVERED", timedelta(0)))
    ]
    actions = [OrderRecord.timeline.set(timeline)]
    if promised is not None:
        actions.append(OrderRecord.promised_at.set(clock.iso(promised)))
    order.update(actions=actions)
    accepted_offer(order_id, rider, offered_at=at - timedelta(minutes=31))
    return order


def accepted_offer(order_id: str, rider: str, *, offered_at: datetime, attempt: int = 1, bonus: int = 0) -> None:
    """The offer of ``order_id`` that ``rider`` accepted: OFFER_FEE, plus an escalated order's ``bonus``."""
    from paotui.dispatch.records import DropoffMap, OfferRecord
    from paotui.platform.dynamo import PlaceMap

    OfferRecord(
        id=f"ofr_{order_id}" if attempt == 1 else f"ofr_{order_id}_{attempt}",
        order_id=order_id,
        rider_id=rider,
        status="ACCEPTED",
        attempt=attempt,
        reason="confirmed",
        created_at=clock.iso(offered_at),
        expires_at=clock.iso(offered_at + timedelta(seconds=30)),
        ttl=clock.epoch_seconds(offered_at) + 86_400,
        pickup=PlaceMap(lat=SHOP["lat"], lng=SHOP["lng"], name="老王生煎"),
        dropoff=DropoffMap(lat=HOME["lat"], lng=HOME["lng"], detail=HOME["detail"]),
        fee=OFFER_FEE + bonus,
        bonus=bonus,
    ).save()


def distance_pay() -> int:
    from paotui.platform.geo import haversine_m

    metres = round(haversine_m(SHOP["lat"], SHOP["lng"], HOME["lat"], HOME["lng"]))
    return (RULES["per_km"] * metres + 500) // 1000


def statement(riders_api, rider: str = RIDER, start: str = DAY, end: str = DAY) -> dict:
    status, body = riders_api("GET", "/riders/me/earnings", user=rider, **{"from": start, "to": end})
    assert status == 200, body
    return body


def kpis(riders_api, period: str = "day", rider: str = RIDER, day: str = DAY) -> dict:
    status, body = riders_api("GET", "/riders/me/kpis", user=rider, period=period, date=day)
    assert status == 200, body
    return body


def lines(riders_api, rider: str = RIDER) -> list[tuple[str, str, int]]:
    return [
        (line["order_id"], line["kind"], line["amount"])
        for day in statement(riders_api, rider)["days"]
        for line in day["lines"]
    ]


def feedback_event(order, event_type: str, status: str, **order_fields: Any) -> str:
    """``order.rated`` / ``order.complaint_decided`` as EventRouter publishes them (a fresh event id each)."""
    image = {**json.loads(json.dumps(order.to_simple_dict())), **order_fields}  # as the stream router plains it
    data: dict[str, Any] = {"order": image, "status": status}
    data.update({key: image[key] for key in ("rating", "complaint") if key in order_fields})
    return DomainEvent(
        id=str(uuid.uuid4()), type=event_type, occurred_at=clock.now_iso(), subject=order.id, data=data
    ).model_dump_json()


def offer_event(offer_id: str, status: str, *, rider: str = RIDER, offered_at: datetime = NOON) -> str:
    offer = {"id": offer_id, "order_id": f"ord_{offer_id}", "rider_id": rider, "status": status}
    offer["created_at"] = clock.iso(offered_at)
    return DomainEvent(
        id=str(uuid.uuid4()),
        type="offer.status_changed",
        occurred_at=clock.iso(offered_at),
        subject=offer_id,
        data={"offer": offer, "status": status, "previous_status": "OPEN"},
    ).model_dump_json()


# --- the worker ----------------------------------------------------------------------------------------------


def test_a_delivery_earns_its_lines_and_counts_in_its_day_week_and_month(rules, worker, riders_api):
    order = delivered("ord_earn_1")
    assert worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    expected = [
        ("ord_earn_1", "base", OFFER_FEE),  # the accepted offer's fee
        ("ord_earn_1", "per_order", 100),
        ("ord_earn_1", "distance", distance_pay()),
        ("ord_earn_1", "peak", 300),
    ]
    assert sorted(lines(riders_api)) == sorted(expected)
    total = sum(amount for *_, amount in expected)
    (day,) = statement(riders_api)["days"]
    assert (day["date"], day["total"]) == (DAY, total)
    assert {line["rules_version"] for line in day["lines"]} == {rules["version"]} == {1}
    peak = next(line for line in day["lines"] if line["kind"] == "peak")
    assert peak["detail"] == "高峰奖励 11:30–13:30" and peak["at"] == clock.iso(NOON)

    for period, start, end in (
        ("day", DAY, DAY),
        ("week", "2026-11-23", "2026-11-29"),
        ("month", "2026-11-01", "2026-11-30"),
    ):
        got = kpis(riders_api, period)
        assert (got["start"], got["end"]) == (start, end)
        assert (got["delivered"], got["on_time"], got["late"], got["earnings"]) == (1, 1, 0, total), period
        assert (got["on_time_rate"], got["completion_rate"], got["acceptance_rate"]) == (1.0, 1.0, None)
    assert kpis(riders_api, day="2026-11-24")["delivered"] == 0


def test_the_same_delivery_is_paid_once_however_often_it_comes(rules, worker, riders_api):
    order = delivered("ord_earn_2")
    once = order_event(order, "DELIVERED", "DELIVERING", event_id="evt-delivered")
    assert worker(sqs_event(once, once), LAMBDA_CONTEXT) == {"batchItemFailures": []}  # a duplicate in one batch
    paid = lines(riders_api)
    worker(sqs_event(once), LAMBDA_CONTEXT)  # redelivered
    worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)  # another event, same fact
    assert lines(riders_api) == paid
    assert kpis(riders_api)["delivered"] == 1


def test_two_events_of_one_delivery_applied_at_the_same_moment_pay_once(
    rules, riders_api, serialized_moto, fine_thread_switching
):
    from paotui.riders.earnings_records import AppliedFact

    order = delivered("ord_earn_3")
    arrived = serialized_moto.gather("TransactWriteItems", 2)
    containers = [load_handler("EarningsWorker") for _ in range(2)]
    events = [order_event(order, "DELIVERED", "DELIVERING") for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda handler, event: handler(sqs_event(event), LAMBDA_CONTEXT), containers, events))
    assert len(arrived) == 2, "both reached their transaction before either was applied"
    assert results == [{"batchItemFailures": []}] * 2
    assert len([line for line in lines(riders_api) if line[1] == "base"]) == 1
    assert kpis(riders_api)["delivered"] == 1
    fact = AppliedFact.get(RIDER, "fact#delivered#ord_earn_3")
    assert fact.event_id in {json.loads(event)["id"] for event in events}


def test_one_riders_deliveries_applied_at_once_keep_the_streak_straight(
    rules, riders_api, serialized_moto, fine_thread_switching
):
    first, second = delivered("ord_streak_1"), delivered("ord_streak_2", at=NOON + timedelta(minutes=1))
    serialized_moto.gather("TransactWriteItems", 2)
    containers = [load_handler("EarningsWorker") for _ in range(2)]
    events = [order_event(order, "DELIVERED", "DELIVERING") for order in (first, second)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda handler, event: handler(sqs_event(event), LAMBDA_CONTEXT), containers, events))
    assert results == [{"batchItemFailures": []}] * 2
    streaks = [line for line in lines(riders_api) if line[1] == "streak"]
    assert len(streaks) == 1, "the second on-time delivery of the day, and only it, pays the streak bonus"
    assert kpis(riders_api)["on_time"] == 2


def test_lateness_costs_the_penalty_and_restarts_the_streak(rules, worker, riders_api):
    promised = NOON - timedelta(minutes=30)
    on_time = [
        delivered(f"ord_run_{i}", at=NOON + timedelta(minutes=i), promised=NOON + timedelta(hours=1)) for i in range(2)
    ]
    late = delivered("ord_run_late", at=NOON + timedelta(minutes=5), promised=promised)  # 35 min after the promise
    within_grace = delivered("ord_run_grace", at=NOON + timedelta(minutes=6), promised=NOON + timedelta(minutes=1))
    for order in [*on_time, late, within_grace]:
        worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)

    paid = lines(riders_api)
    assert [(order_id, amount) for order_id, kind, amount in paid if kind == "streak"] == [("ord_run_1", 500)]
    assert [(order_id, amount) for order_id, kind, amount in paid if kind == "late"] == [("ord_run_late", -400)]
    detail = next(
        line["detail"] for day in statement(riders_api)["days"] for line in day["lines"] if line["kind"] == "late"
    )
    assert detail == "超时 30 分钟扣款"
    got = kpis(riders_api)
    assert (got["delivered"], got["on_time"], got["late"], got["on_time_rate"]) == (4, 3, 1, 0.75)


def test_a_delivery_is_paid_under_the_rules_in_force_when_it_was_delivered(now, rules, worker, riders_api):
    before = delivered("ord_rules_v1")
    now.at = NOON + timedelta(hours=1)  # an admin raises per_order after that delivery, before it is applied
    status, saved = riders_api(
        "PUT", "/admin/incentives", user="usr_admin", roles="admin", body={**RULES, "version": 1, "per_order": 999}
    )
    assert (status, saved["version"], saved["effective_from"]) == (200, 2, clock.iso(now.at))
    after = delivered("ord_rules_v2", at=now.at + timedelta(minutes=1), promised=None)
    for order in (before, after):
        worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)

    per_order = {
        line["order_id"]: (line["amount"], line["rules_version"])
        for line in statement(riders_api)["days"][0]["lines"]
        if line["kind"] == "per_order"
    }
    assert per_order == {"ord_rules_v1": (100, 1), "ord_rules_v2": (999, 2)}


def test_a_rider_given_the_order_again_is_paid_the_offer_they_delivered_it_under(rules, worker, riders_api):
    """The rider accepted, went offline before pickup and the order was taken back; re-dispatched with an
    escalation bonus, they accepted it again and delivered: the second offer pays."""
    order = delivered("ord_again")
    accepted_offer(order.id, RIDER, offered_at=NOON - timedelta(minutes=15), attempt=2, bonus=300)
    assert worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert [amount for _, kind, amount in lines(riders_api) if kind == "base"] == [OFFER_FEE + 300]


def test_without_rules_a_delivery_earns_its_fee(now, worker, riders_api):
    order = delivered("ord_no_rules")
    worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)
    assert lines(riders_api) == [("ord_no_rules", "base", OFFER_FEE)]


def test_an_upheld_complaint_costs_one_penalty_on_the_day_it_is_decided(now, rules, worker, riders_api):
    order = delivered("ord_complained")
    decided_at = NOON + timedelta(days=1)
    complaint = {"reason": "餐洒了", "at": clock.iso(NOON), "status": "UPHELD", "decided_at": clock.iso(decided_at)}
    upheld = feedback_event(order, "order.complaint_decided", "UPHELD", complaint=complaint)
    again = feedback_event(order, "order.complaint_decided", "UPHELD", complaint=complaint)
    assert worker(sqs_event(upheld, upheld, again), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    penalties = statement(riders_api, start="2026-11-26", end="2026-11-26")["days"][0]["lines"]
    assert [(line["kind"], line["amount"], line["detail"]) for line in penalties] == [
        ("complaint", -1000, "投诉成立扣款")
    ]
    got = kpis(riders_api, day="2026-11-26")
    assert (got["complaints_upheld"], got["earnings"]) == (1, -1000)

    dismissed = {**complaint, "status": "DISMISSED"}
    other = delivered("ord_dismissed")
    worker(
        sqs_event(feedback_event(other, "order.complaint_decided", "DISMISSED", complaint=dismissed)), LAMBDA_CONTEXT
    )
    assert kpis(riders_api, day="2026-11-26")["complaints_upheld"] == 1


def test_an_upheld_complaint_penalises_the_rider_it_is_about_not_whoever_holds_the_order(
    now, rules, worker, riders_api
):
    """Rider A is complained about ("骑手不接电话") while A has the order or after the watchdog took it from A
    (offline); upheld once rider B has taken the order, or while nobody has it: A pays both penalties, B none."""
    from paotui.orders import feedback
    from paotui.orders.service import get_order

    make_rider(RIDER, SHOP)
    now.at = NOON
    for order_id, complained_while_held in (("ord_b_took_it", True), ("ord_nobody_has_it", False)):
        make_order(order_id)
        assign(order_id, RIDER)
        if complained_while_held:
            feedback.complain(order_id, CUSTOMER, "骑手不接电话")
        take_back(order_id)
        if not complained_while_held:
            feedback.complain(order_id, CUSTOMER, "骑手不接电话")
    assign("ord_b_took_it", OTHER_RIDER)

    for order_id in ("ord_b_took_it", "ord_nobody_has_it"):
        feedback.decide(order_id, principal("usr_admin", "admin"), True, None)
        order = get_order(order_id)
        upheld = feedback_event(order, "order.complaint_decided", "UPHELD", complaint=order.complaint.as_dict())
        assert worker(sqs_event(upheld), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    assert sorted(lines(riders_api)) == [
        ("ord_b_took_it", "complaint", -1000),
        ("ord_nobody_has_it", "complaint", -1000),
    ]
    assert kpis(riders_api)["complaints_upheld"] == 2
    assert lines(riders_api, OTHER_RIDER) == []
    assert kpis(riders_api, rider=OTHER_RIDER)["complaints_upheld"] == 0


def test_a_rating_counts_once_with_the_delivery_it_rates(rules, worker, riders_api):
    first, second = delivered("ord_rated_1"), delivered("ord_rated_2")
    for order, stars in ((first, 5), (second, 4)):
        rating = {"stars": stars, "at": clock.iso(NOON + timedelta(days=2))}
        event = feedback_event(order, "order.rated", "DELIVERED", rating=rating)
        worker(sqs_event(event, feedback_event(order, "order.rated", "DELIVERED", rating=rating)), LAMBDA_CONTEXT)
    got = kpis(riders_api)  # the day of the deliveries, not of the ratings
    assert (got["rating_count"], got["average_rating"]) == (2, 4.5)


def test_offer_answers_and_order_outcomes_make_the_rates(rules, worker, riders_api):
    answers = [
        offer_event(f"o{i}", status) for i, status in enumerate(["ACCEPTED", "ACCEPTED", "ACCEPTED", "REJECTED"])
    ]
    answers += [offer_event("o9", "EXPIRED"), offer_event("o9", "EXPIRED"), offer_event("o10", "WITHDRAWN")]
    failed = make_order("ord_failed", status="DELIVERY_FAILED", rider_id=RIDER)
    cancelled = make_order("ord_cancelled", status="CANCELLED", rider_id=RIDER)
    unassigned = make_order("ord_never_assigned", status="CANCELLED")
    delivery = delivered("ord_done")
    outcomes = [
        order_event(failed, "DELIVERY_FAILED", "DELIVERING"),
        order_event(cancelled, "CANCELLED", "ASSIGNED"),
        order_event(unassigned, "CANCELLED", "CONFIRMED"),
        order_event(delivery, "ASSIGNED", "CONFIRMED"),
        order_event(delivery, "DELIVERED", "DELIVERING"),
    ]
    assert worker(sqs_event(*answers, *outcomes), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    got = kpis(riders_api)  # make_order's failure and cancellation happened "now": the morning of DAY
    assert (got["offers_received"], got["offers_accepted"], got["offers_rejected"], got["offers_expired"]) == (
        5,
        3,
        1,
        1,
    )
    assert got["acceptance_rate"] == 0.6
    assert (got["assigned"], got["delivered"], got["failed"], got["cancelled"]) == (1, 1, 1, 1)
    assert got["completion_rate"] == 0.3333


def delivered_on_retry(order_id: str, *, failed_at: datetime) -> tuple[str, str]:
    """The events (failed, delivered) of an order whose delivery failed at ``failed_at`` (the buyer did not answer),
    then was tried again and delivered at NOON."""
    from paotui.orders.records import OrderRecord, TimelineEntryMap

    order = delivered(order_id)
    steps = [
        ("ASSIGNED", failed_at - timedelta(minutes=20)),
        ("DELIVERY_FAILED", failed_at),
        ("DELIVERING", NOON - timedelta(minutes=5)),  # the buyer called back
        ("DELIVERED", NOON),
    ]
    order.update(
        actions=[OrderRecord.timeline.set([TimelineEntryMap(status=s, at=clock.iso(at), by="test") for s, at in steps])]
    )
    return order_event(order, "DELIVERY_FAILED", "DELIVERING"), order_event(order, "DELIVERED", "DELIVERING")


@pytest.mark.parametrize("failure_first", [True, False], ids=["in order", "the failure after the delivery"])
@pytest.mark.parametrize("failed_at", [NOON - timedelta(minutes=10), NOON - timedelta(days=1)], ids=["day", "eve"])
def test_an_order_delivered_on_a_retry_is_one_completed_order(rules, worker, riders_api, failure_first, failed_at):
    """SQS may bring the failure after the delivery; either way the rider's record shows one order, done."""
    failure, delivery = delivered_on_retry("ord_retried", failed_at=failed_at)
    events = [failure, delivery] if failure_first else [delivery, failure]
    assert worker(sqs_event(*events, *events), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    got = kpis(riders_api)
    assert (got["delivered"], got["failed"], got["completion_rate"]) == (1, 0, 1.0)
    assert kpis(riders_api, day=clock.china_day(failed_at).isoformat())["failed"] == 0
    assert kpis(riders_api, "month")["completion_rate"] == 1.0


def test_a_failure_and_the_retrys_delivery_applied_at_once_count_one_completed_order(
    rules, riders_api, serialized_moto, fine_thread_switching
):
    failure, delivery = delivered_on_retry("ord_retried_at_once", failed_at=NOON - timedelta(minutes=10))
    arrived = serialized_moto.gather("TransactWriteItems", 2)
    containers = [load_handler("EarningsWorker") for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda handler, event: handler(sqs_event(event), LAMBDA_CONTEXT), containers, [failure, delivery])
        )
    assert len(arrived) == 2, "both reached their transaction before either was applied"
    assert results == [{"batchItemFailures": []}] * 2
    got = kpis(riders_api)
    assert (got["delivered"], got["failed"], got["completion_rate"]) == (1, 0, 1.0)


def test_orders_of_a_carrier_and_events_it_does_not_handle(rules, worker, riders_api):
    carried = make_order("ord_by_dada", status="DELIVERED")  # a third-party carrier's: no rider of ours
    odd = DomainEvent(id="evt-odd", type="order.created", occurred_at=clock.iso(NOON), subject="x", data={})
    response = worker(sqs_event(order_event(carried, "DELIVERED", "DELIVERING"), odd.model_dump_json()), LAMBDA_CONTEXT)
    assert len(response["batchItemFailures"]) == 1, "an event it does not handle is a failure, not silence"
    assert statement(riders_api)["total"] == 0


# --- the routes ---------------------------------------------------------------------------------------------


def test_incentive_rules_are_versioned_compare_and_set(now, riders_api):
    admin = {"user": "usr_admin", "roles": "admin"}
    status, none_yet = riders_api("GET", "/admin/incentives", **admin)
    assert (status, none_yet["version"], none_yet["per_order"], none_yet["effective_from"]) == (200, 0, 0, None)

    assert riders_api("PUT", "/admin/incentives", body={"version": 0, **RULES}, **admin)[0] == 200
    status, stale = riders_api("PUT", "/admin/incentives", body={"version": 0, "per_order": 1}, **admin)
    assert (status, stale["error"]["code"], stale["error"]["details"]["current_version"]) == (
        409,
        "VERSION_CONFLICT",
        1,
    )
    status, ahead = riders_api("PUT", "/admin/incentives", body={"version": 7, "per_order": 1}, **admin)
    assert (status, ahead["error"]["code"]) == (409, "VERSION_CONFLICT")
    status, current = riders_api("GET", "/admin/incentives", **admin)
    assert current == {**RULES, "version": 1, "effective_from": clock.iso(RULES_SAVED), "set_by": "usr_admin"}


@pytest.mark.parametrize(
    "body",
    [
        {**RULES, "version": 0, "peak_hours": [*RULES["peak_hours"], {"start": "13:00", "end": "14:00", "bonus": 1}]},
        {**RULES, "version": 0, "per_km": -5},
        {**RULES, "version": 0, "streak": {"orders": 0, "bonus": 1}},
        {**RULES, "version": -1},
        {**RULES, "version": 0, "surprise": True},
        dict(RULES),  # no version
    ],
)
def test_invalid_rules_are_refused_and_nothing_is_saved(now, riders_api, body):
    status, refused = riders_api("PUT", "/admin/incentives", user="usr_admin", roles="admin", body=body)
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert riders_api("GET", "/admin/incentives", user="usr_admin", roles="admin")[1]["version"] == 0


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [
        ("GET", "/admin/incentives", "rider"),
        ("PUT", "/admin/incentives", "merchant"),
        ("GET", "/admin/riders/leaderboard", "rider"),
        ("GET", "/riders/me/kpis", "customer"),
        ("GET", "/riders/me/earnings", "merchant"),
    ],
)
def test_who_may_read_pay_and_rules(now, riders_api, method, path, roles):
    status, refused = riders_api(method, path, roles=roles, body={"version": 0} if method == "PUT" else None)
    assert (status, refused["error"]["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize(
    ("path", "query", "code"),
    [
        ("/riders/me/kpis", {"period": "year"}, "VALIDATION_ERROR"),
        ("/riders/me/kpis", {"date": "2026-13-01"}, "VALIDATION_ERROR"),
        ("/riders/me/earnings", {"from": "2026-11-25", "to": "2026-11-24"}, "INVALID_RANGE"),
        ("/riders/me/earnings", {"from": "2026-11-01", "to": "2026-12-02"}, "RANGE_TOO_LONG"),  # 32 days
        ("/admin/riders/leaderboard", {"metric": "fastest"}, "VALIDATION_ERROR"),
        ("/admin/riders/leaderboard", {"limit": "101"}, "LIMIT_TOO_HIGH"),
        ("/admin/riders/leaderboard", {"limit": "0"}, "VALIDATION_ERROR"),
        ("/riders/me/kpis", {"period": "week", "date": "9999-12-31"}, "DATE_OUT_OF_RANGE"),  # ends in year 10000
        ("/riders/me/kpis", {"period": "month", "date": "9999-12-31"}, "DATE_OUT_OF_RANGE"),
        ("/admin/riders/leaderboard", {"period": "week", "date": "9999-12-31"}, "DATE_OUT_OF_RANGE"),
    ],
)
def test_bad_questions_are_422(now, riders_api, path, query, code):
    status, refused = riders_api("GET", path, roles="rider,admin", **query)
    assert (status, refused["error"]["code"]) == (422, code)


def test_a_statement_lists_every_day_of_its_range(rules, worker, riders_api):
    worker(sqs_event(order_event(delivered("ord_range"), "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)
    first = statement(riders_api, start="2026-11-01", end="2026-11-01")
    assert [day["date"] for day in first["days"]] == ["2026-11-01"] and first["total"] == 0
    whole = statement(riders_api, start="2026-11-01", end="2026-11-30")
    assert len(whole["days"]) == 30
    assert whole["total"] == sum(day["total"] for day in whole["days"]) > 0
    assert statement(riders_api, rider=OTHER_RIDER, start="2026-11-01", end="2026-11-30")["total"] == 0


def test_the_leaderboard_ranks_the_riders_of_the_period(rules, worker, riders_api):
    make_rider(RIDER, near(SHOP, 100), name="张三")
    make_rider(OTHER_RIDER, near(SHOP, 200), name="李四")
    for order in (delivered("ord_lb_1"), delivered("ord_lb_2", at=NOON + timedelta(minutes=2))):
        worker(sqs_event(order_event(order, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)
    late = delivered("ord_lb_3", rider=OTHER_RIDER, promised=NOON - timedelta(hours=1))
    worker(sqs_event(order_event(late, "DELIVERED", "DELIVERING")), LAMBDA_CONTEXT)

    admin = {"user": "usr_admin", "roles": "admin"}
    status, board = riders_api("GET", "/admin/riders/leaderboard", date=DAY, metric="earnings", **admin)
    assert status == 200, board
    assert (board["period"], board["start"], board["metric"]) == ("day", DAY, "earnings")
    assert [(r["rank"], r["rider_id"], r["name"]) for r in board["riders"]] == [
        (1, RIDER, "张三"),
        (2, OTHER_RIDER, "李四"),
    ]
    assert board["riders"][0]["kpis"]["delivered"] == 2
    by_lateness = riders_api("GET", "/admin/riders/leaderboard", date=DAY, metric="on_time_rate", limit="1", **admin)[1]
    assert [(r["rider_id"], r["kpis"]["on_time_rate"]) for r in by_lateness["riders"]] == [(RIDER, 1.0)]
    week = riders_api("GET", "/admin/riders/leaderboard", period="week", date="2026-11-29", **admin)[1]
    assert week["start"] == "2026-11-23" and len(week["riders"]) == 2
    assert riders_api("GET", "/admin/riders/leaderboard", date="2026-11-24", **admin)[1]["riders"] == []


def test_the_rules_document_is_what_the_worker_reads(rules):
    from paotui.riders import incentives
    from paotui.riders.earnings_records import RULES_SCHEME, IncentiveRulesRecord

    (stored,) = IncentiveRulesRecord.query(RULES_SCHEME)
    assert (stored.revision, stored.version, stored.set_by) == ("0000000001", 1, "usr_admin")
    assert incentives.rules_at(RULES_SAVED - timedelta(seconds=1)).version == 0
    assert incentives.rules_at(RULES_SAVED).rules.model_dump() == RULES


def test_the_sample_events_are_what_the_functions_take(now, worker, riders_api):
    """events/: an admin's rules, then a delivery whose offer is gone from its table (TTL): the order's fee."""
    samples = Path(__file__).resolve().parents[2] / "events"
    put_rules = json.loads((samples / "RidersApi" / "put-incentives.json").read_text())
    status, saved = answer(load_handler("RidersApi")(put_rules, LAMBDA_CONTEXT))
    assert (status, saved["version"], saved["streak"]) == (200, 1, {"orders": 5, "bonus": 800})

    now.at = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)  # the sample delivery is 04:28 UTC that day
    assert (
        riders_api("PUT", "/admin/incentives", user="usr_admin", roles="admin", body={**RULES, "version": 1})[0] == 200
    )
    delivery = json.loads((samples / "EarningsWorker" / "order-delivered.json").read_text())
    assert worker(delivery, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    rider = json.loads(delivery["Records"][0]["body"])["data"]["order"]["rider_id"]
    got = statement(riders_api, rider=rider, start="2026-01-15", end="2026-01-15")["days"][0]["lines"]
    assert {(line["kind"], line["amount"], line["rules_version"]) for line in got} >= {
        ("base", 600, 2),  # the order's delivery fee: no accepted offer left to read
        ("per_order", 100, 2),
        ("peak", 300, 2),  # 12:28 in China
    }
