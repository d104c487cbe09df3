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
from tests.integration.builders import SHOP, make_rider, near, placed_order, principal, watchdog_event


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


# --- crashes: WatchdogWorker with each AWS call throttled or the Lambda killed at it --------------------------------


def offline(rider_id: str) -> None:
    from paotui.riders.records import RiderRecord

    RiderRecord(rider_id).update(actions=[RiderRecord.online.set(False), RiderRecord.state.set("offline")])


def promised_ago(order_id: str) -> None:
    from paotui.orders.records import OrderRecord

    OrderRecord(order_id).update(actions=[OrderRecord.promised_at.set(clock.iso(clock.now() - timedelta(minutes=10)))])


TIMEOUTS = {
    # step: (the order's way there, what else holds when the timer runs out)
    "confirmation": (("PAID",), None),
    "pickup": (("PAID", "CONFIRMED", "rider"), offline),
    "pickup_escalation": (("PAID", "CONFIRMED", "rider", "PICKING_UP"), None),
    "late": (("PAID", "CONFIRMED", "rider", "PICKING_UP", "DELIVERING"), promised_ago),
    "delivery": (("PAID", "CONFIRMED", "rider", "PICKING_UP", "DELIVERING"), None),
    "contact": (("PAID", "CONFIRMED", "rider", "PICKING_UP", "DELIVERING", "DELIVERY_FAILED"), None),
    "return": (("PAID", "CONFIRMED", "rider", "PICKING_UP", "DELIVERING", "DELIVERY_FAILED", "RETURNING"), None),
}


def watched_order(*way: str) -> tuple[str, str]:
    """(order, rider): a fresh order moved along ``way`` ("rider": a fresh rider takes it)."""
    import uuid

    key = uuid.uuid4().hex[:12]
    order_id, rider_id = placed_order(f"key-{key}", 1)[0].id, f"rdr_{key}"
    make_rider(rider_id, near(SHOP, 300))
    for step in way:
        assign(order_id, rider_id) if step == "rider" else move(order_id, step)
    return order_id, rider_id


def after_timeout(order_id: str, rider_id: str) -> dict:
    """What the customer, the merchant, the rider and operations see of the order once the timeout is handled."""
    from paotui.riders.service import get_rider

    order = get(order_id)
    return {
        "status": order.status,
        "rider": order.rider_id and order.rider_id == rider_id,
        "moves": [(entry.status, entry.reason) for entry in order.timeline],
        "alerts": [
            (alert.kind, (alert.detail.as_dict() if alert.detail else {}).get("action")) for alert in order.alerts or []
        ],
        "late": order.late_at is not None,
        "incidents": incidents(order_id),
        "rider_carries": int(get_rider(rider_id, consistent=True).active_orders),
    }


@pytest.mark.parametrize("step", TIMEOUTS)
def test_a_timeout_crashed_at_any_call_is_acted_on_once(aws, monkeypatch, step):
    """One cancellation (its refund follows from it), one reassignment with the rider's place given back once, one
    alert, one incident, one compensation, one return: as one clean run, whichever call failed or killed the run."""
    from tests.integration.builders import AwsFaults, crash_at_every_step, load_handler, sqs_event

    faults = AwsFaults(monkeypatch)
    way, meanwhile = TIMEOUTS[step]

    def timed_out():
        order_id, rider_id = watched_order(*way)
        if meanwhile:
            meanwhile(rider_id if step == "pickup" else order_id)
        return sqs_event(watchdog_event("watchdog.timeout", order_id, step=step)), lambda: after_timeout(
            order_id, rider_id
        )

    assert crash_at_every_step(faults, load_handler("WatchdogWorker"), timed_out)


@pytest.fixture
def answers(monkeypatch) -> dict[str, tuple]:
    """Step Functions' side of task tokens: the first answer to each token counts, a later one is refused as for a
    task no longer waiting."""
    from moto.core.config import default_user_config
    from moto.stepfunctions.exceptions import InvalidToken
    from moto.stepfunctions.models import StepFunctionBackend

    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", False)  # this backend's calls
    first: dict[str, tuple] = {}

    def answered(token: str, answer: tuple) -> None:
        if token in first:
            raise InvalidToken("the task is no longer waiting")
        first[token] = answer

    monkeypatch.setattr(
        StepFunctionBackend, "send_task_success", lambda self, token, output: answered(token, ("success", output))
    )
    monkeypatch.setattr(
        StepFunctionBackend,
        "send_task_failure",
        lambda self, token, error=None: answered(token, ("failure", error)),
    )
    return first


AWAITS = {
    # case: (the order's way, its last move made after the wait began, the step, how the answer comes)
    "assigned": (("PAID", "CONFIRMED"), "rider", "assignment", "watchdog.await"),
    "reassigned": (("PAID", "CONFIRMED", "rider", "CONFIRMED"), "rider", "pickup", "watchdog.await"),
    "picked_up": (("PAID", "CONFIRMED", "rider", "PICKING_UP"), "DELIVERING", "pickup", "order.status_changed"),
    "cancelled": (("PAID",), "CANCELLED", "confirmation", "order.status_changed"),
}


@pytest.mark.parametrize("case", AWAITS)
def test_a_task_token_crashed_at_any_call_is_answered_once_and_forgotten(aws, monkeypatch, answers, case):
    """The wait began, then the order moved: its token comes after the move (``watchdog.await``), or came before and
    the move's ``order.status_changed`` follows. Either way the wait gets its one answer, the one a clean run gives
    (success, or the error the state machine branches on), and no token is left behind."""
    import uuid

    from paotui.workflow import service
    from paotui.workflow.records import WatchRecord
    from tests.integration.builders import AwsFaults, crash_at_every_step, load_handler, order_event, sqs_event

    faults = AwsFaults(monkeypatch)
    way, last, step, answered_by = AWAITS[case]

    def awaited():
        order_id, rider_id = watched_order(*way)
        entered, token = clock.now_iso(), f"token-{uuid.uuid4().hex}"
        if answered_by == "order.status_changed":
            service.register_token(order_id, step, token, entered_at=entered)
        previous = get(order_id).status
        faults.waited += timedelta(seconds=1)  # the move comes a moment after the wait began
        assign(order_id, rider_id) if last == "rider" else move(order_id, last)
        if answered_by == "watchdog.await":
            event = watchdog_event(answered_by, order_id, at=entered, step=step, task_token=token)
        else:
            event = order_event(get(order_id), get(order_id).status, previous)

        def observe():
            return answers.get(token), [watch.step for watch in WatchRecord.query(order_id)]

        return sqs_event(event), observe

    assert crash_at_every_step(faults, load_handler("WatchdogWorker"), awaited)


@pytest.mark.parametrize("token_stored", ["after the failure", "between its read and its write"])
def test_a_failure_that_finds_no_live_wait_fails_the_next_wait_of_the_step_that_began_before_it(
    aws, monkeypatch, answers, token_stored
):
    """A rider rejects the re-dispatched offer before the new assignment wait's token is stored: the rejection is
    kept, and the wait gets it when its token comes, or the rejection finds the token stored while it kept itself;
    either way the wait fails now instead of at its timeout. A wait that began after the failure does not get it."""
    from paotui.workflow import service

    order_id, _ = watched_order("PAID", "CONFIRMED")
    entered = clock.now_iso()
    if token_stored == "between its read and its write":
        read = service._watch

        def stored_after_the_read(*args):
            found = read(*args)
            monkeypatch.setattr(service, "_watch", read)
            service.register_token(order_id, "assignment", "token-next", entered_at=entered)
            return found

        monkeypatch.setattr(service, "_watch", stored_after_the_read)
        service.fail_step(order_id, "assignment", "OfferRejected", "rejected by the rider")
    else:
        service.fail_step(order_id, "assignment", "OfferRejected", "rejected by the rider")
        service.register_token(order_id, "assignment", "token-next", entered_at=entered)
    later = clock.iso(clock.now() + timedelta(seconds=5))
    service.register_token(order_id, "assignment", "token-after", entered_at=later)

    assert answers == {"token-next": ("failure", "OfferRejected")}
