"""AMap's Web service geocoding (``/v3/geocode/geo``) as a local fake.

Why: ``paotui.catalog.amap`` must be exercised end to end (the signed
request, AMap's answer shape, its ``[]`` for empty fields and its error codes)
without an AMap key, and the console's phone-order form needs addresses to
find. The fake serves ``GET /v3/geocode/geo`` on 127.0.0.1, checks the key
(10001 INVALID_USER_KEY) and, with a private key set, the ``sig`` (10007
INVALID_USER_SIGNATURE) as AMap does, and answers from a small gazetteer:
every place whose name is in the address, or whose address contains it,
within ``city`` if one is given. It knows the streets around the demo
merchants in Shanghai, a station out of their range, and a 中山公园 in both
Shanghai and Beijing (a name that needs a city, or a distance, to tell
apart); ``add_place`` teaches it more.

How: ``with FakeAMap() as fake:`` (or ``start()``/``stop()``) serves on
``fake.url``; ``secret_json()`` is ``AMapSecret`` pointing here. ``down =
True`` answers every call 503. ``requests`` keeps the queries it was sent.
Dev tooling only.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from email.message import Message
from urllib.parse import parse_qs, urlsplit

from paotui.catalog.amap import GEOCODE_PATH, signature
from paotui_local.fakes import FakeServer, Response


@dataclass(frozen=True)
class Place:
    name: str  # what an address must mention to find it
    formatted_address: str
    province: str
    city: str
    district: str
    lat: float
    lng: float
    level: str = "兴趣点"


SHANGHAI = [
    Place("人民广场", "上海市黄浦区人民广场", "上海市", "上海市", "黄浦区", 31.2317, 121.4726),
    Place("南京东路100号", "上海市黄浦区南京东路100号", "上海市", "上海市", "黄浦区", 31.2382, 121.4839, "门牌号"),
    Place("南京西路500号", "上海市静安区南京西路500号", "上海市", "上海市", "静安区", 31.2297, 121.4601, "门牌号"),
    Place("外滩", "上海市黄浦区中山东一路外滩", "上海市", "上海市", "黄浦区", 31.2400, 121.4900),
    Place("福州路", "上海市黄浦区福州路", "上海市", "上海市", "黄浦区", 31.2347, 121.4798, "道路"),
    Place("虹桥火车站", "上海市闵行区虹桥火车站", "上海市", "上海市", "闵行区", 31.1945, 121.3205),
    Place("中山公园", "上海市长宁区中山公园", "上海市", "上海市", "长宁区", 31.2211, 121.4168),
    Place("中山公园", "北京市东城区中山公园", "北京市", "北京市", "东城区", 39.9133, 116.3907),
]


class FakeAMap(FakeServer):
    name = "fake-amap"

    def __init__(self, *, signed: bool = True, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.key = secrets.token_hex(16)
        self.private_key = secrets.token_hex(16) if signed else None
        self.places = list(SHANGHAI)
        self.down = False
        self.requests: list[dict[str, str]] = []

    def secret_json(self) -> str:
        secret = {"key": self.key, "base_url": self.url}
        if self.private_key:
            secret["private_key"] = self.private_key
        return json.dumps(secret)

    def add_place(self, place: Place) -> None:
        with self.lock:
            self.places.append(place)

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        url = urlsplit(target)
        query = {name: values[0] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
        with self.lock:
            self.requests.append(query)
        if self.down:
            return Response(503, {"Content-Type": "text/plain"}, b"Service Unavailable")
        if method != "GET" or url.path != GEOCODE_PATH:
            return _answer(_refusal("20003", "UNKNOWN_ERROR"))
        if query.get("key") != self.key:
            return _answer(_refusal("10001", "INVALID_USER_KEY"))
        if self.private_key and query.get("sig") != signature(query, self.private_key):
            return _answer(_refusal("10007", "INVALID_USER_SIGNATURE"))
        address = "".join(query.get("address", "").split())
        if not address:
            return _answer(_refusal("20001", "MISSING_REQUIRED_PARAMS"))
        city = query.get("city")
        with self.lock:
            found = [
                place
                for place in self.places
                if (place.name in address or address in place.formatted_address)
                and (not city or city in (place.city, place.city.removesuffix("市")))
            ]
        geocodes = [_geocode(place) for place in found]
        return _answer(
            {"status": "1", "info": "OK", "infocode": "10000", "count": str(len(geocodes)), "geocodes": geocodes}
        )


def _geocode(place: Place) -> dict[str, object]:
    """As AMap writes one: coordinates as "lng,lat" text, empty fields as []."""
    return {
        "formatted_address": place.formatted_address,
        "country": "中国",
        "province": place.province,
        "city": place.city,
        "district": place.district,
        "township": [],
        "street": [],
        "number": [],
        "location": f"{place.lng:.6f},{place.lat:.6f}",
        "level": place.level,
    }


def _refusal(infocode: str, info: str) -> dict[str, str]:
    return {"status": "0", "info": info, "infocode": infocode}


def _answer(payload: dict[str, object]) -> Response:
    return Response(
        200, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(payload, ensure_ascii=False).encode()
    )
