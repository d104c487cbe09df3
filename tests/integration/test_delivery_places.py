"""Finding where a phone order's address is, against moto and a fake AMap that checks keys and signatures as AMap
does: CatalogApi's ``GET /merchants/{merchantId}/delivery/places``."""

from __future__ import annotations

import pytest

from tests.integration.builders import SignedInApi, merchant_with_products, provider_secret
from paotui_local.fakes.amap import FakeAMap, Place

OWNER = {"user": "usr_owner", "roles": "merchant"}


@pytest.fixture
def amap(aws, monkeypatch):
    """A fresh AMap, its key (signatures on) in AMapSecret as an operator sets it."""
    with FakeAMap() as fake:
        provider_secret(monkeypatch, "AMAP_SECRET_ARN", fake.secret_json())
        yield fake


@pytest.fixture
def catalog_api(aws):
    return SignedInApi("CatalogApi")


def places(api, merchant_id: str, who: dict = OWNER, **query: str):
    return api.call("GET", f"/merchants/{merchant_id}/delivery/places", **who, query=query)


def test_an_address_is_found_with_its_distance_and_whether_the_store_delivers_there(amap, catalog_api):
    merchant, _ = merchant_with_products()  # on 南京东路, delivering within 5 km
    status, found = places(catalog_api, merchant.id, address="上海市黄浦区人民广场 1 号楼")
    assert status == 200
    (place,) = found["items"]
    assert (place["formatted_address"], place["district"], place["level"]) == (
        "上海市黄浦区人民广场",
        "黄浦区",
        "兴趣点",
    )
    assert (place["lat"], place["lng"]) == (31.2317, 121.4726)
    assert 300 < place["distance_m"] < 400 and place["deliverable"] is True
    (sent,) = amap.requests
    assert (sent["address"], sent["output"]) == ("上海市黄浦区人民广场 1 号楼", "JSON")
    assert "sig" in sent, "the key has signatures on: every request is signed"

    far = places(catalog_api, merchant.id, address="虹桥火车站")[1]["items"]
    assert [(p["district"], p["deliverable"]) for p in far] == [("闵行区", False)]
    assert far[0]["distance_m"] > 15_000


def test_a_name_in_two_cities_lists_the_nearer_first_or_only_the_city_asked_for(amap, catalog_api):
    merchant, _ = merchant_with_products()
    both = places(catalog_api, merchant.id, address="中山公园")[1]["items"]
    assert [p["formatted_address"] for p in both] == ["上海市长宁区中山公园", "北京市东城区中山公园"]
    assert [p["deliverable"] for p in both] == [False, False], "长宁 is 6 km away, past the 5 km the store serves"
    beijing = places(catalog_api, merchant.id, address="中山公园", city="北京")[1]["items"]
    assert [p["district"] for p in beijing] == ["东城区"]
    assert amap.requests[-1]["city"] == "北京"


def test_an_address_amap_does_not_know_finds_nothing(amap, catalog_api):
    merchant, _ = merchant_with_products()
    assert places(catalog_api, merchant.id, address="火星基地 1 号") == (200, {"items": []})


def test_amap_refusing_or_unreachable_is_a_502_and_no_lookup_set_up_a_503(amap, catalog_api, monkeypatch):
    merchant, _ = merchant_with_products()
    amap.private_key = "another-private-key"  # AMap's key settings changed under us
    status, body = places(catalog_api, merchant.id, address="人民广场")
    assert (status, body["error"]["code"]) == (502, "GEOCODING_FAILED")
    assert body["error"]["details"] == {"infocode": "10007", "info": "INVALID_USER_SIGNATURE"}

    amap.down = True
    status, body = places(catalog_api, merchant.id, address="人民广场")
    assert (status, body["error"]["code"], body["error"]["details"]) == (502, "GEOCODING_FAILED", {})

    provider_secret(monkeypatch, "AMAP_SECRET_ARN", "{}")  # as the stack creates it
    status, body = places(catalog_api, merchant.id, address="人民广场")
    assert (status, body["error"]["code"]) == (503, "GEOCODING_OFF")


def test_only_the_owner_or_an_admin_looks_addresses_up_and_a_blank_address_is_refused(amap, catalog_api):
    merchant, _ = merchant_with_products()
    status, body = places(catalog_api, merchant.id, {"user": "usr_else", "roles": "merchant"}, address="人民广场")
    assert (status, body["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")
    assert places(catalog_api, merchant.id, {"user": "usr_admin", "roles": "admin"}, address="人民广场")[0] == 200
    assert places(catalog_api, merchant.id, {"user": "usr_c", "roles": "customer"}, address="人民广场")[0] == 403
    for bad in ("   ", "x" * 121):
        assert places(catalog_api, merchant.id, address=bad)[0] == 422, bad
    assert catalog_api.call("GET", f"/merchants/{merchant.id}/delivery/places", **OWNER)[0] == 422
    assert amap.requests == [{"key": amap.key, "address": "人民广场", "output": "JSON", "sig": amap.requests[0]["sig"]}]


def test_the_fake_learns_new_places(amap, catalog_api):
    merchant, _ = merchant_with_products()
    amap.add_place(Place("新天地", "上海市黄浦区新天地", "上海市", "上海市", "黄浦区", 31.2192, 121.4751))
    (place,) = places(catalog_api, merchant.id, address="新天地 北里")[1]["items"]
    assert (place["district"], place["deliverable"]) == ("黄浦区", True)
