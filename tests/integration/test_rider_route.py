"""A rider's route and each order's next place, against moto: RidersApi's and OrdersApi's handlers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from paotui.platform import clock
from tests.integration.builders import (
    CUSTOMER,
    DELIVERY,
    LAMBDA_CONTEXT,
    SHOP,
    answer,
    api_event,
    load_handler,
    make_order,
    make_rider,
    near,
)

METRES_PER_MINUTE = 250 / 1.3  # settings: delivery_speed_m_per_min over road_detour, on great-circle metres


class Api:
    """A function's handler, called as API Gateway calls it once the authorizer let the caller in."""

    def __init__(self, logical_id: str):
        self.handler = load_handler(logical_id)

    def get(self, path: str, *, user: str, roles: str = "rider"):
        return answer(
            self.handler(api_event("GET", path, authorizer={"user_id": user, "roles": roles}), LAMBDA_CONTEXT)
        )


@pytest.fixture
def riders(aws) -> Api:
    return Api("RidersApi")


@pytest.fixture
def orders(aws) -> Api:
    return Api("OrdersApi")


def store(name: str, north_m: float, prep_minutes: int):
    from paotui.catalog.service import create_merchant

    return create_merchant(
        "usr_owner", name, "+8613800000101", near(SHOP, north_m), "南京东路 100 号", DELIVERY, prep_minutes
    )


def carried(order_id: str, status: str, *, merchant=None, door_north_m: float, rider_id: str = "rdr_a"):
    """An order ``rider_id`` carries, from ``merchant`` (its store) to a door ``door_north_m`` north of SHOP,
    confirmed a minute ago."""
    from paotui.orders.records import AddressMap, TimelineEntryMap
    from paotui.platform.dynamo import PlaceMap

    order = make_order(order_id, status=status, rider_id=rider_id)
    confirmed = clock.iso(clock.now() - timedelta(minutes=1))
    order.timeline = [TimelineEntryMap(status=s, at=confirmed, by="test") for s in ("PAID", "CONFIRMED")]
    order.timeline.append(TimelineEntryMap(status=status, at=clock.now_iso(), by="rdr_a"))
    door = near(SHOP, door_north_m)
    order.address = AddressMap(
        lat=door["lat"],
        lng=door["lng"],
        detail=f"{order_id} 号门",
        contact_name="陈女士",
        contact_phone="+8613800000301",
    )
    if merchant is not None:
        order.merchant_id = merchant.id
        order.pickup = PlaceMap(lat=merchant.location.lat, lng=merchant.location.lng, name=merchant.name)
    order.save()
    return order, clock.parse_iso(confirmed)


def minutes_after(text: str, start: str) -> float:
    return (clock.parse_iso(text) - clock.parse_iso(start)).total_seconds() / 60


def test_a_rider_with_two_stores_and_an_order_on_board_gets_the_best_order_of_stops(riders):
    """All on one line north of the rider: the carried order's door at 400 m, store A at 800 m (30 minutes of
    prep), store B at 1200 m (ready), their doors at 1600 m and 2000 m. Waiting at A would hold everyone up;
    the best is to deliver the carried order, take B's out and come back for A once it is ready."""
    make_rider("rdr_a", near(SHOP, 0))
    kitchen_a, kitchen_b = store("慢炖小馆", 800, prep_minutes=30), store("快餐店", 1200, prep_minutes=0)
    _, confirmed_a = carried("ord_a", "ASSIGNED", merchant=kitchen_a, door_north_m=1600)
    carried("ord_b", "PICKING_UP", merchant=kitchen_b, door_north_m=2000)
    carried("ord_c", "DELIVERING", door_north_m=400)
    make_order("ord_other", status="ASSIGNED", rider_id="rdr_b")  # someone else's
    make_order("ord_done", status="DELIVERED", rider_id="rdr_a")  # no longer on the way

    status, route = riders.get("/riders/me/route", user="rdr_a")

    assert status == 200
    assert [(s["kind"], s["order_ids"]) for s in route["stops"]] == [
        ("dropoff", ["ord_c"]),
        ("pickup", ["ord_b"]),
        ("dropoff", ["ord_b"]),
        ("pickup", ["ord_a"]),
        ("dropoff", ["ord_a"]),
    ]
    assert route["position"]["lat"] == pytest.approx(SHOP["lat"]) and route["position"]["at"]
    start = route["generated_at"]
    etas = [minutes_after(s["eta"], start) for s in route["stops"]]
    assert etas[:3] == pytest.approx(
        [400 / METRES_PER_MINUTE, 1200 / METRES_PER_MINUTE, 2000 / METRES_PER_MINUTE], abs=0.05
    )
    pickup_a = route["stops"][3]
    assert pickup_a["ready_at"] == clock.iso(confirmed_a + timedelta(minutes=30))  # confirmed + the kitchen's prep
    assert pickup_a["eta"] < pickup_a["ready_at"] == pickup_a["depart_at"]  # waits at the store
    assert minutes_after(route["stops"][4]["eta"], pickup_a["depart_at"]) == pytest.approx(
        800 / METRES_PER_MINUTE, abs=0.05
    )
    assert route["stops"][1]["place"] == {
        "name": "快餐店",
        "lat": pytest.approx(near(SHOP, 1200)["lat"]),
        "lng": pytest.approx(SHOP["lng"]),
        "detail": None,
    }
    assert route["stops"][0]["place"]["detail"] == "ord_c 号门" and route["stops"][0]["ready_at"] is None
    links = route["stops"][1]["links"]  # an e-bike rider: riding routes
    assert links["amap"]["app"].startswith("amapuri://route/plan/?") and links["amap"]["app"].endswith("&t=3")
    assert links["tencent"]["app"].startswith("qqmap://map/routeplan?type=bike&")
    assert "coord_type=bd09ll" in links["baidu"]["app"] and "&mode=riding&" in links["baidu"]["app"]
    assert links["baidu"]["web"]  # web pages start at the stop before, so Baidu's has its origin


def test_orders_of_one_store_share_their_pickup_stop(riders):
    make_rider("rdr_a", near(SHOP, 0))
    kitchen = store("老王生煎", 500, prep_minutes=0)
    carried("ord_a", "ASSIGNED", merchant=kitchen, door_north_m=1000)
    carried("ord_b", "ASSIGNED", merchant=kitchen, door_north_m=1500)

    status, route = riders.get("/riders/me/route", user="rdr_a")

    assert status == 200
    assert [(s["kind"], s["order_id"], s["order_ids"]) for s in route["stops"]] == [
        ("pickup", "ord_a", ["ord_a", "ord_b"]),
        ("dropoff", "ord_a", ["ord_a"]),
        ("dropoff", "ord_b", ["ord_b"]),
    ]


def test_a_rider_with_nothing_to_carry_has_no_stops(riders):
    make_rider("rdr_a", near(SHOP, 0))
    make_order("ord_done", status="DELIVERED", rider_id="rdr_a")
    status, route = riders.get("/riders/me/route", user="rdr_a")
    assert (status, route["stops"]) == (200, [])


def test_no_route_before_the_rider_reports_a_location(riders):
    make_rider("rdr_a", None, online=False)
    carried("ord_c", "DELIVERING", door_north_m=400)
    status, body = riders.get("/riders/me/route", user="rdr_a")
    assert (status, body["error"]["code"]) == (409, "LOCATION_REQUIRED")


def test_only_registered_riders_have_a_route(riders):
    status, body = riders.get("/riders/me/route", user="usr_new_rider")
    assert (status, body["error"]["code"]) == (404, "RIDER_NOT_FOUND")
    make_rider("rdr_a", near(SHOP, 0))
    status, _ = riders.get("/riders/me/route", user="rdr_a", roles="customer")
    assert status == 403


def test_an_order_shows_its_rider_where_to_go_next(orders):
    make_rider("rdr_a", near(SHOP, 0))
    kitchen = store("老王生煎", 500, prep_minutes=10)
    carried("ord_a", "ASSIGNED", merchant=kitchen, door_north_m=1000)

    status, view = orders.get("/orders/ord_a", user="rdr_a")
    assert status == 200
    assert view["navigation"]["target"] == "pickup"
    assert "dlat=" + f"{kitchen.location.lat:.6f}" in view["navigation"]["links"]["amap"]["app"]
    assert view["navigation"]["links"]["baidu"]["web"]  # from the rider's last position

    carried("ord_a", "DELIVERING", merchant=kitchen, door_north_m=1000)
    status, view = orders.get("/orders/ord_a", user="rdr_a")
    assert view["navigation"]["target"] == "dropoff"
    assert "tocoord=" + f"{near(SHOP, 1000)['lat']:.6f}," in view["navigation"]["links"]["tencent"]["app"]


def test_only_the_orders_rider_sees_the_way_and_only_while_it_is_on_it(orders):
    make_rider("rdr_a", near(SHOP, 0))
    carried("ord_a", "PICKING_UP", door_north_m=1000)

    status, view = orders.get("/orders/ord_a", user=CUSTOMER.user_id, roles="customer")
    assert status == 200 and view["navigation"] is None
    status, view = orders.get("/orders/ord_a", user="usr_admin", roles="admin")
    assert status == 200 and view["navigation"] is None
    status, _ = orders.get("/orders/ord_a", user="rdr_b")
    assert status == 404  # not theirs to see at all

    carried("ord_a", "DELIVERED", door_north_m=1000)
    status, view = orders.get("/orders/ord_a", user="rdr_a")
    assert status == 200 and view["navigation"] is None


def test_the_sample_event_is_answered(riders):
    sample = Path(__file__).resolve().parents[2] / "events" / "RidersApi" / "get-route.json"
    event = json.loads(sample.read_text())
    make_rider(event["requestContext"]["authorizer"]["user_id"], near(SHOP, 0))
    status, route = answer(riders.handler(event, LAMBDA_CONTEXT))
    assert (status, route["stops"]) == (200, [])
