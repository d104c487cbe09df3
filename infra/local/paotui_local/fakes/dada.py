"""Dada's open platform as a local fake: the order APIs our adapter calls, and the callbacks Dada sends.

Why: ``paotui.carriers.dada`` must be exercised end to end (signed requests,
yuan, Dada's answer shape and error codes, signed callbacks that the receiver
checks with a status query) without a Dada account. The fake serves the five
APIs the adapter uses on 127.0.0.1, checks every request as Dada does
(app_key 2001, source_id 2002, signature 2003, format 1994, v 1996, body 2419)
and refuses the same way, keeps shops, quotes and orders in memory, and moves
an order through Dada's statuses on command, with a rider once it is taken and
the rider's position along the way.

How: ``with FakeDada() as fake:`` (or ``start()``/``stop()``) serves on
``fake.url``; ``secret_json()`` is ``DadaSecret`` pointing here. The defaults
are those of Dada's test environment (source_id 73753, shop 11047059; here in
Shanghai, city code 021); ``add_shop`` registers more. ``move(order_id,
status)`` changes an order as Dada's back office would and returns its signed
callback, which ``deliver`` posts to the order's callback URL;
``forged_callback`` claims a status with a signature that isn't Dada's and
moves nothing. With ``down = True`` every call is answered 502 (``failing``:
the calls to some paths); ``expire_quotes`` lapses the quotes given so far. Nothing is
called back unless a test moves an order. Dev tooling only.
"""

from __future__ import annotations

import itertools
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from paotui.carriers.dada import STATUSES, callback_signature, request_signature
from paotui_local.fakes import FakeServer, Notify, Response

TEST_SOURCE_ID = "73753"
TEST_SHOP = "11047059"
SHANGHAI = "021"
QUOTE_TTL_SECONDS = 180  # how long a deliveryNo can be published (Dada's is a few minutes)
CANCEL_REASONS = [
    {"id": 1, "reason": "没有配送员接单"},
    {"id": 2, "reason": "配送员没来取货"},
    {"id": 3, "reason": "配送员态度太差"},
    {"id": 4, "reason": "顾客取消订单"},
    {"id": 5, "reason": "订单填写错误"},
    {"id": 36, "reason": "我不需要配送了"},
    {"id": 10000, "reason": "其他"},
]
MESSAGES = {
    1994: "format值不正确,默认为json",
    1996: "v的值不正确,默认为1.0",
    1998: "请求参数的个数不正确,请仔细核对",
    2001: "app_key无效",
    2002: "没有绑定正式商户,请检查接口中source_id值",
    2003: "签名错误",
    2004: "无效的门店编号",
    2005: "订单不存在,请核查订单号",
    2044: "城市尚未开通",
    2048: "订单取消原因ID不能为空",
    2049: "订单取消原因ID对应其他,取消原因不能为空",
    2050: "订单配送中,无法取消",
    2051: "订单已完成配送,无法取消",
    2052: "订单已过期,无法取消",
    2062: "订单价格信息已过期,请重新查询后发单",
    2063: "该订单已发布,请选择新的订单",
    2065: "该平台订单编号已处理,请勿重复请求",
    2076: "订单已取消,无法重复取消",
    2078: "deliveryNo不能为空",
    2103: "cargo_weight必须大于0",
    2104: "原始订单origin_id不能为空",
    2123: "callback不能为空",
    2128: "receiver_lat或receiver_lng不能为空",
    2130: "订单已发单,不能查询运费",
    2155: "余额不足，请充值",
    2410: "参数类型不正确, Double类型不能传null与字符串",
    2419: "body参数json解析出错,请检查body内的参数格式是否正确",
    2457: "取消失败[cancel_reason_id不在取消原因列表中]",
    2458: "取消失败[订单状态为9,不能取消]",
    2459: "取消失败[订单状态为10,不能取消]",
    2460: "取消失败[订单状态不为待接单和待取货]",
}
CANCEL_REFUSALS = {3: 2050, 4: 2051, 7: 2052, 9: 2458, 10: 2459, 1000: 2460}
RIDERS = [{"id": 900001, "name": "达达骑士 赵师傅", "phone": "13700000001"}]


@dataclass
class Shop:
    shop_no: str
    city_code: str
    lat: float
    lng: float


@dataclass
class Quote:
    delivery_no: str
    origin_id: str
    body: dict[str, Any]
    fee: int  # fen
    distance_m: float
    expires_at: float
    used: bool = False


@dataclass
class DadaOrder:
    origin_id: str
    client_id: str
    shop: Shop
    body: dict[str, Any]
    fee: int
    distance_m: float
    status: int = 1
    update_time: int = field(default_factory=lambda: int(time.time()))
    rider: dict[str, Any] | None = None
    position: tuple[float, float] | None = None
    cancel_reason: str = ""
    cancel_from: int = 0
    deduct_fee: int = 0

    @property
    def receiver(self) -> tuple[float, float]:
        return float(self.body["receiver_lat"]), float(self.body["receiver_lng"])


class Refused(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class FakeDada(FakeServer):
    name = "fake-dada"

    def __init__(self, *, source_id: str = TEST_SOURCE_ID, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.app_key = "dada" + secrets.token_hex(6)
        self.app_secret = secrets.token_hex(16)
        self.source_id = source_id
        self.down = False
        self.failing: set[str] = set()
        """Paths answered 502 (with ``down``: every path)."""
        self.quote_ttl_seconds = QUOTE_TTL_SECONDS
        self.lapse_checked_first = False
        """Dada's documents don't say which it answers to publishing a quote that was published and has lapsed
        since: 2065 (already published, by default) or, with this, 2062 (lapsed)."""
        self.shops: dict[str, Shop] = {}
        self.quotes: dict[str, Quote] = {}
        self.orders: dict[str, DadaOrder] = {}
        self.balance = 10_000_00  # fen; a quote beyond it is refused (2155)
        self.requests: list[tuple[str, dict[str, Any], int]] = []
        """(path, business parameters, Dada's code) of every call that passed the signature check, in order."""
        self._numbers = itertools.count(int(time.time()) * 1000)
        self.add_shop(TEST_SHOP, SHANGHAI, 31.2335, 121.4760)

    def add_shop(self, shop_no: str, city_code: str, lat: float, lng: float) -> Shop:
        with self.lock:
            self.shops[shop_no] = Shop(shop_no, city_code, lat, lng)
            return self.shops[shop_no]

    def secret(self, **overrides: str) -> dict[str, str]:
        return {
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "source_id": self.source_id,
            "base_url": self.url,
            **overrides,
        }

    def secret_json(self, **overrides: str) -> str:
        return json.dumps(self.secret(**overrides))

    def expire_quotes(self) -> None:
        """Every quote given so far lapses (Dada's clock moved on)."""
        with self.lock:
            for quote in self.quotes.values():
                quote.expires_at = 0

    def calls(self, path: str) -> list[tuple[dict[str, Any], int]]:
        """(business parameters, code) of every accepted call to ``path``, e.g. ``/api/order/addAfterQuery``."""
        with self.lock:
            return [(body, code) for called, body, code in self.requests if called == path]

    # -- HTTP

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        path = urlsplit(target).path
        if self.down or path in self.failing:
            return Response(502, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>")
        api = self._apis().get(path)
        if method != "POST" or api is None:
            return Response(404, {"Content-Type": "text/plain"}, b"not found")
        business: dict[str, Any] = {}
        try:
            params = json.loads(body)
            self._check(params)
            business = self._business(params["body"])
            with self.lock:
                result = api(business)
            code = 0
        except Refused as refusal:
            code, result = refusal.code, None
        except ValueError:
            code, result = 1998, None
        with self.lock:
            if code not in (1994, 1996, 1998, 2001, 2002, 2003, 2419):
                self.requests.append((path, business, code))
        answer = {
            "status": "success" if code == 0 else "fail",
            "code": code,
            "msg": "成功" if code == 0 else MESSAGES.get(code, "失败"),
            "result": result,
        }
        if code:
            answer["errorCode"] = code
        return Response(200, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(answer).encode())

    def _apis(self):
        return {
            "/api/order/queryDeliverFee": self._query_deliver_fee,
            "/api/order/addAfterQuery": self._add_after_query,
            "/api/order/formalCancel": self._formal_cancel,
            "/api/order/cancel/reasons": lambda _body: CANCEL_REASONS,
            "/api/order/status/query": self._status_query,
        }

    def _check(self, params: Any) -> None:
        names = {"app_key", "timestamp", "format", "v", "source_id", "body", "signature"}
        if not isinstance(params, dict) or set(params) != names or not all(isinstance(v, str) for v in params.values()):
            raise Refused(1998)
        if params["app_key"] != self.app_key:
            raise Refused(2001)
        if params["source_id"] != self.source_id:
            raise Refused(2002)
        if params["format"] != "json":
            raise Refused(1994)
        if params["v"] != "1.0":
            raise Refused(1996)
        if params["signature"] != request_signature(params, self.app_secret):
            raise Refused(2003)

    @staticmethod
    def _business(text: str) -> dict[str, Any]:
        if not text:
            return {}
        try:
            business = json.loads(text)
        except ValueError:
            raise Refused(2419) from None
        if not isinstance(business, dict):
            raise Refused(2419)
        return business

    # -- the APIs

    def _query_deliver_fee(self, body: dict[str, Any]) -> dict[str, Any]:
        for name, code in (("origin_id", 2104), ("callback", 2123), ("receiver_lat", 2128), ("receiver_lng", 2128)):
            if body.get(name) in (None, ""):
                raise Refused(code)
        for name in ("cargo_price", "cargo_weight", "receiver_lat", "receiver_lng"):
            if not isinstance(body.get(name), int | float) or isinstance(body.get(name), bool):
                raise Refused(2410)
        if body["cargo_weight"] <= 0:
            raise Refused(2103)
        shop = self.shops.get(str(body.get("shop_no")))
        if shop is None:
            raise Refused(2004)
        if body.get("city_code") != shop.city_code:
            raise Refused(2044)
        if body["origin_id"] in self.orders:
            raise Refused(2130)
        distance = _distance_m(shop.lat, shop.lng, body["receiver_lat"], body["receiver_lng"])
        fee = 500 + 100 * max(0, math.ceil((distance - 3000) / 1000))
        if fee > self.balance:
            raise Refused(2155)
        expires_at = time.time() + self.quote_ttl_seconds
        quote = Quote(f"Dada{next(self._numbers)}", body["origin_id"], body, fee, distance, expires_at)
        self.quotes[quote.delivery_no] = quote
        yuan = fee / 100
        return {"distance": round(distance, 2), "deliveryNo": quote.delivery_no, "fee": yuan, "deliverFee": yuan}

    def _add_after_query(self, body: dict[str, Any]) -> None:
        if not body.get("deliveryNo"):
            raise Refused(2078)
        quote = self.quotes.get(body["deliveryNo"])
        if quote is None:
            raise Refused(2005)
        lapsed = quote.expires_at < time.time()
        if lapsed and self.lapse_checked_first:
            raise Refused(2062)
        if quote.used:
            raise Refused(2065)
        if quote.origin_id in self.orders:
            raise Refused(2063)
        if lapsed:
            raise Refused(2062)
        quote.used = True
        shop = self.shops[str(quote.body["shop_no"])]
        order = DadaOrder(quote.origin_id, str(next(self._numbers)), shop, quote.body, quote.fee, quote.distance_m)
        self.orders[order.origin_id] = order
        self.balance -= quote.fee

    def _formal_cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("cancel_reason_id") is None:
            raise Refused(2048)
        reason_id = body["cancel_reason_id"]
        if reason_id not in [reason["id"] for reason in CANCEL_REASONS]:
            raise Refused(2457)
        if reason_id == 10000 and not body.get("cancel_reason"):
            raise Refused(2049)
        order = self.orders.get(str(body.get("order_id")))
        if order is None:
            raise Refused(2005)
        if order.status == 5:
            raise Refused(2076)
        if order.status in CANCEL_REFUSALS:
            raise Refused(CANCEL_REFUSALS[order.status])
        order.deduct_fee = 0 if order.status == 1 else 200  # 违约金 once a rider has taken it
        order.cancel_reason = body.get("cancel_reason") or next(
            r["reason"] for r in CANCEL_REASONS if r["id"] == reason_id
        )
        self._set(order, 5, cancel_from=2)
        self.balance += order.fee - order.deduct_fee
        return {"deduct_fee": order.deduct_fee / 100}

    def _status_query(self, body: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(body.get("order_id")))
        if order is None:
            raise Refused(2005)
        rider = order.rider or {}
        lat, lng = order.position or ("", "")
        return {
            "orderId": order.origin_id,
            "statusCode": order.status,
            "statusMsg": STATUSES[order.status][0],
            "transporterName": rider.get("name", ""),
            "transporterPhone": rider.get("phone", ""),
            "transporterLat": str(lat),
            "transporterLng": str(lng),
            "deliveryFee": order.fee / 100,
            "actualFee": order.fee / 100,
            "distance": round(order.distance_m, 2),
            "deductFee": order.deduct_fee / 100,
        }

    # -- Dada's back office

    def move(self, order_id: str, status: int) -> Notify:
        """Move one of Dada's orders to ``status``, as its riders and back office do; its signed callback, unsent.

        A rider takes the order at 2 (待取货) and keeps it; the rider is at the shop at 2, 100 and 10, halfway at
        3 and 9, at the customer at 4; 1 (待接单 again: the rider gave it up) drops the rider; 5 is Dada's
        customer service cancelling it.
        """
        if status not in STATUSES:
            raise ValueError(f"not a Dada status: {status}")
        with self.lock:
            order = self.orders[order_id]
            if status == 1:
                order.rider = None
            elif status != 1000 and order.rider is None:
                order.rider = RIDERS[0]
            if status == 5:
                order.cancel_reason = "客服取消"
            self._set(order, status, cancel_from=3 if status == 5 else 0)
            return self.callback(order)

    def callback(self, order: DadaOrder, *, signature: str | None = None) -> Notify:
        """The callback Dada sends for the order as it now is (``signature``: someone else's)."""
        rider = order.rider or {}
        body = {
            "client_id": order.client_id,
            "order_id": order.origin_id,
            "order_status": order.status,
            "cancel_reason": order.cancel_reason,
            "cancel_from": order.cancel_from,
            "update_time": order.update_time,
            "signature": signature or callback_signature(order.client_id, order.origin_id, str(order.update_time)),
            "dm_id": rider.get("id", 0),
            "dm_name": rider.get("name", ""),
            "dm_mobile": rider.get("phone", ""),
        }
        data = json.dumps(body, ensure_ascii=False).encode()
        return Notify(order.body["callback"], {"Content-Type": "application/json"}, data)

    def forged_callback(self, order_id: str, status: int) -> Notify:
        """A callback claiming ``status`` that Dada never sent: its signature isn't Dada's, and nothing moves here."""
        with self.lock:
            real = self.orders[order_id]
            claimed = DadaOrder(**{**real.__dict__, "status": status, "update_time": int(time.time())})
        return self.callback(claimed, signature=secrets.token_hex(16))

    def _set(self, order: DadaOrder, status: int, *, cancel_from: int) -> None:
        order.status, order.cancel_from = status, cancel_from
        order.update_time = max(order.update_time + 1, int(time.time()))  # every change is newer than the last
        order.position = _position(order) if order.rider else None


def _position(order: DadaOrder) -> tuple[float, float]:
    """Where the rider is at the order's status: at the shop, halfway, or at the customer."""
    shop, (lat, lng) = (order.shop.lat, order.shop.lng), order.receiver
    share = {3: 0.5, 9: 0.5, 4: 1.0}.get(order.status, 0.0)
    return round(shop[0] + (lat - shop[0]) * share, 6), round(shop[1] + (lng - shop[1]) * share, 6)


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance: what Dada prices by, near enough for a fake."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))
