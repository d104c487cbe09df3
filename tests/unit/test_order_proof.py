"""The rider's status flow, pure parts (orders.proof): geofence distances, the 收货码, which proofs an order takes,
what a transition request may carry, and the 收货码 in the customer's DELIVERING message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paotui.notify.order_templates import order_message
from paotui.orders import proof
from paotui.orders.models import TransitionRequest
from paotui.orders.records import OrderRecord
from paotui.platform.uploads import sniff

STORE = (31.2335, 121.4760)
METRES_PER_DEGREE_LAT = 111_195  # on the sphere haversine uses


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / METRES_PER_DEGREE_LAT, point[1]


@pytest.mark.parametrize(("metres", "inside"), [(0, True), (120, True), (299, True), (301, False), (5_000, False)])
def test_the_geofence_is_a_radius_around_the_place(metres, inside):
    result, distance = proof.within(STORE, north_of(STORE, metres), 300)
    assert (result, distance) == (inside, metres)


def test_no_position_is_outside_at_no_known_distance():
    assert proof.within(STORE, None, 300) == (False, None)


def test_distance_is_symmetric_and_counts_east_west_too():
    east = (STORE[0], STORE[1] + 0.01)  # ~950 m at Shanghai's latitude
    assert proof.distance_m(STORE, east) == proof.distance_m(east, STORE)
    assert 930 < proof.distance_m(STORE, east) < 970


def test_delivery_codes_are_four_digits_from_the_secure_source(monkeypatch):
    codes = {proof.new_delivery_code() for _ in range(300)}
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(codes) > 200, "random, not a counter or a constant"
    monkeypatch.setattr(proof.secrets, "randbelow", lambda bound: 7 if bound == 10_000 else 0)
    assert proof.new_delivery_code() == "0007", "leading zeros kept"


def _errand(**fields) -> OrderRecord:
    return OrderRecord("ord_1", **{"merchant_id": None, "channel": "mini_program", "delivery_code": "0421", **fields})


def test_an_errand_is_proven_by_the_customers_code_by_default():
    assert proof.accepted_proofs(_errand()) == {"code"}


@pytest.mark.parametrize(
    ("fields", "accepted"),
    [
        ({"channel": "eleme"}, {"photo"}),  # the platform's customer never sees our code
        ({"delivery_code": None}, {"photo"}),  # placed before codes existed
        ({"delivery_code_attempts": 5}, {"code", "photo"}),  # locked: the code answers 409, a photo still works
        ({"channel": "phone"}, {"code"}),  # the customer got it by SMS
    ],
)
def test_a_code_nobody_can_give_is_replaced_by_a_photo(fields, accepted):
    assert proof.accepted_proofs(_errand(**fields)) == accepted


def test_each_rule_names_what_it_accepts():
    kinds = proof.PROOF_KINDS
    assert kinds == {"code": {"code"}, "photo": {"photo"}, "code_or_photo": {"code", "photo"}, "none": set()}


@pytest.mark.parametrize(
    "body",
    [
        {"to": "PICKING_UP", "proof": {"code": "1234"}},
        {"to": "DELIVERED", "items_checked": True},
        {"to": "DELIVERED", "failure_reason": "unreachable"},
        {"to": "DELIVERED", "proof": {"code": "1234", "photo_key": "proofs/ord_1/pho_1"}},
        {"to": "DELIVERED", "proof": {}},
        {"to": "DELIVERED", "proof": {"code": "123"}},
        {"to": "DELIVERED", "proof": {"code": "12a4"}},
        {"to": "DELIVERY_FAILED", "failure_reason": "no_reason_at_all"},
        {"to": "PICKING_UP", "position": {"lat": 91, "lng": 121}},
        {"to": "DELIVERING", "items_checked": "yes"},
    ],
)
def test_reports_must_fit_the_move(body):
    with pytest.raises(ValidationError):
        TransitionRequest.model_validate(body)


def test_a_full_report_parses():
    report = TransitionRequest.model_validate(
        {"to": "DELIVERED", "position": {"lat": 31.23, "lng": 121.47}, "proof": {"code": "0042"}, "reason": "x"}
    )
    assert (report.proof.code, report.proof.photo_key, report.position.lat) == ("0042", None, 31.23)
    assert TransitionRequest.model_validate({"to": "DELIVERING", "items_checked": ["prd_1"]}).items_checked == ["prd_1"]


def test_the_on_its_way_message_tells_the_code():
    order = {"id": "ord_abcdef", "delivery_code": "0421"}
    zh = order_message("DELIVERING", "customer", order)
    en = order_message("DELIVERING", "customer", order, locale="en")
    assert zh.body.endswith("收货码 0421，收货时请告诉骑手。")
    assert en.body.endswith("Your delivery code is 0421: tell it to the rider at the door.")
    delivered = order_message("DELIVERED", "customer", order)
    assert "0421" not in delivered.body, "only the DELIVERING message carries it"


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 12, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<html>hello</html>", None),
        (b"GIF89a", None),
    ],
)
def test_uploads_are_known_by_their_first_bytes(start, kind):
    assert sniff(start) == kind
