"""Deep links to the rider's map apps: each map's documented scheme and parameters, exactly."""

from __future__ import annotations

import pytest

from paotui.platform.settings import get_settings
from paotui.riders.navigation import Place, TravelMode, map_links, travel_mode

SHOP = Place(lat=31.2304, lng=121.4737, name="老王生煎", detail="南京东路 100 号")
SHOP_NAME = "%E8%80%81%E7%8E%8B%E7%94%9F%E7%85%8E"  # 老王生煎, UTF-8 percent-encoded
SHOP_BD09 = "31.236335,121.480237"  # SHOP on Baidu's datum (paotui.platform.datum)
RIDER = (31.2335, 121.4760)
RIDER_BD09 = "31.239392,121.482548"


def test_a_rider_on_an_e_bike_gets_each_maps_riding_route():
    links = map_links(SHOP, TravelMode.RIDE, RIDER)

    assert links.amap.app == (
        f"amapuri://route/plan/?sourceApplication=paotui&dlat=31.230400&dlon=121.473700&dname={SHOP_NAME}&dev=0&t=3"
    )
    assert links.amap.ios == (
        f"iosamap://path?sourceApplication=paotui&dlat=31.230400&dlon=121.473700&dname={SHOP_NAME}&dev=0&t=3"
    )
    assert links.amap.web == (
        f"https://uri.amap.com/navigation?from=121.476000,31.233500&to=121.473700,31.230400,{SHOP_NAME}"
        "&mode=ride&src=paotui&callnative=1"
    )
    assert links.tencent.app == (
        f"qqmap://map/routeplan?type=bike&fromcoord=CurrentLocation&to={SHOP_NAME}&tocoord=31.230400,121.473700"
        "&referer=paotui"
    )
    assert links.tencent.web == (  # Tencent's web page has no cycling: its walking route
        f"https://apis.map.qq.com/uri/v1/routeplan?type=walk&fromcoord=31.233500,121.476000&to={SHOP_NAME}"
        "&tocoord=31.230400,121.473700&referer=paotui"
    )
    assert links.baidu.app == (
        f"baidumap://map/direction?destination=name:{SHOP_NAME}%7Clatlng:{SHOP_BD09}&coord_type=bd09ll"
        "&mode=riding&src=andr.paotui.paotui"
    )
    assert links.baidu.web == (  # nor has Baidu's
        f"https://api.map.baidu.com/direction?origin={RIDER_BD09}&destination=name:{SHOP_NAME}%7Clatlng:{SHOP_BD09}"
        "&coord_type=bd09ll&mode=walking&output=html&src=webapp.paotui.paotui"
    )
    assert links.tencent.ios is None and links.baidu.ios is None  # one scheme on both platforms


def test_a_driver_gets_driving_routes():
    links = map_links(SHOP, TravelMode.DRIVE, RIDER)
    assert links.amap.app.endswith("&dev=0&t=0") and links.amap.ios.endswith("&dev=0&t=0")
    assert "&mode=car&" in links.amap.web
    assert links.tencent.app.startswith("qqmap://map/routeplan?type=drive&")
    assert links.tencent.web.startswith("https://apis.map.qq.com/uri/v1/routeplan?type=drive&")
    assert "&mode=driving&" in links.baidu.app and "&mode=driving&" in links.baidu.web


def test_a_walker_gets_walking_routes():
    links = map_links(SHOP, TravelMode.WALK, RIDER)
    assert links.amap.app.endswith("&dev=0&t=2")
    assert "&mode=walk&" in links.amap.web
    assert links.tencent.app.startswith("qqmap://map/routeplan?type=walk&")
    assert "&mode=walking&" in links.baidu.app and "&mode=walking&" in links.baidu.web


def test_without_an_origin_web_links_start_where_the_phone_is_and_baidu_has_none():
    links = map_links(SHOP, TravelMode.RIDE)
    assert links.amap.web == (
        f"https://uri.amap.com/navigation?to=121.473700,31.230400,{SHOP_NAME}&mode=ride&src=paotui&callnative=1"
    )
    assert links.tencent.web == (
        f"https://apis.map.qq.com/uri/v1/routeplan?type=walk&to={SHOP_NAME}&tocoord=31.230400,121.473700&referer=paotui"
    )
    assert links.baidu.web is None  # Baidu's web page needs an origin
    assert links.baidu.app.startswith("baidumap://map/direction?destination=")  # the app starts where it is


def test_an_address_in_words_is_encoded_and_rid_of_the_maps_separators():
    home = Place(lat=31.2304, lng=121.4737, detail="人民广场 1 号楼, 3|4 室")
    encoded = (
        "%E4%BA%BA%E6%B0%91%E5%B9%BF%E5%9C%BA%201%20%E5%8F%B7%E6%A5%BC%203%204%20%E5%AE%A4"  # 人民广场 1 号楼 3 4 室
    )
    links = map_links(home, TravelMode.RIDE)
    assert f"&dname={encoded}&" in links.amap.app
    assert f"to=121.473700,31.230400,{encoded}&" in links.amap.web  # one name, not a fourth comma-separated field
    assert f"&to={encoded}&" in links.tencent.app
    assert f"destination=name:{encoded}%7Clatlng:{SHOP_BD09}&" in links.baidu.app


def test_the_source_names_come_from_settings(monkeypatch):
    monkeypatch.setenv("MAP_LINK_SOURCE", "acme")
    monkeypatch.setenv("TENCENT_MAP_REFERER", "OB4BZ-KEY")
    get_settings.cache_clear()
    try:
        links = map_links(SHOP, TravelMode.RIDE, RIDER)
    finally:
        get_settings.cache_clear()
    assert "?sourceApplication=acme&" in links.amap.app and "&src=acme&" in links.amap.web
    assert links.tencent.app.endswith("&referer=OB4BZ-KEY") and links.tencent.web.endswith("&referer=OB4BZ-KEY")
    assert links.baidu.app.endswith("&src=andr.acme.acme") and links.baidu.web.endswith("&src=webapp.acme.acme")


@pytest.mark.parametrize(
    ("vehicle", "mode"),
    [
        ("ebike", TravelMode.RIDE),
        ("e-bike", TravelMode.RIDE),
        ("bicycle", TravelMode.RIDE),
        ("scooter", TravelMode.RIDE),
        ("car", TravelMode.DRIVE),
        ("Car", TravelMode.DRIVE),
        ("walker", TravelMode.WALK),
        ("on_foot", TravelMode.WALK),
    ],
)
def test_the_vehicle_decides_the_travel_mode(vehicle, mode):
    assert travel_mode(vehicle) is mode
