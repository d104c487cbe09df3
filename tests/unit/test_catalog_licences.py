"""The dates on a shop's licences: what an operator may approve, and which reminder an owner is due."""

from __future__ import annotations

from datetime import date

import pytest

from paotui.catalog.documents import dated
from paotui.catalog.permit_reminders import due
from paotui.catalog.records import ShopDocumentMap
from paotui.platform.errors import Unprocessable

TODAY = date(2026, 11, 28)


def document(kind: str) -> ShopDocumentMap:
    return ShopDocumentMap(
        kind=kind, id=f"doc_{kind}", key=f"documents/u/{kind}", content_type="image/png", uploaded_at="x"
    )


@pytest.mark.parametrize(
    ("valid_until", "reminder"),
    [
        (date(2027, 1, 1), None),  # 34 days ahead
        (date(2026, 12, 28), "30d"),
        (date(2026, 12, 6), "30d"),
        (date(2026, 12, 5), "7d"),
        (TODAY, "7d"),  # valid through its last day
        (date(2026, 11, 27), "lapsed"),
        (date(2020, 1, 1), "lapsed"),
    ],
)
def test_the_reminder_due_is_the_latest_one_reached(valid_until, reminder):
    assert due(valid_until, TODAY) == reminder


def test_approved_licences_carry_the_days_read_and_a_business_licence_may_have_none():
    licence, permit = dated(
        [document("business_licence"), document("food_permit")],
        {"food_permit": date(2031, 5, 1), "business_licence": None},
        TODAY,
    )
    assert (licence.valid_until, permit.valid_until) == (None, "2031-05-01")
    assert (permit.id, permit.key) == ("doc_food_permit", "documents/u/food_permit"), "the same document, dated"


def test_a_food_permit_needs_its_day_and_no_licence_may_have_lapsed():
    with pytest.raises(Unprocessable) as refused:
        dated([document("food_permit")], {}, TODAY)
    assert (refused.value.code, refused.value.details) == ("VALID_UNTIL_REQUIRED", {"kind": "food_permit"})
    with pytest.raises(Unprocessable) as refused:
        dated([document("business_licence")], {"business_licence": date(2026, 11, 27)}, TODAY)
    assert refused.value.code == "LICENCE_EXPIRED"
    assert refused.value.details == {"kind": "business_licence", "valid_until": "2026-11-27"}
    assert dated([document("food_permit")], {"food_permit": TODAY}, TODAY)[0].valid_until == "2026-11-28"
