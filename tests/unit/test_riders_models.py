"""Riders API request shapes: strict, bounded, no unknown fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paotui.riders.models import RejectOffer, UpdateAvailability, UpdateLocation


def test_location_is_a_bounded_coordinate():
    assert UpdateLocation.model_validate({"lat": 31.23, "lng": 121.47}).lat == 31.23
    for bad in ({"lat": 91, "lng": 0}, {"lat": 0, "lng": 181}, {"lat": 0}, {"lat": 0, "lng": 0, "accuracy": 5}):
        with pytest.raises(ValidationError):
            UpdateLocation.model_validate(bad)


def test_availability_takes_a_real_boolean():
    assert UpdateAvailability.model_validate({"online": True}).online is True
    for bad in ({"online": "yes"}, {"online": 1}, {}):
        with pytest.raises(ValidationError):
            UpdateAvailability.model_validate(bad)


def test_a_rejection_reason_is_optional_but_not_empty():
    assert RejectOffer.model_validate({}).reason is None
    assert RejectOffer.model_validate({"reason": " 太远了 "}).reason == "太远了"
    with pytest.raises(ValidationError):
        RejectOffer.model_validate({"reason": ""})
    with pytest.raises(ValidationError):
        RejectOffer.model_validate({"reason": "x" * 201})
