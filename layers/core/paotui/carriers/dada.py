"""Dada (达达快送) open platform (新达达开放平台, newopen.imdada.cn) as a ``Carrier``.

Protocol, as Dada's documentation and its SDKs describe it:

- Every call is ``POST <base_url><path>`` with a JSON object of seven strings:
  ``app_key``, ``timestamp`` (Unix seconds), ``format`` "json", ``v`` "1.0",
  ``source_id`` (the merchant account at Dada), ``body`` (the business
  parameters as JSON *text*) and ``signature``: the upper-case hex MD5 of the
  app secret, every other parameter as ``key + value`` in key order, and the
  app secret again. The answer is ``{"status": "success"|"fail", "code",
  "msg", "result"}``: ``code`` 0, or Dada's error code.
- ``/api/order/queryDeliverFee`` prices an order (``origin_id`` = our order
  id) and answers a ``deliveryNo``; ``/api/order/addAfterQuery`` with that
  ``deliveryNo`` publishes it. Dada keeps one order per origin_id: it won't
  price an origin_id it has published (2130), nor publish a deliveryNo twice
  (2065/2066), which is what makes a repeated hand-over safe.
- ``/api/order/formalCancel`` takes ``order_id`` (the origin_id), a
  ``cancel_reason_id`` from ``/api/order/cancel/reasons`` and, with "其他",
  a ``cancel_reason`` text. ``/api/order/status/query`` reports the status,
  the rider and the rider's position.
- Status callbacks (订单回调) POST ``{client_id, order_id, order_status,
  cancel_reason, cancel_from, update_time, signature, dm_id, dm_name,
  dm_mobile}`` to the ``callback`` URL given with the order. ``signature`` is
  the MD5 of the values of client_id, order_id and update_time, sorted as
  strings and concatenated. No secret goes into it: anyone who knows an order
  id can sign a callback. A verified callback is therefore only a notice; the
  caller follows what ``track`` (``status/query``, signed with our secret) says,
  and keeps its ``client_id`` (Dada's 运单号, which ``status/query`` is not
  known to return) only from a callback whose status Dada's answer bears out,
  and only the first one.

Statuses onto ours (DESIGN.md §5): 1 待接单 CONFIRMED, 2 待取货 ASSIGNED, 100
骑士到店 PICKING_UP, 3 配送中 DELIVERING, 4 已完成 DELIVERED, 5 已取消
CANCELLED, 9 妥投异常之物品返回中 RETURNING, 10 妥投异常之物品返回完成
RETURNED. 1000 创建达达运单失败 and 7 已过期 are Dada giving up on the order;
8 指派单 moves nothing.

Not confirmed from Dada's public material, so handled defensively: whether a
business error ever comes with an HTTP status other than 200 (any non-200 is
"unavailable" here); the case of the callback's MD5 hex (compared
case-insensitively) and how a missing ``client_id`` is signed (as ""); the
answer Dada expects from a callback (we answer 200 and assume Dada retries
anything else); how long a deliveryNo stays valid (a lapsed one, 2062, is
re-quoted); whether ``timestamp`` must be recent; ``body`` "" for calls without
business parameters; the ids of the cancel reasons ("其他" found by its text,
10000 if absent; "顾客取消订单" for a customer's cancellation); the
``status/query`` field names (``statusCode``, ``statusMsg``,
``transporterName``, ``transporterPhone``, ``transporterLat``/``Lng`` as
strings, taken from Dada's SDKs); ``cargo_type`` 1 for food; https on the
production host.

Secret JSON (``DadaSecret``): ``{"app_key", "app_secret", "source_id",
"base_url"?}``; ``{}`` leaves the carrier off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field

from paotui.carriers.interface import (
    CANCEL_REFUSED,
    CARRIER_REFUSED,
    ORDER_EXISTS,
    QUOTE_EXPIRED,
    CarrierNotice,
    CarrierQuote,
    CarrierRider,
    CarrierState,
    Shipment,
    unavailable,
)
from paotui.orders.transitions import Status
from paotui.platform.errors import Conflict, DomainError, Unauthorized, Unprocessable
from paotui.platform.models import Line, Prose
from paotui.platform.observability import logger
from paotui.platform.secrets import optional_config_from_secret, secret_value
from paotui.platform.settings import get_settings

NAME = "dada"
DEFAULT_BASE_URL = "https://newopen.imdada.cn"
API_VERSION = "1.0"
FORMAT = "json"
CARGO_TYPE_FOOD = 1  # Dada's 品类 for restaurant food
CARGO_WEIGHT_KG = 1.0  # our menus carry no weights; Dada requires one above 0
OTHER_REASON, OTHER_REASON_ID = "其他", 10000
CUSTOMER_REASON = "顾客取消订单"

STATUSES: dict[int, tuple[str, Status | None]] = {
    1: ("待接单", Status.CONFIRMED),
    2: ("待取货", Status.ASSIGNED),
    100: ("骑士到店", Status.PICKING_UP),
    3: ("配送中", Status.DELIVERING),
    4: ("已完成", Status.DELIVERED),
    5: ("已取消", Status.CANCELLED),
    9: ("妥投异常之物品返回中", Status.RETURNING),
    10: ("妥投异常之物品返回完成", Status.RETURNED),
    7: ("已过期", None),
    8: ("指派单", None),
    1000: ("创建达达运单失败", None),
}
GAVE_UP = frozenset({7, 1000})

_UNAVAILABLE = {-1, 999, 1000, 2012, 2067, 2090, 2304}  # Dada's own failures and "try again shortly"
_MISCONFIGURED = {2001, 2002, 2003, 2131}  # our app_key, source_id or signature: an operator's fix, retried meanwhile
_PUBLISHED = {2063, 2065, 2066, 2105}  # addAfterQuery: the order is out already
_NEVER_HAD_IT = {2005, 2011, 2530}  # formalCancel: no such order (never published)
_CANCELLED_ALREADY = {2076}
_CANCEL_TOO_LATE = {2050, 2051, 2052, 2073, 2458, 2459, 2460}  # on its way, done, expired, returning


@dataclass(frozen=True)
class DadaConfig:
    app_key: str
    app_secret: str = field(repr=False)
    source_id: str  # the merchant account (商户编号) the app acts for
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0
    """Seconds to wait for an answer (connecting gets at most 5)."""

    def __post_init__(self) -> None:
        for name in ("app_key", "app_secret", "source_id", "base_url"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"Dada config: {name} is required")

    @classmethod
    def from_secret(cls, json_text: str) -> DadaConfig | None:
        """From ``DadaSecret`` (keys in the module docstring); None for ``{}``; unknown keys are refused."""
        return optional_config_from_secret(cls, json_text, "Dada")


def request_signature(params: dict[str, str], app_secret: str) -> str:
    """Dada's request signature: MD5(secret + key1value1key2value2… in key order + secret), upper-case hex."""
    material = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "signature")
    return hashlib.md5(f"{app_secret}{material}{app_secret}".encode()).hexdigest().upper()


def signed_params(config: DadaConfig, body: str, timestamp: int) -> dict[str, str]:
    """The seven parameters of a call whose business parameters are ``body`` (JSON text)."""
    params = {
        "app_key": config.app_key,
        "timestamp": str(timestamp),
        "format": FORMAT,
        "v": API_VERSION,
        "source_id": config.source_id,
        "body": body,
    }
    return {**params, "signature": request_signature(params, config.app_secret)}


def callback_signature(client_id: str, order_id: str, update_time: str) -> str:
    """Dada's callback signature: MD5 of the three values sorted as strings and concatenated (no secret)."""
    return hashlib.md5("".join(sorted([client_id, order_id, update_time])).encode()).hexdigest()


def business_json(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class DadaCallback(BaseModel):
    """Dada's order callback (订单回调) as POSTed; fields Dada adds later are ignored, numeric ids read as text."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    client_id: Line | None = Field(None, max_length=64)  # Dada's own order number (运单号), recorded on the order
    order_id: Line = Field(min_length=1, max_length=64)  # our order id (origin_id)
    order_status: int
    cancel_reason: Prose | None = None
    cancel_from: int | None = None  # 1 the rider, 2 the merchant (us), 3 Dada's system or service
    update_time: int
    signature: Line = Field(min_length=1, max_length=64)
    dm_id: Line | None = None
    dm_name: Line | None = None
    dm_mobile: Line | None = None


class _Refusal(Exception):
    """Dada answered with an error code."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message


class DadaCarrier:
    """``interface.Carrier`` for Dada; built once per container and secret value (see ``configured``)."""

    name = NAME

    def __init__(self, config: DadaConfig):
        self.config = config
        self._http = requests.Session()

    def quote(self, shipment: Shipment) -> CarrierQuote:
        receiver = shipment.receiver
        body = {
            "shop_no": shipment.shop_no,
            "origin_id": shipment.order_id,
            "city_code": shipment.city_code,
            "cargo_price": shipment.goods_value / 100,
            "is_prepay": 0,
            "receiver_name": receiver.name,
            "receiver_address": receiver.address,
            "receiver_lat": receiver.lat,
            "receiver_lng": receiver.lng,
            "receiver_phone": receiver.phone.removeprefix("+86"),
            "callback": shipment.callback_url,
            "cargo_weight": CARGO_WEIGHT_KG,
            "cargo_type": CARGO_TYPE_FOOD,
            "cargo_num": shipment.goods_count,
            "info": shipment.note or "",
        }
        try:
            result = self._call("/api/order/queryDeliverFee", body, order_id=shipment.order_id)
        except _Refusal as refusal:
            if refusal.code == 2130:
                raise _refused(refusal, "Dada already has an order for this one.", ORDER_EXISTS, Conflict) from None
            raise _refused(refusal, "Dada won't carry this order.") from None
        return _understood(
            lambda: CarrierQuote(
                quote_id=str(result["deliveryNo"]), fee=_fen(result["fee"]), distance_m=round(result["distance"])
            )
        )

    def create(self, order_id: str, quote_id: str) -> None:
        try:
            self._call("/api/order/addAfterQuery", {"deliveryNo": quote_id}, order_id=order_id)
        except _Refusal as refusal:
            if refusal.code in _PUBLISHED:
                logger.info("dada already has this order", extra={"order_id": order_id, "dada_code": refusal.code})
                return
            if refusal.code == 2062:
                raise _refused(refusal, "The Dada quote lapsed; quote again.", QUOTE_EXPIRED, Conflict) from None
            raise _refused(refusal, "Dada won't carry this order.") from None

    def cancel(self, order_id: str, reason: str, *, by_customer: bool) -> bool:
        reasons = self.cancel_reasons
        reason_id = reasons.get(CUSTOMER_REASON) if by_customer else None
        body = {
            "order_id": order_id,
            "cancel_reason_id": reason_id or reasons.get(OTHER_REASON, OTHER_REASON_ID),
            "cancel_reason": reason[:200],
        }
        try:
            result = self._call("/api/order/formalCancel", body, order_id=order_id)
        except _Refusal as refusal:
            if refusal.code in _CANCELLED_ALREADY:
                return True
            if refusal.code in _NEVER_HAD_IT:
                logger.info("nothing to cancel at dada", extra={"order_id": order_id, "dada_code": refusal.code})
                return False
            if refusal.code in _CANCEL_TOO_LATE:
                raise _refused(refusal, "Dada can't cancel this order any more.", CANCEL_REFUSED, Conflict) from None
            raise _refused(refusal, "Dada refused to cancel this order.") from None
        logger.info("cancelled at dada", extra={"order_id": order_id, "deduct_fee": (result or {}).get("deduct_fee")})
        return True

    @cached_property
    def cancel_reasons(self) -> dict[str, int]:
        """Dada's cancel reasons, reason text → id, read once per adapter."""
        try:
            result = self._call("/api/order/cancel/reasons", None)
        except _Refusal as refusal:
            raise unavailable(NAME, "Dada's cancel reasons could not be read.", carrier_code=refusal.code) from None
        return _understood(lambda: {str(item["reason"]): int(item["id"]) for item in result})

    def track(self, order_id: str) -> CarrierState:
        try:
            result = self._call("/api/order/status/query", {"order_id": order_id}, order_id=order_id)
        except _Refusal as refusal:
            raise _refused(refusal, "Dada can't tell this order's status.") from None
        return _understood(lambda: _state(order_id, result))

    def notice(self, callback: DadaCallback) -> CarrierNotice:
        expected = callback_signature(callback.client_id or "", callback.order_id, str(callback.update_time))
        if not hmac.compare_digest(callback.signature.lower().encode(), expected.encode()):
            raise Unauthorized("The callback's signature is wrong.", code="INVALID_SIGNATURE")
        return CarrierNotice(
            order_id=callback.order_id,
            code=callback.order_status,
            cancel_reason=callback.cancel_reason or None,
            order_no=callback.client_id or None,
        )

    def _call(self, path: str, body: dict[str, Any] | None, *, order_id: str | None = None) -> Any:
        """One signed call; its ``result``, or ``_Refusal``; unreachable or failing → BadGateway."""
        params = signed_params(self.config, business_json(body) if body is not None else "", int(time.time()))
        timeout = (min(5.0, self.config.timeout), self.config.timeout)
        try:
            response = self._http.post(self.config.base_url.rstrip("/") + path, json=params, timeout=timeout)
        except requests.RequestException as error:
            raise unavailable(NAME, "Dada could not be reached.", reason=type(error).__name__) from None
        if response.status_code != 200:
            raise unavailable(NAME, "Dada did not answer.", http_status=response.status_code, path=path)
        try:
            answer = json.loads(response.content, parse_float=Decimal)
            code, message = int(answer["code"]), str(answer.get("msg") or "")
        except (ValueError, KeyError, TypeError):
            raise unavailable(NAME, "Dada's answer is not one we understand.", path=path) from None
        logger.info("dada call", extra={"path": path, "dada_code": code, "order_id": order_id})
        if code in _UNAVAILABLE or code in _MISCONFIGURED:
            raise unavailable(NAME, "Dada could not serve the request.", carrier_code=code, carrier_message=message)
        if code != 0:
            raise _Refusal(code, message)
        return answer.get("result")


def _state(order_id: str, result: dict[str, Any]) -> CarrierState:
    code = int(result["statusCode"])
    label, status = STATUSES.get(code, (str(result.get("statusMsg") or code), None))
    name, phone = result.get("transporterName") or None, result.get("transporterPhone") or None
    lat, lng = result.get("transporterLat"), result.get("transporterLng")
    return CarrierState(
        order_id=order_id,
        code=code,
        label=label,
        status=status,
        gave_up=code in GAVE_UP,
        rider=CarrierRider(name=name, phone=_e164(phone), id=None) if name or phone else None,
        position=_position(lat, lng),
    )


def _position(lat: Any, lng: Any) -> tuple[float, float] | None:
    """Dada's rider position, when it is a place on the globe: none for an empty field, or one like ``"nan"``,
    which no map can show and DynamoDB would refuse."""
    try:
        point = (float(lat), float(lng))
    except (TypeError, ValueError):
        return None
    return point if -90 <= point[0] <= 90 and -180 <= point[1] <= 180 and point != (0.0, 0.0) else None


def _refused(
    refusal: _Refusal, message: str, code: str = CARRIER_REFUSED, error: type[DomainError] = Unprocessable
) -> DomainError:
    details = {"carrier": NAME, "carrier_code": refusal.code, "carrier_message": refusal.message}
    return error(message, code=code, details=details)


def _understood(parse):
    """An answer, parsed; one we can't read is Dada failing, not our 500."""
    try:
        return parse()
    except (KeyError, TypeError, ValueError, ArithmeticError):
        raise unavailable(NAME, "Dada's answer is not one we understand.") from None


def _fen(yuan: Any) -> int:
    """Yuan as Dada writes them (a JSON number, read as Decimal) → fen, exactly."""
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _e164(phone: str | None) -> str | None:
    """Dada's 11-digit mainland mobiles in E.164, like every phone we keep; anything else as given."""
    if phone and len(phone) == 11 and phone.isdigit() and phone.startswith("1"):
        return f"+86{phone}"
    return phone


def configured() -> DadaCarrier | None:
    """The deployment's Dada adapter, or None while ``DadaSecret`` is ``{}``."""
    arn = get_settings().dada_secret_arn
    return _carrier(secret_value(arn)) if arn else None


@lru_cache(maxsize=2)
def _carrier(document: str) -> DadaCarrier | None:
    """One adapter per secret value: it keeps its HTTP connections and the cancel reasons it read."""
    config = DadaConfig.from_secret(document)
    return DadaCarrier(config) if config else None
