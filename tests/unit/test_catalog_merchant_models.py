"""The merchant console's request models: option groups, opening hours, partial edits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paotui.catalog.merchant_models import EditProduct, NewProduct, UpdateMerchant
from paotui.catalog.models import OptionGroup

SIZES = [{"name": "小"}, {"name": "大", "price_delta": 300}]


def test_an_option_group_picks_between_min_and_max_of_its_options():
    group = OptionGroup.model_validate({"name": "规格", "min": 1, "max": 1, "options": SIZES})
    assert group.options[1].price_delta == 300 and group.options[0].price_delta == 0


@pytest.mark.parametrize(
    "group",
    [
        {"name": "规格", "min": 2, "max": 1, "options": SIZES},  # min > max
        {"name": "规格", "min": 0, "max": 3, "options": SIZES},  # max > options
        {"name": "规格", "min": 0, "max": 0, "options": SIZES},
        {"name": "规格", "options": []},
        {"name": "规格", "options": [{"name": "大", "price_delta": -1}]},
        {"name": "规格", "options": SIZES, "colour": "red"},
    ],
)
def test_bad_option_groups_are_refused(group):
    with pytest.raises(ValidationError):
        OptionGroup.model_validate(group)


def test_a_new_product_states_its_stock_null_meaning_unlimited():
    product = NewProduct.model_validate({"name": "米饭", "price": 200, "stock": None})
    assert product.stock is None and product.on_sale
    with pytest.raises(ValidationError):
        NewProduct.model_validate({"name": "米饭", "price": 200})
    with pytest.raises(ValidationError):
        NewProduct.model_validate({"name": "米饭", "price": -1, "stock": 1})


def test_an_edit_names_only_what_changes_and_quotes_a_version():
    edit = EditProduct.model_validate({"version": 3, "stock": None})
    assert edit.model_fields_set == {"version", "stock"}
    with pytest.raises(ValidationError):
        EditProduct.model_validate({"price": 100})
    with pytest.raises(ValidationError):
        EditProduct.model_validate({"version": 3, "name": None})


def test_hours_are_checked_and_a_missing_day_is_closed():
    update = UpdateMerchant.model_validate({"hours": {"mon": [["10:00", "14:00"], ["17:00", "21:30"]]}})
    assert update.hours.model_dump()["tue"] == []
    with pytest.raises(ValidationError):
        UpdateMerchant.model_validate({"hours": {"mon": [["10:00", "14:00"], ["12:00", "21:30"]]}})
    with pytest.raises(ValidationError):
        UpdateMerchant.model_validate({"hours": {"mon": [["10:00"]]}})


@pytest.mark.parametrize("body", [{"prep_minutes": 0}, {"prep_minutes": 181}, {"paused": None}, {"open": True}])
def test_bad_profile_edits_are_refused(body):
    with pytest.raises(ValidationError):
        UpdateMerchant.model_validate(body)
