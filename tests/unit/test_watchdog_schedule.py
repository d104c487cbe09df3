"""When a scheduled order's dispatch starts and when an order is late, in the seconds the state machine waits."""

from datetime import UTC, datetime, timedelta

import pytest

from paotui.orders.records import AddressMap, ErrandMap, OrderRecord, PickupAddressMap
from paotui.platform import clock
from paotui.platform.dynamo import PlaceMap
from paotui.platform.settings import get_settings
from paotui.workflow import schedule

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
SHOP = PlaceMap(lat=31.2335, lng=121.4760, name="老王生煎")
HOME = AddressMap(
    lat=31.2335 + 3000 / 111_320, lng=121.4760, detail="3 km north", contact_name="陈", contact_phone="+8613800000301"
)


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("SCHEDULED_DISPATCH_LEAD_SECONDS", "600")
    monkeypatch.setenv("LATE_GRACE_SECONDS", "300")
    monkeypatch.setenv("DELIVERY_SPEED_M_PER_MIN", "250")
    monkeypatch.setenv("ROAD_DETOUR", "1.3")
    get_settings.cache_clear()
    monkeypatch.setattr("paotui.dispatch.workload.prep_minutes", lambda orders: {"mer_1": 15})
    yield
    get_settings.cache_clear()


def order(**fields) -> OrderRecord:
    return OrderRecord(**{"id": "ord_1", "merchant_id": "mer_1", "pickup": SHOP, "address": HOME, **fields})


def test_an_order_for_now_has_no_dispatch_time():
    assert schedule.dispatch_time(order()) is None


def test_a_scheduled_order_is_offered_its_prep_ride_and_lead_before_its_time():
    at = NOW + timedelta(hours=2)
    due = schedule.dispatch_time(order(scheduled_for=clock.iso(at)))
    ride = 3000 * 1.3 / 250  # minutes, dispatch's travel time (great circle × detour at the speed)
    assert due == pytest.approx(
        at - timedelta(minutes=15 + ride, seconds=600), abs=timedelta(seconds=5)
    )  # haversine vs 111.32 km a degree


def test_an_errand_picked_up_later_is_offered_the_lead_before_the_pickup():
    pickup = NOW + timedelta(hours=1)
    errand = ErrandMap(
        type="send", item="文件", pickup_address=PickupAddressMap(detail="x"), pickup_at=clock.iso(pickup)
    )
    assert schedule.dispatch_time(order(merchant_id=None, errand=errand)) == pickup - timedelta(seconds=600)
    errand.pickup_at = None
    assert schedule.dispatch_time(order(merchant_id=None, errand=errand)) is None


@pytest.mark.parametrize(
    ("moment", "seconds"),
    [
        (NOW + timedelta(seconds=10), 10),
        (NOW + timedelta(seconds=10, milliseconds=1), 11),  # rounded up: a wait never ends before its moment
        (NOW, 0),
        (NOW - timedelta(hours=1), 0),  # passed: at once
        (None, schedule.NEVER_SECONDS),
        (NOW + timedelta(days=10_000), schedule.NEVER_SECONDS),
    ],
)
def test_seconds_until(moment, seconds):
    assert schedule.seconds_until(moment, NOW) == seconds


def test_timers_count_to_the_dispatch_time_and_to_the_promise_plus_grace():
    promised = NOW + timedelta(minutes=40)
    scheduled = order(promised_at=clock.iso(promised), dispatch_at=clock.iso(NOW + timedelta(minutes=5)))
    assert schedule.timers(scheduled, NOW) == {"dispatch_in": 300, "late_in": 40 * 60 + 300}
    for_now = order(promised_at=clock.iso(NOW - timedelta(minutes=10)))
    assert schedule.timers(for_now, NOW) == {"dispatch_in": 0, "late_in": 0}, "already late: at once"
    assert schedule.timers(order(), NOW)["late_in"] == schedule.NEVER_SECONDS, "nothing promised: never late"
