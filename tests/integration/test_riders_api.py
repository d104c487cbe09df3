"""RidersApi against moto, through the function's handler with API Gateway REST proxy events."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.integration.builders import (
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    FakeWorkflow,
    answer,
    api_event,
    lapse,
    load_handler,
    loaded_module,
    make_order,
    make_rider,
    near,
    quiet_for,
)


class Api:
    """RidersApi's handler, called as API Gateway calls it after the authorizer let the caller in."""

    def __init__(self, handler):
        self.handler = handler

    def call(self, method: str, path: str, *, user: str, roles: str = "rider", body=None):
        event = api_event(method, path, body=body, authorizer={"user_id": user, "roles": roles})
        return answer(self.handler(event, LAMBDA_CONTEXT))


@pytest.fixture
def workflow():
    return FakeWorkflow()


def riders_api(workflow: FakeWorkflow) -> Api:
    """A fresh copy of the function, as a Lambda container holds one (but see ``race`` on what copies share)."""
    from paotui.riders.api import get_workflow

    handler = load_handler("RidersApi")
    loaded_module("RidersApi").app.dependency_overrides[get_workflow] = lambda: workflow
    return Api(handler)


@pytest.fixture
def api(aws, workflow):
    return riders_api(workflow)


def rider_record(rider_id: str):
    from paotui.riders.records import RiderRecord

    return RiderRecord.get(rider_id, consistent_read=True)


def riders_indexed_in(cell: str) -> list[str]:
    from paotui.riders.records import RiderRecord

    return [r.id for r in RiderRecord.by_cell.query(cell)]


def offer(offer_id: str):
    from paotui.dispatch.records import OfferRecord

    return OfferRecord.get(offer_id, consistent_read=True)


def offered(order_id: str = ORDER_ID):
    """The confirmed order dispatched (to the nearest online rider who hasn't had it)."""
    from paotui.dispatch.service import dispatch

    return dispatch(order_id, reason="confirmed")


# --- location and availability -------------------------------------------------------------------


def test_location_moves_the_cell_only_while_online(api):
    from paotui.platform.geo import cell_of

    make_rider("rdr_a", None, online=False)
    status, view = api.call("PUT", "/riders/me/location", user="rdr_a", body=near(SHOP, 100))
    assert status == 200
    assert view["location"]["lat"] == pytest.approx(near(SHOP, 100)["lat"])
    assert view["online"] is False and view["location_at"]
    assert rider_record("rdr_a").cell is None

    status, view = api.call("PUT", "/riders/me/availability", user="rdr_a", body={"online": True})
    assert (status, view["online"]) == (200, True)
    first_cell = cell_of(**near(SHOP, 100), resolution=8)
    assert rider_record("rdr_a").cell == first_cell
    assert riders_indexed_in(first_cell) == ["rdr_a"]

    quiet_for("rdr_a", 600)  # 2.9 km in ten minutes: a ride, not a jump, and no longer too soon
    status, _ = api.call("PUT", "/riders/me/location", user="rdr_a", body=near(SHOP, 3000))
    assert status == 200
    second_cell = cell_of(**near(SHOP, 3000), resolution=8)
    assert second_cell != first_cell
    assert rider_record("rdr_a").cell == second_cell
    assert riders_indexed_in(first_cell) == [] and riders_indexed_in(second_cell) == ["rdr_a"]

    status, view = api.call("PUT", "/riders/me/availability", user="rdr_a", body={"online": False})
    assert (status, view["online"]) == (200, False)
    record = rider_record("rdr_a")
    assert record.cell is None and "cell" not in record.to_simple_dict()  # REMOVEd, so the GSI drops it
    assert riders_indexed_in(second_cell) == []


def test_going_online_needs_a_location(api):
    make_rider("rdr_a", None, online=False)
    status, body = api.call("PUT", "/riders/me/availability", user="rdr_a", body={"online": True})
    assert (status, body["error"]["code"]) == (409, "LOCATION_REQUIRED")


def test_who_may_use_the_riders_api(api):
    status, body = api.call("PUT", "/riders/me/location", user="usr_new_rider", body=near(SHOP, 0))
    assert (status, body["error"]["code"]) == (404, "RIDER_NOT_FOUND")
    make_rider("rdr_a", near(SHOP, 0))
    status, _ = api.call("GET", "/riders/me/offers", user="rdr_a", roles="customer")
    assert status == 403
    status, body = api.call("PUT", "/riders/me/location", user="rdr_a", body={**near(SHOP, 0), "alt": 3})
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")
    status, body = api.call("PUT", "/riders/me/availability", user="rdr_a", body={"online": "yes"})
    assert status == 422
    status, body = api.call("PUT", "/riders/me/location", user="rdr_a", body={"lat": 91, "lng": 0})
    assert status == 422


# --- offers ----------------------------------------------------------------------------------------


def test_a_rider_lists_only_their_open_unexpired_offers(api):
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 900))
    make_order()
    make_order("ord_two")
    make_order("ord_three")
    mine = offered()
    other = offered(order_id="ord_two")
    lapsed = offered(order_id="ord_three")
    lapse(lapsed)

    status, offers = api.call("GET", "/riders/me/offers", user="rdr_a")
    assert status == 200
    assert [o["id"] for o in offers] == [mine.id, other.id]
    assert set(offers[0]) >= {"id", "order_id", "expires_at", "pickup", "dropoff", "fee"}
    assert offers[0]["pickup"]["name"] == "老王生煎" and offers[0]["fee"] == 650
    assert api.call("GET", "/riders/me/offers", user="rdr_b") == (200, [])


def test_accepting_assigns_the_order_and_wakes_the_watchdog(api, workflow):
    make_rider("rdr_a", near(SHOP, 100), name="李师傅")
    make_order()
    the_offer = offered()

    status, order = api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_a")

    assert status == 200, order
    assert (order["id"], order["status"], order["rider_id"]) == (ORDER_ID, "ASSIGNED", "rdr_a")
    assert order["timeline"][-1]["status"] == "ASSIGNED"
    assert offer(the_offer.id).status == "ACCEPTED"
    assert int(rider_record("rdr_a").active_orders) == 1
    assert workflow.resolved == [(ORDER_ID, "assignment")]
    assert api.call("GET", "/riders/me/offers", user="rdr_a") == (200, [])
    # a retried tap gets the same answer, and nothing happens twice
    assert api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_a")[0] == 200
    assert int(rider_record("rdr_a").active_orders) == 1


def test_a_retried_accept_after_the_order_was_taken_back_shows_nothing_of_the_next_riders_order(api):
    """A retried tap may answer with the order only while it is still this rider's: once the watchdog gave it to
    another rider, the old accept must not hand out that rider's order and the customer's contact."""
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status

    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 300))
    make_order()
    first = offered()
    assert api.call("POST", f"/offers/{first.id}/accept", user="rdr_a")[0] == 200
    api.call("PUT", "/riders/me/availability", user="rdr_a", body={"online": False})
    orders.system_transition(ORDER_ID, Status.CONFIRMED, expected={Status.ASSIGNED}, reason="rider_offline")
    second = offered()
    assert api.call("POST", f"/offers/{second.id}/accept", user="rdr_b")[0] == 200

    status, body = api.call("POST", f"/offers/{first.id}/accept", user="rdr_a")

    assert (status, body["error"]["code"]) == (409, "OFFER_UNAVAILABLE")
    assert "address" not in body and "rider_id" not in body
    assert orders.get_order(ORDER_ID).rider_id == "rdr_b"


def race(serialized_moto, workflow, *calls: tuple[str, str]) -> list[tuple[int, dict]]:
    """Accept offers concurrently, one request per container: [(offer id, rider id), ...] → responses.

    Every request passes its pre-checks before any transaction is applied, so
    the transactions' conditions, not the pre-checks, decide the race:
    serialized_moto gathers the transactions, then applies them one at a time
    (moto applies a transaction item by item without a lock, which real
    DynamoDB never exposes).

    Up to its transaction each request takes its turn: Powertools keeps the
    event being resolved in a class attribute (``BaseRouter.current_event``)
    that every resolver in the process shares, so two requests resolving at
    once in one process can read each other's path and caller, which two
    Lambda containers never do. Past the transaction nothing reads the event
    but the response builder (for headers, alike in both).
    """
    turn = threading.Lock()
    holder = threading.local()

    def pass_the_turn() -> None:
        holder.has_turn = False
        turn.release()

    arrived = serialized_moto.gather("TransactWriteItems", len(calls), on_arrival=pass_the_turn)
    containers = [riders_api(workflow) for _ in calls]

    def accept(container: Api, call: tuple[str, str]) -> tuple[int, dict]:
        offer_id, rider_id = call
        turn.acquire()
        holder.has_turn = True
        try:
            return container.call("POST", f"/offers/{offer_id}/accept", user=rider_id)
        finally:
            if holder.has_turn:
                pass_the_turn()

    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(accept, containers, calls))
    assert len(arrived) == len(calls), "every request reached the transaction"
    return results


def copy_offer(offer, **changes):
    from paotui.dispatch.records import DropoffMap, OfferRecord
    from paotui.platform.dynamo import PlaceMap

    copy = OfferRecord(**{**offer.attribute_values, **changes})
    copy.pickup = PlaceMap(**offer.pickup.attribute_values)
    copy.dropoff = DropoffMap(**offer.dropoff.attribute_values)
    copy.save()
    return copy


def test_two_riders_racing_for_one_order_one_wins(aws, workflow, serialized_moto):
    """Two live offers for one order (e.g. a redispatch racing a slow accept); both riders tap at once."""
    make_rider("rdr_a", near(SHOP, 100))
    make_rider("rdr_b", near(SHOP, 200))
    make_order()
    first = offered()
    second = copy_offer(first, id="ofr_race_b", rider_id="rdr_b", attempt=2)

    results = race(serialized_moto, workflow, (first.id, "rdr_a"), (second.id, "rdr_b"))

    assert sorted(status for status, _ in results) == [200, 409], results
    _, winner_order = next(r for r in results if r[0] == 200)
    _, loser = next(r for r in results if r[0] == 409)
    assert loser["error"]["code"] == "OFFER_UNAVAILABLE"
    winner = winner_order["rider_id"]
    loser_id = "rdr_b" if winner == "rdr_a" else "rdr_a"

    from paotui.orders.service import get_order

    order = get_order(ORDER_ID)
    assert (order.status, order.rider_id) == ("ASSIGNED", winner)
    assert [e.status for e in order.timeline].count("ASSIGNED") == 1
    assert int(rider_record(winner).active_orders) == 1
    assert int(rider_record(loser_id).active_orders) == 0
    by_rider = {o.rider_id: o.status for o in (offer(first.id), offer(second.id))}
    assert by_rider == {winner: "ACCEPTED", loser_id: "WITHDRAWN"}
    assert workflow.resolved == [(ORDER_ID, "assignment")]


def test_a_rider_accepting_two_orders_at_once_stays_within_capacity(aws, workflow, serialized_moto):
    """One of the two offers is taken. The other is refused: at capacity, or no longer available if the winner, which
    filled the rider, has withdrawn it already. Either way it ends WITHDRAWN and its order's wait is failed, so the
    order is offered again at once."""
    from paotui.riders.records import RiderRecord

    make_rider("rdr_a", near(SHOP, 100), capacity=2)
    make_order()
    make_order("ord_two")
    first = offered()
    second = offered(order_id="ord_two")
    rider_record("rdr_a").update(actions=[RiderRecord.capacity.set(1)])  # lowered while both offers are open

    results = race(serialized_moto, workflow, (first.id, "rdr_a"), (second.id, "rdr_a"))

    assert sorted(status for status, _ in results) == [200, 409], results
    _, refusal = next(r for r in results if r[0] == 409)
    assert refusal["error"]["code"] in {"RIDER_AT_CAPACITY", "OFFER_UNAVAILABLE"}
    assert int(rider_record("rdr_a").active_orders) == 1
    (left,) = [o for o in (first, second) if offer(o.id).status != "ACCEPTED"]
    assert offer(left.id).status == "WITHDRAWN"
    assert workflow.failed == [(left.order_id, "assignment", "OfferRejected", "the rider is full")]


def test_accepting_after_expiry_is_refused(api, workflow):
    make_rider("rdr_a", near(SHOP, 100))
    make_order()
    the_offer = offered()
    lapse(the_offer, ago=timedelta(milliseconds=1))

    status, body = api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_a")

    assert (status, body["error"]["code"]) == (409, "OFFER_UNAVAILABLE")
    assert body["error"]["details"]["status"] == "EXPIRED"
    from paotui.orders.service import get_order

    assert get_order(ORDER_ID).status == "CONFIRMED"
    assert int(rider_record("rdr_a").active_orders) == 0
    assert workflow.resolved == []


def test_accept_refusals_name_their_reason(api, workflow):
    from paotui.riders.records import RiderRecord

    make_rider("rdr_a", near(SHOP, 100), capacity=1)
    make_rider("rdr_b", near(SHOP, 900))
    make_order()
    the_offer = offered()

    status, body = api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_b")
    assert (status, body["error"]["code"]) == (403, "NOT_YOUR_OFFER")
    assert api.call("POST", "/offers/ofr_nope/accept", user="rdr_a")[0] == 404

    rider_record("rdr_a").update(actions=[RiderRecord.active_orders.set(1)])
    status, body = api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_a")
    assert (status, body["error"]["code"]) == (409, "RIDER_AT_CAPACITY")

    rider_record("rdr_a").update(actions=[RiderRecord.active_orders.set(0)])
    api.call("PUT", "/riders/me/availability", user="rdr_a", body={"online": False})
    status, body = api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_a")
    assert (status, body["error"]["code"]) == (409, "RIDER_OFFLINE")

    from paotui.orders.service import get_order

    assert get_order(ORDER_ID).status == "CONFIRMED"
    assert offer(the_offer.id).status == "OPEN"
    assert workflow.resolved == []


def test_rejecting_closes_the_offer_and_tells_the_watchdog(api, workflow):
    make_rider("rdr_a", near(SHOP, 100))
    make_order()
    the_offer = offered()

    status, body = api.call("POST", f"/offers/{the_offer.id}/reject", user="rdr_a", body={"reason": "太远了"})

    assert (status, body["id"], body["status"]) == (200, the_offer.id, "REJECTED")
    assert offer(the_offer.id).status == "REJECTED"
    assert offer(the_offer.id).decision_reason == "太远了"
    assert workflow.failed == [(ORDER_ID, "assignment", "OfferRejected", "太远了")]
    assert api.call("GET", "/riders/me/offers", user="rdr_a") == (200, [])
    status, body = api.call("POST", f"/offers/{the_offer.id}/accept", user="rdr_a")
    assert (status, body["error"]["code"]) == (409, "OFFER_UNAVAILABLE")


def test_rejecting_without_a_body_or_an_offer_no_longer_open(api, workflow):
    make_rider("rdr_a", near(SHOP, 100))
    make_order()
    make_order("ord_two")
    first = offered()
    second = offered(order_id="ord_two")

    assert api.call("POST", f"/offers/{first.id}/reject", user="rdr_a")[0] == 200
    assert workflow.failed == [(ORDER_ID, "assignment", "OfferRejected", "rejected by the rider")]

    assert api.call("POST", f"/offers/{second.id}/accept", user="rdr_a")[0] == 200
    status, body = api.call("POST", f"/offers/{second.id}/reject", user="rdr_a", body={})
    assert (status, body["error"]["code"]) == (409, "OFFER_UNAVAILABLE")
    assert len(workflow.failed) == 1
