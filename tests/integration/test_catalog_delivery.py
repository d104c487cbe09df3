"""Delivery settings against moto: an owner draws areas, and quotes and the nearby list follow them."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from tests.integration.builders import SHOP, answer, api_event, merchant_with_products, near

OWNER = {"user_id": "usr_owner", "roles": "merchant"}
OTHER = {"user_id": "usr_other", "roles": "merchant"}
ADMIN = {"user_id": "usr_admin", "roles": "admin"}

# a drawn area of about 1.1 x 0.95 km around the shop, [lng, lat]
LAT, LNG = SHOP["lat"], SHOP["lng"]
SQUARE = [
    [LNG - 0.005, LAT - 0.005],
    [LNG + 0.005, LAT - 0.005],
    [LNG + 0.005, LAT + 0.005],
    [LNG - 0.005, LAT + 0.005],
]
SQUARE.append(SQUARE[0])
INSIDE = near(SHOP, 400)
OUTSIDE = near(SHOP, 1500)  # beyond the square, within the 3 km radius below
DADA_SHOP = {"shop_no": "11047059", "city_code": "021"}
SETTINGS: dict[str, Any] = {
    "mode": "self",
    "carrier": None,
    "carrier_shop": None,
    "allow_carrier_fallback": False,
    "areas": [
        {
            "name": "步行圈",
            "priority": 10,
            "radius_m": None,
            "polygon": {"type": "Polygon", "coordinates": [SQUARE]},
            "min_order": 1000,
            "fees": {
                "base_fee": 200,
                "base_distance_m": 3000,
                "tiers": [],
                "surcharges": [
                    {"code": "night", "label": "夜间", "start": "22:00:00", "end": "06:00:00", "amount": 300}
                ],
                "weight": None,
                "free_over": None,
            },
        },
        {
            "name": "外圈",
            "priority": 0,
            "radius_m": 3000,
            "polygon": None,
            "min_order": 3000,
            "fees": {
                "base_fee": 600,
                "base_distance_m": 1000,
                "tiers": [{"up_to_m": 3000, "fee_per_km": 100}],
                "surcharges": [],
                "weight": None,
                "free_over": None,
            },
        },
    ],
}


class Api:
    def __init__(self) -> None:
        from paotui.catalog.api import router
        from paotui.catalog.delivery_api import router as delivery_router
        from paotui.platform.http import create_app

        self.app = create_app(router, delivery_router)

    def call(self, method: str, path: str, *, body: Any = None, who: dict | None = None, **query: str):
        return answer(self.app.resolve(api_event(method, path, body=body, query=query or None, authorizer=who), None))


@pytest.fixture
def api(aws):
    return Api()


@pytest.fixture
def shop(aws):
    merchant, (cheap, dear) = merchant_with_products(10, 10)  # prices 1000 and 1001
    return merchant, cheap, dear


def _quote(api: Api, merchant_id: str, product_id: str, quantity: int, point: dict[str, float]):
    body = {"merchant_id": merchant_id, "items": [{"product_id": product_id, "quantity": quantity}], "address": point}
    return api.call("POST", "/quotes", body=body)


def test_a_new_merchant_shows_its_starting_radius_as_one_area(api, shop):
    merchant, _, _ = shop
    status, settings = api.call("GET", f"/merchants/{merchant.id}/delivery", who=OWNER)
    assert status == 200 and settings["mode"] == "self"
    assert [(area["radius_m"], area["fees"]["base_fee"]) for area in settings["areas"]] == [(5000, 500)]


def test_quotes_follow_the_drawn_areas(api, shop):
    merchant, cheap, _ = shop
    status, saved = api.call("PUT", f"/merchants/{merchant.id}/delivery", body=SETTINGS, who=OWNER)
    assert (status, saved) == (200, SETTINGS)
    assert api.call("GET", f"/merchants/{merchant.id}/delivery", who=OWNER) == (200, SETTINGS)

    status, inside = _quote(api, merchant.id, cheap.id, 1, INSIDE)
    assert status == 200 and inside["delivery_fee"] in (200, 500)  # 500 when the test runs at night in Shanghai
    assert inside["breakdown"][0] == {"code": "base", "label": "基础配送费", "amount": 200}
    assert sum(line["amount"] for line in inside["breakdown"]) == inside["delivery_fee"]

    status, body = _quote(api, merchant.id, cheap.id, 1, OUTSIDE)  # the outer area's minimum is 3000
    assert (status, body["error"]["code"], body["error"]["details"]["min_order"]) == (422, "BELOW_MIN_ORDER", 3000)
    status, outside = _quote(api, merchant.id, cheap.id, 3, OUTSIDE)
    assert (status, outside["delivery_fee"], outside["distance_m"]) == (200, 600 + 100, 1498)

    status, body = _quote(api, merchant.id, cheap.id, 5, near(SHOP, 3500))
    assert (status, body["error"]["code"]) == (422, "OUT_OF_RANGE")  # the old 5 km radius no longer applies


def test_nearby_merchants_follow_the_areas(api, shop):
    merchant, _, _ = shop
    api.call("PUT", f"/merchants/{merchant.id}/delivery", body=SETTINGS, who=OWNER)
    for point, fee in ((INSIDE, 200), (OUTSIDE, 700)):
        status, page = api.call("GET", "/merchants", lat=str(point["lat"]), lng=str(point["lng"]))
        assert status == 200 and [card["id"] for card in page["items"]] == [merchant.id]
        assert page["items"][0]["delivery_fee"] in (fee, fee + 300)  # + the night surcharge, inside, at night
    far = near(SHOP, 3500)
    assert api.call("GET", "/merchants", lat=str(far["lat"]), lng=str(far["lng"]))[1]["items"] == []


def test_only_the_owner_or_an_admin_sees_and_changes_the_settings(api, shop):
    merchant, _, _ = shop
    path = f"/merchants/{merchant.id}/delivery"
    for method, body in (("GET", None), ("PUT", SETTINGS)):
        status, refused = api.call(method, path, body=body, who=OTHER)
        assert (status, refused["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")
    assert api.call("PUT", path, body=SETTINGS, who=ADMIN)[0] == 200
    status, body = api.call("GET", "/merchants/mer_nope/delivery", who=OWNER)
    assert (status, body["error"]["code"]) == (404, "MERCHANT_NOT_FOUND")
    assert api.call("GET", path, who={"user_id": "usr_c", "roles": "customer"})[0] == 403


def _with(change) -> dict[str, Any]:
    settings = copy.deepcopy(SETTINGS)
    change(settings)
    return settings


def _set(path: str, value: Any):
    def change(settings):
        *parents, last = path.split(".")
        node = settings
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_set("areas.0.polygon.coordinates", [SQUARE[:-1]]), "INVALID_POLYGON"),  # not closed
        (
            _set("areas.0.polygon.coordinates", [[SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3], SQUARE[0]]]),
            "INVALID_POLYGON",
        ),
        (_set("areas.1.radius_m", 20000), "AREA_TOO_LARGE"),
        (_set("areas.0.polygon.coordinates", [[[x + 0.2, y] for x, y in SQUARE]]), "AREA_TOO_LARGE"),  # 19 km east
        (_set("areas.1.fees.base_fee", -1), "VALIDATION_ERROR"),
        (
            _set("areas.1.fees.tiers", [{"up_to_m": 3000, "fee_per_km": 100}, {"up_to_m": 2000, "fee_per_km": 50}]),
            "VALIDATION_ERROR",
        ),
        (
            _set(
                "areas.1.fees.surcharges", [{"code": "x", "label": "x", "start": "25:00", "end": "01:00", "amount": 1}]
            ),
            "VALIDATION_ERROR",
        ),
        (
            _set(
                "areas.1.fees.surcharges",
                [{"code": "x", "label": "x", "start": "22:00Z", "end": "06:00Z", "amount": 1}],
            ),
            "VALIDATION_ERROR",
        ),  # windows are China time: an offset is refused, not left to fail every fee near the shop
        (_set("areas.0.radius_m", 500), "VALIDATION_ERROR"),  # both a radius and a polygon
        (_set("mode", "carrier"), "VALIDATION_ERROR"),  # without a carrier
        (_set("carrier", "dada"), "VALIDATION_ERROR"),  # a carrier in mode "self"
        (lambda settings: settings.update(mode="carrier", carrier="dada"), "VALIDATION_ERROR"),  # no shop there
        (_set("allow_carrier_fallback", True), "VALIDATION_ERROR"),  # a fallback to no carrier
        (
            lambda settings: settings.update(
                mode="carrier", carrier="dada", carrier_shop=DADA_SHOP, allow_carrier_fallback=True
            ),
            "VALIDATION_ERROR",
        ),  # a fallback from the carrier to itself
        (_set("areas", []), "VALIDATION_ERROR"),
        (_set("areas.0.colour", "red"), "VALIDATION_ERROR"),  # unknown field
    ],
)
def test_invalid_settings_are_422_and_change_nothing(api, shop, change, code):
    merchant, _, _ = shop
    path = f"/merchants/{merchant.id}/delivery"
    status, body = api.call("PUT", path, body=_with(change), who=OWNER)
    assert (status, body["error"]["code"]) == (422, code)
    assert api.call("GET", path, who=OWNER)[1]["areas"][0]["radius_m"] == 5000


def test_an_invalid_polygon_says_which_area_and_why(api, shop):
    merchant, _, _ = shop
    bow_tie = [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3], SQUARE[0]]
    settings = _with(_set("areas.0.polygon.coordinates", [bow_tie]))
    _, body = api.call("PUT", f"/merchants/{merchant.id}/delivery", body=settings, who=OWNER)
    assert body["error"]["details"] == {"reason": "self_intersects", "edges": [0, 2], "area": 0}


def test_a_polygon_far_beyond_the_reach_is_refused_without_computing_its_cover(api, shop, monkeypatch):
    """A 3 x 3 degree polygon's cover takes ~10 s and ~1 GB (the function has 15 s and 512 MB): refusing it must not
    wait for the cover, or the merchant gets a 5xx instead of AREA_TOO_LARGE. A 1 degree square shows the order."""
    from paotui.catalog import areas

    merchant, _, _ = shop
    covered = []
    monkeypatch.setattr(areas, "cover", lambda ring: covered.append(ring) or [])
    huge = [[LNG, LAT], [LNG + 1, LAT], [LNG + 1, LAT + 1], [LNG, LAT + 1], [LNG, LAT]]
    settings = _with(_set("areas.0.polygon.coordinates", [huge]))
    status, body = api.call("PUT", f"/merchants/{merchant.id}/delivery", body=settings, who=OWNER)
    assert (status, body["error"]["code"], body["error"]["details"]["area"]) == (422, "AREA_TOO_LARGE", 0)
    assert covered == []


def _jagged(corners: int, outer_m: float, inner_m: float) -> list[list[float]]:
    """A star around the shop: a ring of ``corners`` positions alternating between two distances (a detailed edge)."""
    ring = []
    for corner in range(corners):
        distance, angle = (outer_m if corner % 2 == 0 else inner_m), 2 * math.pi * corner / corners
        ring.append(
            [
                LNG + distance * math.cos(angle) / (111_320 * math.cos(math.radians(LAT))),
                LAT + distance * math.sin(angle) / 110_540,
            ]
        )
    return [*ring, ring[0]]


def test_detailed_areas_too_large_to_store_are_422_and_change_nothing(api, shop):
    """Four 200-corner polygons within 10 km are within every per-area limit, but their covers (~116 KB each) would
    exceed DynamoDB's 400 KB item: refused with the size, not a 5xx from the write."""
    merchant, _, _ = shop
    path = f"/merchants/{merchant.id}/delivery"
    area = copy.deepcopy(SETTINGS["areas"][0]) | {
        "polygon": {"type": "Polygon", "coordinates": [_jagged(200, 9900, 5000)]}
    }
    status, body = api.call("PUT", path, body=_with(_set("areas", [area] * 4)), who=OWNER)
    assert (status, body["error"]["code"]) == (422, "AREAS_TOO_DETAILED")
    assert body["error"]["details"]["bytes"] > body["error"]["details"]["max_bytes"]
    assert api.call("GET", path, who=OWNER)[1]["areas"][0]["radius_m"] == 5000


def test_a_carrier_merchant_keeps_its_setting(api, shop):
    merchant, _, _ = shop
    settings = _with(_set("mode", "carrier")) | {"carrier": "dada", "carrier_shop": DADA_SHOP}
    assert api.call("PUT", f"/merchants/{merchant.id}/delivery", body=settings, who=OWNER) == (200, settings)


def test_a_merchant_of_its_own_riders_may_fall_back_on_its_carrier(api, shop):
    merchant, _, _ = shop
    settings = _with(_set("allow_carrier_fallback", True)) | {"carrier": "dada", "carrier_shop": DADA_SHOP}
    assert api.call("PUT", f"/merchants/{merchant.id}/delivery", body=settings, who=OWNER) == (200, settings)
    assert api.call("GET", f"/merchants/{merchant.id}/delivery", who=OWNER) == (200, settings)
