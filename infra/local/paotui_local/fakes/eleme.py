"""Ele.me's open platform as a local fake: a test app that pushes signed orders to our push URL.

Why: ``paotui.orders.eleme`` must be exercised end to end (the push's shape,
its MD5 signature, the message as JSON text with yuan amounts, the
``{"message": "ok"}`` acknowledgement) without an Ele.me account. Ele.me
calls us (消息推送), never the other way round here, so this fake serves
nothing: it builds pushes exactly as Ele.me does, signs them with the app's
secret (or, on request, another one), POSTs them to ``push_url`` as often as a
test likes and records how each was answered.

How: ``FakeEleme()``; ``secret_json()`` is the ``ElemeSecret`` value (the
local cloud writes it at start and points ``push_url`` at the gateway's
``/channels/eleme/push``). ``new_order(...)`` is a signed type-10 push (订单生效),
``cancellation(...)`` a type-14 one (订单被取消), ``forged(push)`` the same push
signed with a wrong secret; ``deliver(push)`` sends one. Amounts are given in
fen and written as Ele.me writes them, in yuan. Dev tooling only.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from paotui_local.fakes import Delivery, Notify, post

PUSH_PATH = "/channels/eleme/push"
ACK = {"message": "ok"}


def yuan(fen: int) -> float:
    """Fen as the number Ele.me's JSON carries (a double, e.g. ``18.9``)."""
    return fen / 100


def ele_phone(phone: str) -> str:
    """How Ele.me lists a mainland phone: 11 digits, no country code."""
    return phone.removeprefix("+86")


class FakeEleme:
    def __init__(self, *, app_id: str = "27394562", push_url: str = ""):
        self.app_id = app_id
        self.secret = secrets.token_hex(20)
        self.push_url = push_url
        self.lock = threading.RLock()
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(int(time.time() * 1000) * 1000)

    def secret_json(self) -> str:
        return json.dumps({"app_id": self.app_id, "secret": self.secret})

    def order_id(self) -> str:
        """A new Ele.me order id (they are long numbers, sent as text)."""
        return str(next(self._ids))

    def order_message(
        self,
        shop_id: str,
        items: Sequence[Mapping[str, Any]],
        address: Mapping[str, Any],
        *,
        order_id: str | None = None,
        deliver_fee: int = 500,
        deliver_time: datetime | None = None,
        description: str = "",
        online_paid: bool = True,
        user_id: int = 62864532,
    ) -> dict[str, Any]:
        """A type-10 message: ``items`` [{extend_code, quantity, price (fen), name?}], ``address`` as our API's."""
        lines = [
            {
                "name": item.get("name") or item["extend_code"],
                "quantity": item["quantity"],
                "price": yuan(item["price"]),
                "total": yuan(item["price"] * item["quantity"]),
                "extendCode": item["extend_code"],
            }
            for item in items
        ]
        items_total = sum(item["price"] * item["quantity"] for item in items)
        return {
            "id": order_id or self.order_id(),
            "shopId": int(shop_id),
            "userId": user_id,
            "consignee": address["contact_name"],
            "phoneList": [ele_phone(address["contact_phone"])],
            "address": address["detail"],
            "deliveryGeo": f"{address['lng']},{address['lat']}",
            "deliverFee": yuan(deliver_fee),
            "totalPrice": yuan(items_total + deliver_fee),
            "description": description,
            "groups": [{"name": "1号篮子", "type": "normal", "items": lines}],
            "createdAt": datetime.now().strftime("%Y-%m-%dT%H:%M:%S"),
            "deliverTime": deliver_time.isoformat(timespec="seconds") if deliver_time else None,
            "onlinePaid": online_paid,
        }

    def push(self, kind: int, message: Mapping[str, Any], shop_id: str) -> Notify:
        """One signed push of ``message`` (type ``kind``) to ``push_url``, as Ele.me sends it."""
        body = {
            "requestId": secrets.token_hex(8),
            "type": kind,
            "appId": int(self.app_id),
            "message": json.dumps(message, ensure_ascii=False),
            "shopId": int(shop_id),
            "timestamp": int(time.time() * 1000),
            "userId": 62864532,
        }
        return self._notify({**body, "signature": _sign(body, self.secret)})

    def new_order(
        self, shop_id: str, items: Sequence[Mapping[str, Any]], address: Mapping[str, Any], **fields
    ) -> Notify:
        return self.push(10, self.order_message(shop_id, items, address, **fields), shop_id)

    def cancellation(self, order_id: str, shop_id: str, *, role: int = 1) -> Notify:
        message = {
            "orderId": order_id,
            "state": "invalid",
            "shopId": int(shop_id),
            "updateTime": int(time.time()),
            "role": role,
        }
        return self.push(14, message, shop_id)

    def forged(self, notify: Notify, secret: str = "not-the-app-secret") -> Notify:
        """The same push signed with another secret: what someone who isn't Ele.me could send."""
        body = json.loads(notify.body)
        return self._notify({**body, "signature": _sign(body, secret)})

    def tampered(self, notify: Notify, **changes: Any) -> Notify:
        """The push with fields changed after it was signed."""
        return replace(notify, body=json.dumps({**json.loads(notify.body), **changes}, ensure_ascii=False).encode())

    def deliver(self, notify: Notify, *, timeout: float = 10) -> Delivery:
        """POST one push now; Ele.me counts it delivered only on 200 ``{"message": "ok"}``."""
        status, body = post(notify, timeout=timeout)
        delivery = Delivery(notify, status, body, status == 200 and _json(body) == ACK)
        with self.lock:
            self.deliveries.append(delivery)
        return delivery

    def _notify(self, body: Mapping[str, Any]) -> Notify:
        data = json.dumps(body, ensure_ascii=False).encode()
        return Notify(self.push_url, {"Content-Type": "application/json;charset=utf-8"}, data)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _sign(body: Mapping[str, Any], secret: str) -> str:
    """Ele.me's signature, by the adapter's own function (imported late: domain modules read table names at
    import, which the local cloud sets only once it has provisioned them)."""
    from paotui.orders.eleme import signature

    return signature(body, secret)
