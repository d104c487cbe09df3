"""Location updates against moto, through RidersApi: the rate limit, batches, suspect jumps, order tracks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paotui.platform import clock
from tests.integration.builders import (
    CUSTOMER,
    ORDER_ID,
    SHOP,
    SignedInApi,
    answer,
    make_order,
    make_rider,
    merchant_with_products,
    near,
    quiet_for,
)


@pytest.fixture
def api(aws) -> SignedInApi:
    return SignedInApi("RidersApi")


def put_location(api: SignedInApi, rider_id: str, body: dict) -> tuple[int, dict]:
    return api.call("PUT", "/riders/me/location", user=rider_id, roles="rider", body=body)


def batch(*points: tuple[dict, float]) -> dict:
    """``{"points": [...]}`` of (place, seconds ago)."""
    now = clock.now()
    return {"points": [{**place, "at": clock.iso(now - timedelta(seconds=ago))} for place, ago in points]}


def stored(rider_id: str):
    from paotui.riders.records import RiderRecord

    return RiderRecord.get(rider_id, consistent_read=True)


def carrying(rider_id: str, status: str, order_id: str = ORDER_ID):
    """The rider carries one order, in ``status``."""
    from paotui.riders.records import RiderRecord

    RiderRecord(rider_id).update(actions=[RiderRecord.active_orders.set(1)])
    return make_order(order_id, status=status, rider_id=rider_id)


def track(order_id: str = ORDER_ID):
    from paotui.riders.records import RiderTrackRecord

    return list(RiderTrackRecord.query(order_id))


def test_one_update_per_interval_a_faster_one_is_429_and_changes_nothing(api):
    make_rider("rdr_a", near(SHOP, 0))  # created on duty: the app's first report right after is welcome
    status, view = put_location(api, "rdr_a", near(SHOP, 30))
    assert (status, view["accepted"], view["flagged"], view["state"]) == (200, 1, 0, "online")
    before = stored("rdr_a")

    response = api.response("PUT", "/riders/me/location", user="rdr_a", roles="rider", body=near(SHOP, 60))
    status, body = answer(response)
    assert (status, body["error"]["code"]) == (429, "TOO_MANY_UPDATES")
    assert 1 <= body["error"]["details"]["retry_after"] <= 3
    assert response["multiValueHeaders"]["Retry-After"] == [str(body["error"]["details"]["retry_after"])]
    after = stored("rdr_a")
    assert (after.version, after.heard_at, after.location.lat) == (before.version, before.heard_at, before.location.lat)

    quiet_for("rdr_a", 3)
    status, view = put_location(api, "rdr_a", near(SHOP, 60))
    assert status == 200 and view["location"]["lat"] == pytest.approx(near(SHOP, 60)["lat"])


def test_a_batch_counts_once_and_moves_the_rider_to_its_newest_trusted_point(api):
    from paotui.platform.geo import cell_of

    make_rider("rdr_a", near(SHOP, 0))
    quiet_for("rdr_a", 60)
    body = batch((near(SHOP, 200), 40), (near(SHOP, 600), 20), (near(SHOP, 400), 30))  # out of order on purpose
    status, view = put_location(api, "rdr_a", body)
    assert (status, view["accepted"], view["flagged"]) == (200, 3, 0)
    rider = stored("rdr_a")
    assert float(rider.location.lat) == pytest.approx(near(SHOP, 600)["lat"])
    assert rider.location_at == body["points"][1]["at"]
    assert rider.cell == cell_of(**near(SHOP, 600), resolution=8)
    status, body = put_location(api, "rdr_a", near(SHOP, 610))
    assert (status, body["error"]["code"]) == (429, "TOO_MANY_UPDATES")


def test_an_impossible_jump_is_flagged_and_moves_neither_the_rider_nor_their_cell(api):
    make_rider("rdr_a", near(SHOP, 0))
    quiet_for("rdr_a", 60)
    before = stored("rdr_a")
    status, view = put_location(api, "rdr_a", near(SHOP, 20_000))  # 20 km in a minute: 1200 km/h
    assert (status, view["accepted"], view["flagged"]) == (200, 0, 1)
    after = stored("rdr_a")
    assert (after.location.lat, after.location_at, after.cell) == (before.location.lat, before.location_at, before.cell)
    assert after.heard_at > before.heard_at  # heard from all the same: not silent

    quiet_for("rdr_a", 60)
    body = batch((near(SHOP, 500), 30), (near(SHOP, 30_000), 20), (near(SHOP, 800), 10))
    status, view = put_location(api, "rdr_a", body)
    assert (status, view["accepted"], view["flagged"]) == (200, 2, 1)
    assert float(stored("rdr_a").location.lat) == pytest.approx(near(SHOP, 800)["lat"])


def test_off_duty_the_old_position_is_not_held_against_the_rider(api):
    make_rider("rdr_a", near(SHOP, 0), online=False)
    status, view = put_location(api, "rdr_a", near(SHOP, 20_000))  # went home by metro, phone off
    assert (status, view["accepted"], view["flagged"]) == (200, 1, 0)
    assert float(stored("rdr_a").location.lat) == pytest.approx(near(SHOP, 20_000)["lat"])
    assert stored("rdr_a").cell is None


def test_points_from_the_future_or_too_old_are_refused_and_change_nothing(api):
    make_rider("rdr_a", near(SHOP, 0))
    version = int(stored("rdr_a").version)
    for body, code in (
        (batch((near(SHOP, 10), 0), (near(SHOP, 20), -120)), "POINT_IN_FUTURE"),
        (batch((near(SHOP, 10), 601)), "POINT_TOO_OLD"),
    ):
        status, answer_body = put_location(api, "rdr_a", body)
        assert (status, answer_body["error"]["code"]) == (422, code)
    for bad in ({"points": []}, {"lat": 31.2}, {**near(SHOP, 0), "points": []}):
        status, answer_body = put_location(api, "rdr_a", bad)
        assert (status, answer_body["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert int(stored("rdr_a").version) == version and track() == []


def test_a_point_time_beyond_the_calendar_in_utc_is_422_not_a_500(api):
    make_rider("rdr_a", near(SHOP, 0))
    version = int(stored("rdr_a").version)
    for at in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"):  # year 10000 / year 0 in UTC
        status, body = put_location(api, "rdr_a", {"points": [{**near(SHOP, 10), "at": at}]})
        assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR"), at
    assert int(stored("rdr_a").version) == version


def test_points_go_to_the_track_of_an_order_on_its_way_with_a_ttl(api):
    make_rider("rdr_a", near(SHOP, 0))
    carrying("rdr_a", "DELIVERING")
    quiet_for("rdr_a", 60)
    body = batch((near(SHOP, 300), 20), (near(SHOP, 40_000), 15), (near(SHOP, 500), 10))
    put_location(api, "rdr_a", body)

    points = track()
    assert [(p.at, p.suspect, p.rider_id) for p in points] == [
        (body["points"][0]["at"], False, "rdr_a"),
        (body["points"][1]["at"], True, "rdr_a"),
        (body["points"][2]["at"], False, "rdr_a"),
    ]
    expires = clock.parse_iso(body["points"][0]["at"]) + timedelta(days=7)  # settings.rider_track_ttl_days
    assert points[0].ttl == expires.replace(microsecond=0)


def test_a_point_sent_again_in_a_later_batch_is_on_the_track_once(api):
    """The app resends what it could not confirm, with newer points around it: the map shows each place once."""
    make_rider("rdr_a", near(SHOP, 0))
    carrying("rdr_a", "DELIVERING")
    quiet_for("rdr_a", 60)
    first = batch((near(SHOP, 300), 30), (near(SHOP, 400), 20))
    assert put_location(api, "rdr_a", first)[0] == 200
    quiet_for("rdr_a", 60)
    again = {"points": [first["points"][1], {**near(SHOP, 500), "at": clock.iso(clock.now() - timedelta(seconds=10))}]}
    assert put_location(api, "rdr_a", again)[0] == 200
    assert [p.at for p in track()] == sorted({p["at"] for p in first["points"] + again["points"]})


def test_only_orders_picked_up_or_on_their_way_are_tracked(api):
    make_rider("rdr_a", near(SHOP, 0))
    carrying("rdr_a", "ASSIGNED")
    quiet_for("rdr_a", 60)
    put_location(api, "rdr_a", near(SHOP, 100))
    assert track() == []


def test_who_sees_the_track_and_when(api):
    from paotui.orders.records import OrderRecord

    merchant, _ = merchant_with_products(1, owner_id="usr_owner")
    make_rider("rdr_a", near(SHOP, 0))
    order = carrying("rdr_a", "PICKING_UP")
    order.update(actions=[OrderRecord.merchant_id.set(merchant.id)])
    quiet_for("rdr_a", 60)
    put_location(api, "rdr_a", near(SHOP, 100))
    path = f"/orders/{ORDER_ID}/track"

    def seen(user: str, roles: str) -> int | str:
        status, body = api.call("GET", path, user=user, roles=roles)
        return len(body["points"]) if status == 200 else body["error"]["code"]

    callers = {
        "customer": (CUSTOMER.user_id, "customer"),
        "merchant": ("usr_owner", "merchant"),
        "rider": ("rdr_a", "rider"),
        "admin": ("usr_admin", "admin"),
        "stranger": ("usr_stranger", "customer,rider"),
    }
    assert {who: seen(*caller) for who, caller in callers.items()} == {
        "customer": 0,  # not on its way yet
        "merchant": 1,
        "rider": 1,
        "admin": 1,
        "stranger": "ORDER_NOT_FOUND",
    }
    order.update(actions=[OrderRecord.status.set("DELIVERING")])
    assert seen(*callers["customer"]) == 1
    status, body = api.call("GET", path, user=CUSTOMER.user_id, roles="customer")
    assert body["order_id"] == ORDER_ID
    assert set(body["points"][0]) == {"lat", "lng", "at", "suspect"}
    order.update(actions=[OrderRecord.status.set("DELIVERED")])
    assert {who: seen(*callers[who]) for who in ("customer", "merchant", "rider")} == {
        "customer": 0,
        "merchant": 0,
        "rider": 1,
    }
