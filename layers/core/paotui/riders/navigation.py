"""Deep links that open a rider's map app (AMap, Tencent Maps, Baidu Maps) on the way to a place, and the views
that carry them (a rider's route, an order's next place).

Each map gets the link its app answers to (``app``) and its web page
(``web``, H5), built with exactly the parameters the maps document:

- AMap (高德): ``amapuri://route/plan/`` (Android, HarmonyOS), ``iosamap://path``
  (iOS, as ``ios``), web ``https://uri.amap.com/navigation``. GCJ-02, ``dev=0``
  (already offset). Travel ``t``: 0 drive, 2 walk, 3 ride; web ``mode``: car,
  walk, ride.
- Tencent Maps (腾讯): ``qqmap://map/routeplan`` (Android and iOS), web
  ``https://apis.map.qq.com/uri/v1/routeplan``. GCJ-02 is its own datum.
  ``type``: drive, walk, bike; the web page has no cycling, so riders get its
  walking route there. ``referer`` is the developer key.
- Baidu Maps (百度): ``baidumap://map/direction`` (Android and iOS), web
  ``https://api.map.baidu.com/direction``. BD-09, converted here
  (paotui.platform.datum) and declared with ``coord_type=bd09ll``. ``mode``:
  driving, walking, riding; the web page has no cycling (walking there).
  ``src`` is andr.<company>.<app> for the app, webapp.<company>.<app> for the web.

An app link starts where the phone is (each app's documented default when the
origin is left out; Tencent's ``fromcoord=CurrentLocation``): riders open it
when they set off, and the phone knows better than the last position they
reported. A web page may run where no location is at hand (a desktop, a
webview without permission), so web links start at ``origin`` when the caller
knows one. Baidu's web page needs an origin: without one it has no web link.

Names go in URL-encoded (UTF-8); commas and vertical bars, which separate the
maps' own fields, become spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import quote, urlencode

from paotui.platform.datum import gcj02_to_bd09
from paotui.platform.models import PointView, ResponseModel
from paotui.platform.settings import get_settings

Point = tuple[float, float]
"""(lat, lng) on GCJ-02."""


class TravelMode(StrEnum):
    RIDE = "ride"
    DRIVE = "drive"
    WALK = "walk"


def travel_mode(vehicle: str) -> TravelMode:
    """How a rider on ``vehicle`` travels: cars drive, riders on foot walk, and every other vehicle (bicycle,
    e-bike, scooter: the default is an e-bike) rides."""
    kind = vehicle.lower().replace("-", "").replace("_", "")
    if kind == "car":
        return TravelMode.DRIVE
    if kind in ("walk", "walker", "foot", "onfoot"):
        return TravelMode.WALK
    return TravelMode.RIDE


@dataclass(frozen=True)
class _MapModes:
    """One travel mode in each map's own words."""

    amap_app: str
    amap_web: str
    tencent_app: str
    tencent_web: str
    baidu_app: str
    baidu_web: str


_MODES = {
    TravelMode.RIDE: _MapModes("3", "ride", "bike", "walk", "riding", "walking"),
    TravelMode.DRIVE: _MapModes("0", "car", "drive", "drive", "driving", "driving"),
    TravelMode.WALK: _MapModes("2", "walk", "walk", "walk", "walking", "walking"),
}


class Place(PointView):
    """A place on a rider's way (GCJ-02): a store's name, an address in words."""

    name: str | None = None
    detail: str | None = None

    @property
    def label(self) -> str:
        """What the map shows for it, free of the separators the maps' parameters use."""
        text = self.name or self.detail or ""
        return " ".join(text.replace(",", " ").replace("|", " ").split())


class MapLink(ResponseModel):
    app: str
    web: str | None = None
    ios: str | None = None  # AMap only: its iOS app has a scheme of its own


class MapLinks(ResponseModel):
    amap: MapLink
    tencent: MapLink
    baidu: MapLink


class OrderNavigation(ResponseModel):
    """Where the assigned rider goes next for an order (``GET /orders/{orderId}``), and the links to go there."""

    target: Literal["pickup", "dropoff"]
    links: MapLinks


class RouteStop(ResponseModel):
    """One stop of a rider's route: ``eta`` when they get there, ``depart_at`` when they leave (a pickup: once the
    food is ready, ``ready_at``). Orders of one store picked up in a row share their pickup stop (``order_ids``);
    ``order_id`` is the first of them."""

    order_id: str
    order_ids: list[str]
    kind: Literal["pickup", "dropoff"]
    place: Place
    ready_at: str | None = None
    eta: str
    depart_at: str
    links: MapLinks


class RoutePosition(PointView):
    at: str | None = None  # when the rider reported it


class RiderRoute(ResponseModel):
    """``GET /riders/me/route``: from where the rider last was, their stops in the order to make them."""

    generated_at: str
    position: RoutePosition
    stops: list[RouteStop]


def map_links(to: Place, mode: TravelMode, origin: Point | None = None) -> MapLinks:
    """Links from the rider to ``to`` in each map (web links from ``origin`` when given)."""
    modes = _MODES[mode]
    return MapLinks(
        amap=_amap(to, modes, origin),
        tencent=_tencent(to, modes, origin),
        baidu=_baidu(to, modes, origin),
    )


def _amap(to: Place, modes: _MapModes, origin: Point | None) -> MapLink:
    source = get_settings().map_link_source
    app_query = {
        "sourceApplication": source,
        "dlat": _degrees(to.lat),
        "dlon": _degrees(to.lng),
        "dname": to.label,
        "dev": "0",
        "t": modes.amap_app,
    }
    web_query = {
        **({"from": f"{_degrees(origin[1])},{_degrees(origin[0])}"} if origin else {}),
        "to": f"{_degrees(to.lng)},{_degrees(to.lat)},{to.label}",
        "mode": modes.amap_web,
        "src": source,
        "callnative": "1",
    }
    return MapLink(
        app=_url("amapuri://route/plan/", app_query),
        ios=_url("iosamap://path", app_query),
        web=_url("https://uri.amap.com/navigation", web_query),
    )


def _tencent(to: Place, modes: _MapModes, origin: Point | None) -> MapLink:
    referer = get_settings().tencent_map_referer
    destination = {"to": to.label, "tocoord": f"{_degrees(to.lat)},{_degrees(to.lng)}"}
    app_query = {"type": modes.tencent_app, "fromcoord": "CurrentLocation", **destination, "referer": referer}
    web_query = {
        "type": modes.tencent_web,
        **({"fromcoord": f"{_degrees(origin[0])},{_degrees(origin[1])}"} if origin else {}),
        **destination,
        "referer": referer,
    }
    return MapLink(
        app=_url("qqmap://map/routeplan", app_query),
        web=_url("https://apis.map.qq.com/uri/v1/routeplan", web_query),
    )


def _baidu(to: Place, modes: _MapModes, origin: Point | None) -> MapLink:
    source = get_settings().map_link_source
    lat, lng = gcj02_to_bd09(to.lat, to.lng)
    destination = f"name:{to.label}|latlng:{_degrees(lat)},{_degrees(lng)}"
    app_query = {
        "destination": destination,
        "coord_type": "bd09ll",
        "mode": modes.baidu_app,
        "src": f"andr.{source}.{source}",
    }
    web = None
    if origin:
        start = gcj02_to_bd09(*origin)
        web_query = {
            "origin": f"{_degrees(start[0])},{_degrees(start[1])}",
            "destination": destination,
            "coord_type": "bd09ll",
            "mode": modes.baidu_web,
            "output": "html",
            "src": f"webapp.{source}.{source}",
        }
        web = _url("https://api.map.baidu.com/direction", web_query)
    return MapLink(app=_url("baidumap://map/direction", app_query), web=web)


def _degrees(value: float) -> str:
    return f"{value:.6f}"


def _url(base: str, query: dict[str, str]) -> str:
    """``base?query``, UTF-8 percent-encoded; commas and colons stay as they are (the maps' own separators)."""
    return f"{base}?{urlencode(query, safe=',:', quote_via=quote)}"
