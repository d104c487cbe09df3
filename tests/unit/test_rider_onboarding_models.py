"""Onboarding request shapes (riders.models): vehicles, capacity within the setting, service zones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paotui.platform.settings import get_settings
from paotui.riders.models import NewRider, RiderApplication, RiderChange

ZONE = {"center": {"lat": 31.2335, "lng": 121.4760}, "radius_m": 3000}
NEW = {"phone": "+8613900000001", "name": "王师傅", "vehicle": "scooter", "capacity": 4, "zone": ZONE}


@pytest.fixture
def max_capacity_6(monkeypatch):
    monkeypatch.setenv("RIDER_MAX_CAPACITY", "6")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_an_admin_names_phone_name_and_vehicle_and_may_set_capacity_and_zone():
    rider = NewRider.model_validate(NEW)
    assert (rider.vehicle, rider.capacity, rider.zone.radius_m) == ("scooter", 4, 3000)
    assert NewRider.model_validate({key: NEW[key] for key in ("phone", "name", "vehicle")}).capacity is None
    for bad in (
        {**NEW, "vehicle": "e-bike"},
        {**NEW, "phone": "13900000001"},
        {**NEW, "name": ""},
        {**NEW, "capacity": 0},
        {**NEW, "capacity": 11},
        {**NEW, "zone": {**ZONE, "radius_m": 499}},
        {**NEW, "zone": {**ZONE, "radius_m": 50_001}},
        {**NEW, "zone": {"center": {"lat": 31.2}, "radius_m": 1000}},
        {**NEW, "status": "APPROVED"},
    ):
        with pytest.raises(ValidationError):
            NewRider.model_validate(bad)


def test_the_most_a_rider_may_carry_is_a_setting(max_capacity_6):
    assert NewRider.model_validate({**NEW, "capacity": 6}).capacity == 6
    with pytest.raises(ValidationError):
        NewRider.model_validate({**NEW, "capacity": 7})


def test_an_application_has_no_phone_nor_capacity_the_user_decides():
    assert RiderApplication.model_validate({"name": "小李", "vehicle": "walk"}).zone is None
    for bad in ({"name": "小李"}, {"name": "小李", "vehicle": "walk", "capacity": 3}):
        with pytest.raises(ValidationError):
            RiderApplication.model_validate(bad)


def test_a_change_names_what_it_changes_and_a_null_zone_removes_it():
    assert RiderChange.model_validate({"status": "SUSPENDED"}).changes() == {"status": "SUSPENDED"}
    assert RiderChange.model_validate({"zone": None}).changes() == {"zone": None}
    assert RiderChange.model_validate({"capacity": 2, "zone": ZONE}).changes() == {"capacity": 2, "zone": ZONE}
    for bad in ({}, {"status": "PENDING"}, {"status": "GONE"}, {"name": "x"}):
        with pytest.raises(ValidationError):
            RiderChange.model_validate(bad)
