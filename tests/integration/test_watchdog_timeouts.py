"""What WatchdogWorker does when a watchdog timer runs out (paotui.workflow.timeouts), against moto.

Each action acts once however often its ``watchdog.timeout`` is delivered, and
only while the order is still where the timer found it. The state machine's
side is tests/integration/test_watchdog_machine.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from paotui.orders.transitions import Actor, Status
from paotui.platform import clock
from tests.integration.builders import SHOP, make_rider, near, placed_order, principal


def handle_timeout(order_id: str, step: str) -> None:
    from paotui.workflow import service

    service.handle_timeout(order_id, step)


def get(order_id: str):
    from paotui.orders.service import get_order

    return get_order(order_id)


def move(order_id: str, *targets: str) -> None:
    from paotui.orders import service
    from paotui.orders.transitions import may_move

    for target in targets:
        current = Status(get(order_id).status)
        actor = Actor.SYSTEM if may_move(current, Status(target), Actor.SYSTEM) else Actor.CARRIER
        assert service.system_transition(order_id, Status(target), expected={current}, reason="test", actor=actor)


def assign(order_id: str, rider_id: str) -> None:
    from paotui.orders import service
    from paotui.platform.dynamo import transact_write
    from paotui.riders.service import stage_take_order

    with transact_write() as transaction:
        service.stage_assignment(transaction, get(order_id), rider_id, at=clock.now())
        stage_take_order(transaction, rider_id)


def kinds(order_id: str) -> list[str]:
    return [alert.kind for alert in get(order_id).alerts or []]


def incidents(order_id: str) -> list[str]:
    from paotui.ops.records import IncidentRecord

    return sorted(incident.kind for incident in IncidentRecord.scan(IncidentRecord.order_id == order_id))


OWNER = {"user_id": "usr_owner", "roles": "merchant"}  # merchant_with_products' owner, as the authorizer says


@pytest.fixture
def order(aws):
    placed, _ = placed_order("key-timeouts-001", 1)
    return placed.id


def set_merchant(order_id: str, **values) -> None:
    from paotui.catalog.records import MerchantRecord

    MerchantRecord(get(order_id).merchant_id).update(
        actions=[getattr(MerchantRecord, name).set(value) for name, value in values.items()]
    )


# --- path 2: confirmation -------------------------------------------------------------------------------


def test_an_unconfirmed_order_is_cancelled_by_default_once_however_often_the_timeout_comes(order):
    move(order, "PAID")
    handle_timeout(order, "confirmation")
    handle_timeout(order, "confirmation")
    cancelled = get(order)
    assert (cancelled.status, cancelled.cancel_reason) == ("CANCELLED", "merchant_confirm_timeout")
    assert [entry.status for entry in cancelled.timeline].count("CANCELLED") == 1
    assert [(a.kind, a.detail.as_dict()) for a in cancelled.alerts] == [("confirm_timeout", {"action": "cancelled"})]


def test_a_merchant_that_confirms_on_timeout_gets_its_order_confirmed_and_the_alert_survives_a_crash(order):
    from paotui.orders.records import OrderRecord

    set_merchant(order, on_confirm_timeout="confirm")
    move(order, "PAID")
    handle_timeout(order, "confirmation")
    confirmed = get(order)
    assert (confirmed.status, confirmed.timeline[-1].by, confirmed.timeline[-1].reason) == (
        "CONFIRMED",
        "watchdog",
        "confirm_timeout",
    )
    assert [(a.kind, a.detail.as_dict()) for a in confirmed.alerts] == [("confirm_timeout", {"action": "confirmed"})]
    OrderRecord(order).update(actions=[OrderRecord.alerts.remove(), OrderRecord.alert_ids.remove()])  # lost
    handle_timeout(order, "confirmation")  # the redelivered timeout
    assert kinds(order) == ["confirm_timeout"]
    assert get(order).version == confirmed.version, "not moved twice"


def test_the_merchant_chooses_what_a_confirmation_timeout_does_in_the_console(aws):
    from tests.integration.builders import LAMBDA_CONTEXT, answer, api_event, load_handler, merchant_with_products

    merchant, _ = merchant_with_products(1)
    catalog = load_handler("CatalogApi")

    def patch(body: dict) -> tuple[int, dict]:
        event = api_event("PATCH", f"/merchants/{merchant.id}", body=body, authorizer=OWNER)
        return answer(catalog(event, LAMBDA_CONTEXT))

    def setting() -> str:
        return answer(catalog(api_event("GET", f"/merchants/{merchant.id}"), LAMBDA_CONTEXT))[1]["on_confirm_timeout"]

    assert setting() == "cancel"
    status, view = patch({"on_confirm_timeout": "confirm"})
    assert (status, view["on_confirm_timeout"]) == (200, "confirm")
    status, body = patch({"on_confirm_timeout": "wait"})
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR"), body
    assert setting() == "confirm", "a refused change changes nothing"


def test_a_confirmation_timeout_after_the_merchant_confirmed_does_nothing(order):
    from paotui.orders import service

    merchant = get(order).merchant_id
    move(order, "PAID")
    service.transition(order, Status.CONFIRMED, principal("usr_owner", "merchant"))
    handle_timeout(order, "confirmation")
    assert get(order).status == "CONFIRMED" and kinds(order) == []
    assert merchant


# --- path 4: a scheduled order's dispatch time ------------------------------------------------------------


def test_a_scheduled_order_gets_its_dispatch_time_when_confirmed_and_no_round_before_it(aws, monkeypatch):
    from paotui.dispatch.service import dispatch
    from paotui.orders import service
    from paotui.orders.records import OrderRecord
    from paotui.platform.settings import get_settings
    from tests.integration.builders import merchant_with_products, order_request

    merchant, (product,) = merchant_with_products(5)  # 10 minutes' prep, HOME a short ride away
    at = clock.now() + timedelta(minutes=40)
    request = order_request(merchant, (product, 1)).model_copy(update={"scheduled_for": at})
    placed, _ = service.place_order("usr_customer", "key-scheduled-01", request)
    move(placed.id, "PAID")
    service.transition(placed.id, Status.CONFIRMED, principal("usr_owner", "merchant"))
    due = clock.parse_iso(get(placed.id).dispatch_at)
    ride = at - timedelta(minutes=10, seconds=get_settings().scheduled_dispatch_lead_seconds) - due
    assert timedelta(0) < ride < timedelta(minutes=5), "prep, the ride and the lead before its time"
    rounds = []
    monkeypatch.setattr("paotui.dispatch.rounds.plan", lambda zone, *args, **kwargs: rounds.append(zone) or [])
    assert dispatch(placed.id, reason="confirmed") is None
    assert rounds == [], "not due: no round plans it"
    OrderRecord(placed.id).update(actions=[OrderRecord.dispatch_at.set(clock.iso(clock.now() - timedelta(seconds=1)))])
    dispatch(placed.id, reason="scheduled")  # the watchdog's request when it is due
    assert len(rounds) == 1, "due: its zone's round plans it (the engine decides when a rider goes)"


def test_an_order_for_now_has_no_dispatch_time(order):
    move(order, "PAID", "CONFIRMED")
    assert get(order).dispatch_at is None


# --- path 5: pickup overdue --------------------------------------------------------------------------------


@pytest.fixture
def assigned(order):
    make_rider("rdr_slow", near(SHOP, 300))
    move(order, "PAID", "CONFIRMED")
    assign(order, "rdr_slow")
    return order


def test_a_rider_on_their_way_is_alerted_then_operations_are_paged(assigned):
    handle_timeout(assigned, "pickup")
    handle_timeout(assigned, "pickup")
    [alert] = get(assigned).alerts
    assert (alert.kind, alert.detail.as_dict()["reason"]) == ("pickup_overdue", "rider_not_arrived")
    assert incidents(assigned) == []
    move(assigned, "PICKING_UP")
    handle_timeout(assigned, "pickup_escalation")
    assert [(a.kind, a.detail.as_dict()["reason"]) for a in get(assigned).alerts] == [
        ("pickup_overdue", "rider_not_arrived"),
        ("pickup_overdue", "food_not_ready"),
    ]
    assert incidents(assigned) == ["pickup_overdue"]
    assert get(assigned).status == "PICKING_UP", "still the rider's"


def test_a_rider_on_a_break_keeps_the_order(assigned):
    from paotui.riders.records import RiderRecord

    RiderRecord("rdr_slow").update(actions=[RiderRecord.online.set(False), RiderRecord.state.set("break")])
    handle_timeout(assigned, "pickup")
    assert get(assigned).rider_id == "rdr_slow" and kinds(assigned) == ["pickup_overdue"]


def test_a_rider_gone_offline_loses_the_order_once_and_gets_the_capacity_back_once(assigned):
    from paotui.riders.records import RiderRecord
    from paotui.riders.service import get_rider

    RiderRecord("rdr_slow").update(actions=[RiderRecord.online.set(False), RiderRecord.state.set("offline")])
    handle_timeout(assigned, "pickup")
    handle_timeout(assigned, "pickup")  # redelivered
    handle_timeout(assigned, "pickup_escalation")  # a later timer that raced the reassignment
    order = get(assigned)
    assert (order.status, order.rider_id) == ("CONFIRMED", None)
    assert [entry.status for entry in order.timeline][-2:] == ["ASSIGNED", "CONFIRMED"]
    assert kinds(assigned) == ["rider_reassigned"]
    assert int(get_rider("rdr_slow", consistent=True).active_orders) == 0
    assert incidents(assigned) == []
    make_rider("rdr_next", near(SHOP, 100))
    assign(assigned, "rdr_next")  # stage_assignment wants no rider_id: the next rider can take it
    assert get(assigned).rider_id == "rdr_next"


def test_a_rider_who_took_the_order_over_while_the_timeout_checked_the_previous_one_keeps_it(assigned, monkeypatch):
    """The offline check and the move are one decision about one rider, however they interleave with a takeover."""
    from paotui.orders import service
    from paotui.riders.records import RiderRecord
    from paotui.workflow import timeouts

    RiderRecord("rdr_slow").update(actions=[RiderRecord.online.set(False), RiderRecord.state.set("offline")])
    make_rider("rdr_next", near(SHOP, 100))
    checked = timeouts._gone

    def gone_then_taken_over(rider_id: str) -> bool:
        gone = checked(rider_id)
        service.transition(assigned, Status.CONFIRMED, principal("usr_admin", "admin"), reason="rider unreachable")
        assign(assigned, "rdr_next")
        return gone

    monkeypatch.setattr(timeouts, "_gone", gone_then_taken_over)
    handle_timeout(assigned, "pickup")
    order = get(assigned)
    assert (order.status, order.rider_id) == ("ASSIGNED", "rdr_next")
    assert kinds(assigned) == [], "nobody is told of a reassignment that did not happen"


def test_a_timeout_after_the_pickup_does_nothing(assigned):
    move(assigned, "PICKING_UP", "DELIVERING")
    handle_timeout(assigned, "pickup_escalation")
    assert kinds(assigned) == [] and incidents(assigned) == []


# --- path 6 and the last resorts ---------------------------------------------------------------------------


def test_an_order_delivered_on_time_is_not_late(assigned):
    move(assigned, "PICKING_UP", "DELIVERING", "DELIVERED")
    handle_timeout(assigned, "late")
    assert get(assigned).late_at is None and kinds(assigned) == []


def test_an_order_still_on_its_way_past_its_promise_is_late(assigned):
    from paotui.orders.records import OrderRecord

    OrderRecord(assigned).update(actions=[OrderRecord.promised_at.set(clock.iso(clock.now() - timedelta(minutes=10)))])
    handle_timeout(assigned, "late")
    handle_timeout(assigned, "late")
    assert get(assigned).late_at is not None
    assert kinds(assigned) == ["late", "compensated"]


def test_an_overdue_delivery_pages_operations_once(assigned):
    handle_timeout(assigned, "delivery")
    assert incidents(assigned) == [], "not picked up: the pickup timers watch it"
    move(assigned, "PICKING_UP", "DELIVERING")
    handle_timeout(assigned, "delivery")
    handle_timeout(assigned, "delivery")
    assert incidents(assigned) == ["delivery_overdue"]


def test_a_lapsed_contact_window_returns_a_failed_delivery_and_an_unconfirmed_return_pages_operations(assigned):
    move(assigned, "PICKING_UP", "DELIVERING", "DELIVERY_FAILED")
    handle_timeout(assigned, "return")
    assert incidents(assigned) == [], "not returning yet"
    handle_timeout(assigned, "contact")
    assert get(assigned).status == "RETURNING"
    handle_timeout(assigned, "return")
    assert incidents(assigned) == ["return_overdue"]


def test_a_timeout_for_an_unknown_order_is_dropped_and_an_unknown_timer_is_an_error(aws):
    handle_timeout("ord_missing", "delivery")
    handle_timeout("ord_missing", "confirmation")
    with pytest.raises(ValueError, match="unknown watchdog timeout"):
        handle_timeout("ord_missing", "lunch")


def test_operators_may_take_an_order_from_its_rider_and_nobody_else_may(assigned):
    from paotui.orders import service
    from paotui.platform.errors import Forbidden
    from paotui.riders.service import get_rider

    for who in (principal("rdr_slow", "rider"), principal("usr_owner", "merchant")):
        with pytest.raises(Forbidden):
            service.transition(assigned, Status.CONFIRMED, who)
    taken = service.transition(assigned, Status.CONFIRMED, principal("usr_admin", "admin"), reason="rider unreachable")
    assert (taken.status, taken.rider_id, taken.timeline[-1].by) == ("CONFIRMED", None, "admin:usr_admin")
    assert int(get_rider("rdr_slow", consistent=True).active_orders) == 0
