"""Address book requests: China's bounds, field limits, and which PATCH fields count as named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paotui.accounts.models import EditAddress, NewAddress

PLACE = {
    "label": "家",
    "contact_name": "陈女士",
    "contact_phone": "+8613800000301",
    "detail": "人民广场 1 号楼",
    "location": {"lat": 31.2304, "lng": 121.4737},
}


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 3.8, "lng": 73.5},  # the box's corners are in
        {"lat": 53.6, "lng": 135.1},
        {"lat": 22.28, "lng": 114.16},
    ],
)
def test_points_in_china_are_accepted(location):
    assert NewAddress.model_validate({**PLACE, "location": location}).location.lat == location["lat"]


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 3.79, "lng": 121.0},
        {"lat": 53.61, "lng": 121.0},
        {"lat": 31.0, "lng": 73.49},
        {"lat": 31.0, "lng": 135.11},
        {"lat": 48.85, "lng": 2.35},  # Paris
        {"lat": 121.4737, "lng": 31.2304},  # lat and lng swapped
        {"lat": 31.2},
    ],
)
def test_points_outside_china_are_refused(location):
    with pytest.raises(ValidationError):
        NewAddress.model_validate({**PLACE, "location": location})


@pytest.mark.parametrize(
    "change",
    [
        {"contact_phone": "13800000301"},  # not E.164
        {"contact_name": ""},
        {"detail": "x" * 201},
        {"label": "x" * 21},
        {"colour": "blue"},  # unknown field
    ],
)
def test_bad_fields_are_refused(change):
    with pytest.raises(ValidationError):
        NewAddress.model_validate({**PLACE, **change})


def test_a_new_address_is_not_the_default_unless_asked():
    assert NewAddress.model_validate(PLACE).is_default is False
    assert NewAddress.model_validate({**PLACE, "label": None}).label is None


def test_an_edit_names_only_the_fields_sent():
    edit = EditAddress.model_validate({"detail": "2 号楼", "label": None})
    assert edit.model_dump(exclude_unset=True) == {"detail": "2 号楼", "label": None}
    with pytest.raises(ValidationError):
        EditAddress.model_validate({"contact_name": None})  # required fields can't be cleared
    with pytest.raises(ValidationError):
        EditAddress.model_validate({"location": {"lat": 0, "lng": 0}})
