"""AMap (高德) Web service geocoding (地理编码): an address as a merchant hears it on the phone, to coordinates.

Protocol, as AMap's Web service documentation describes it:

- ``GET <base_url>/v3/geocode/geo`` with ``key`` (the Web service key),
  ``address`` (the structured address: province, city, district, street,
  number, building), optional ``city`` (a city's name, pinyin, citycode or
  adcode, to search one city), ``output`` "JSON".
- With digital signatures on for the key (数字签名), ``sig`` is the lower-case
  hex MD5 of every other parameter as ``name=value`` in ascending name order,
  joined with ``&``, then the private key, over the raw UTF-8 values (not
  URL-encoded); the request itself is URL-encoded as usual.
- The answer is ``{"status": "1"|"0", "info", "infocode", "count",
  "geocodes": [...]}``; each geocode has ``formatted_address``, ``province``,
  ``city``, ``district`` (an empty field reads as ``[]``), ``location``
  ``"lng,lat"`` and ``level`` (门牌号, 兴趣点, 道路, 区县, ...). Status "0" says
  why in ``infocode``/``info``: 10001 INVALID_USER_KEY, 10007
  INVALID_USER_SIGNATURE, 10003 DAILY_QUERY_OVER_LIMIT, 10004
  ACCESS_TOO_FREQUENT, 20000 INVALID_PARAMS, among others.
- Coordinates are GCJ-02, as every position in this API.

Secret JSON (``AMapSecret``): ``{"key", "private_key"?, "base_url"?}``;
``{}`` leaves geocoding off.

No records here: the local cloud's fake AMap imports this module before the
cloud has set the tables' names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import requests

from paotui.platform.errors import BadGateway, ServiceUnavailable
from paotui.platform.observability import logger
from paotui.platform.secrets import optional_config_from_secret, secret_value
from paotui.platform.settings import get_settings

DEFAULT_BASE_URL = "https://restapi.amap.com"
GEOCODE_PATH = "/v3/geocode/geo"
_MISCONFIGURED = {"10001", "10002", "10005", "10006", "10007", "10008", "10009", "10010", "10012"}


@dataclass(frozen=True)
class AMapConfig:
    key: str = field(repr=False)
    private_key: str | None = field(default=None, repr=False)  # set when the key has digital signatures on
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValueError("AMap config: key is required")

    @classmethod
    def from_secret(cls, json_text: str) -> AMapConfig | None:
        """From ``AMapSecret`` (keys in the module docstring); None for ``{}``; unknown keys are refused."""
        return optional_config_from_secret(cls, json_text, "AMap")


def signature(params: Mapping[str, str], private_key: str) -> str:
    """AMap's ``sig``: MD5 of ``name=value`` pairs in name order joined by ``&``, then the private key."""
    material = "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "sig")
    return hashlib.md5(f"{material}{private_key}".encode()).hexdigest()


@dataclass(frozen=True)
class Geocode:
    formatted_address: str
    lat: float
    lng: float
    level: str  # how precise: 门牌号 (a house number) is a door, 区县 (a district) is not
    district: str


class AMapGeocoder:
    """Built once per container and secret value (see ``configured``): it keeps its HTTP connections."""

    def __init__(self, config: AMapConfig):
        self.config = config
        self._http = requests.Session()

    def geocode(self, address: str, city: str | None = None) -> list[Geocode]:
        """The places AMap reads ``address`` as, best first. 502 ``GEOCODING_FAILED`` when AMap can't answer."""
        params = {"key": self.config.key, "address": address, "output": "JSON", **({"city": city} if city else {})}
        if self.config.private_key:
            params["sig"] = signature(params, self.config.private_key)
        url = self.config.base_url.rstrip("/") + GEOCODE_PATH
        try:
            response = self._http.get(url, params=params, timeout=(min(self.config.timeout, 3.0), self.config.timeout))
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            logger.warning("AMap geocoding unreachable", extra={"error": str(error)})
            answer = None
        if not isinstance(answer, dict):
            raise BadGateway("The map service did not answer; try again.", code="GEOCODING_FAILED")
        if answer.get("status") != "1":
            infocode, info = str(answer.get("infocode")), str(answer.get("info"))
            if infocode in _MISCONFIGURED:
                logger.error("AMap refused our key or signature", extra={"infocode": infocode, "info": info})
            else:
                logger.warning("AMap geocoding refused", extra={"infocode": infocode, "info": info})
            raise BadGateway(
                "The map service could not look the address up.",
                code="GEOCODING_FAILED",
                details={"infocode": infocode, "info": info},
            )
        return [place for place in map(_geocode, answer.get("geocodes") or []) if place is not None]


def _geocode(item: Any) -> Geocode | None:
    """One of AMap's geocodes; None when it has no usable location."""
    try:
        lng, lat = (float(part) for part in str(item["location"]).split(","))
    except (KeyError, TypeError, ValueError):
        return None
    return Geocode(
        formatted_address=_text(item.get("formatted_address")),
        lat=lat,
        lng=lng,
        level=_text(item.get("level")),
        district=_text(item.get("district")),
    )


def _text(value: Any) -> str:
    """AMap writes an empty field as ``[]``."""
    return value if isinstance(value, str) else ""


def configured() -> AMapGeocoder:
    """The deployment's geocoder. 503 ``GEOCODING_OFF`` while ``AMapSecret`` is ``{}``."""
    arn = get_settings().amap_secret_arn
    geocoder = _geocoder(secret_value(arn)) if arn else None
    if geocoder is None:
        raise ServiceUnavailable("Address lookup is not set up on this platform.", code="GEOCODING_OFF")
    return geocoder


@lru_cache(maxsize=2)
def _geocoder(document: str) -> AMapGeocoder | None:
    config = AMapConfig.from_secret(document)
    return AMapGeocoder(config) if config else None
