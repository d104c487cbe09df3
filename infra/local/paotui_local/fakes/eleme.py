"""Ele.me's open platform as a local fake: a test app that pushes signed orders to our push URL, and the shop
authorization (OAuth) a merchant grants it.

Why: ``paotui.orders.eleme`` and ``.eleme_oauth`` must be exercised end to end (the push's shape, its MD5
signature, the message as JSON text with yuan amounts, the ``{"message": "ok"}`` acknowledgement; the authorize
redirect, the code exchange with HTTP Basic, the signed ``eleme.user.getUser`` call) without an Ele.me account.

How: ``with FakeEleme() as fake:`` serves Ele.me's ``/authorize`` (a sign-in and consent page for a browser),
``/token`` and ``/api/v1/`` on ``fake.url``; ``secret_json()``
is the ``ElemeSecret`` value pointing at it (the local cloud writes it at start and points ``push_url`` at the
gateway's ``/channels/eleme/push``). Pushes: ``new_order(...)`` is a signed type-10 push (订单生效),
``cancellation(...)`` a type-14 one (订单被取消), ``forged(push)`` the same push signed with a wrong secret;
``deliver(push)`` sends one. Amounts are given in fen and written as Ele.me writes them, in yuan. Authorization:
``grant(authorize_url, shops)`` plays the merchant signing in at Ele.me and granting ``shops`` ({id: name}); it
returns the URL Ele.me sends their browser back to (``deny`` the one for a refusal). The token endpoint checks the
app's Basic credentials, that the code is one it issued for this redirect URI, unused and under 10 minutes old; the
API checks the call's signature, app key, timestamp (±5 minutes) and token, as Ele.me does. Dev tooling only.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import Message
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from paotui_local.fakes import FakeServer, Notify, Response

PUSH_PATH = "/channels/eleme/push"
ACK = {"message": "ok"}
CODE_SECONDS = 600  # an authorization code's life at Ele.me
CLOCK_SKEW_SECONDS = 300  # an API call's timestamp may be this far off


def yuan(fen: int) -> float:
    """Fen as the number Ele.me's JSON carries (a double, e.g. ``18.9``)."""
    return fen / 100


def ele_phone(phone: str) -> str:
    """How Ele.me lists a mainland phone: 11 digits, no country code."""
    return phone.removeprefix("+86")


@dataclass(frozen=True)
class _Grant:
    shops: dict[str, str]  # shop id → name
    redirect_uri: str
    client_id: str
    issued: float


class FakeEleme(FakeServer):
    name = "fake-eleme"

    def __init__(self, *, app_id: str = "27394562", push_url: str = "", **server: Any):
        super().__init__(**server)
        self.app_id = app_id
        self.key = "fake" + secrets.token_hex(4)
        self.secret = secrets.token_hex(20)
        self.push_url = push_url
        self._ids = itertools.count(int(time.time() * 1000) * 1000)
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, _Grant] = {}

    def secret_json(self) -> str:
        return json.dumps({"app_id": self.app_id, "key": self.key, "secret": self.secret, "base_url": self.url})

    # --- shop authorization ---------------------------------------------------------------------------

    def grant(self, authorize_url: str, shops: Mapping[str, str]) -> str:
        """The merchant signs in at Ele.me and grants the app ``shops``: the URL their browser is sent back to."""
        query = self._authorize_query(authorize_url)
        code = secrets.token_hex(16)
        with self.lock:
            self._codes[code] = _Grant(dict(shops), query["redirect_uri"], query["client_id"], time.time())
        return _back(query, code=code)

    def deny(self, authorize_url: str) -> str:
        """The merchant says no at Ele.me."""
        return _back(self._authorize_query(authorize_url), error="access_denied")

    def _authorize_query(self, authorize_url: str) -> dict[str, str]:
        parts = urlsplit(authorize_url)
        query = dict(parse_qsl(parts.query))
        if parts.path != "/authorize" or query.get("response_type") != "code" or query.get("client_id") != self.key:
            raise ValueError(f"Ele.me would show an error page for {authorize_url}")
        if not query.get("redirect_uri") or not query.get("state") or query.get("scope") != "all":
            raise ValueError(f"Ele.me would show an error page for {authorize_url}")
        return query

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        path = urlsplit(target).path
        if method == "GET" and path == "/authorize":
            return self._sign_in_page(target)
        if method == "GET" and path == "/authorize/decision":
            return self._decision(target)
        if method == "POST" and path == "/token":
            return self._token(headers, body)
        if method == "POST" and path == "/api/v1/":
            return self._api(body)
        return _json_answer(404, {"error": "not_found"})

    def _sign_in_page(self, target: str) -> Response:
        """Ele.me's sign-in and consent page, as a browser sees it: the shops to grant, 授权 or 拒绝."""
        try:
            query = self._authorize_query(self.url + target)
        except ValueError as refused:
            return Response(400, {"Content-Type": "text/plain; charset=utf-8"}, str(refused).encode())
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in query.items())
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>饿了么商家授权</title></head><body>'
            f'<h1>授权应用 {escape(query["client_id"])} 访问你的店铺</h1><form action="/authorize/decision">{hidden}'
            '<label>店铺 ID（逗号分隔）<input id="shops" name="shops"></label>'
            '<button id="grant" name="decision" value="grant">授权</button>'
            '<button id="deny" name="decision" value="deny">拒绝</button></form></body></html>'
        )
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, page.encode())

    def _decision(self, target: str) -> Response:
        """The merchant's answer on the page: Ele.me sends their browser back to the app."""
        query = dict(parse_qsl(urlsplit(target).query))
        shops = [shop.strip() for shop in query.pop("shops", "").split(",") if shop.strip()]
        decision = query.pop("decision", "")
        authorize_url = f"{self.url}/authorize?{urlencode(query)}"
        if decision == "grant":
            back = self.grant(authorize_url, {shop: f"店铺 {shop}" for shop in shops})
        else:
            back = self.deny(authorize_url)
        return Response(302, {"Location": back})

    def _token(self, headers: Message, body: bytes) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        if headers.get("Authorization") != expected:
            return _json_answer(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        form = dict(parse_qsl(body.decode()))
        with self.lock:
            grant = self._codes.pop(form.get("code", ""), None)
        fresh = grant is not None and time.time() - grant.issued < CODE_SECONDS
        if form.get("grant_type") != "authorization_code" or not fresh:
            return _json_answer(400, {"error": "invalid_grant", "error_description": "code is invalid or expired"})
        if form.get("redirect_uri") != grant.redirect_uri or form.get("client_id") != grant.client_id:
            return _json_answer(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
        token = secrets.token_hex(16)
        with self.lock:
            self._tokens[token] = grant
        answer = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 2592000,
            "refresh_token": secrets.token_hex(16),
        }
        return _json_answer(200, answer)

    def _api(self, body: bytes) -> Response:
        call = json.loads(body)
        metas, params = call.get("metas") or {}, call.get("params") or {}
        action, token = call.get("action", ""), call.get("token", "")

        def error(code: str, message: str) -> Response:
            return _json_answer(
                200, {"id": call.get("id"), "result": None, "error": {"code": code, "message": message}}
            )

        if metas.get("app_key") != self.key:
            return error("INVALID_APP_KEY", "app_key is invalid")
        if abs(time.time() - int(metas.get("timestamp") or 0)) > CLOCK_SKEW_SECONDS:
            return error("INVALID_TIMESTAMP", "timestamp is out of range")
        if call.get("signature") != _call_signature(action, token, metas, params, self.secret):
            return error("INVALID_SIGNATURE", "signature is invalid")
        with self.lock:
            grant = self._tokens.get(token)
        if grant is None:
            return error("UNAUTHORIZED", "token is invalid")
        if action != "eleme.user.getUser":
            return error("METHOD_NOT_ALLOWED", f"{action} is not served by this fake")
        shops = [{"id": int(shop_id), "name": name} for shop_id, name in grant.shops.items()]
        result = {"userId": 75634421, "userName": "fake-merchant", "authorizedShops": shops}
        return _json_answer(200, {"id": call.get("id"), "result": result, "error": None})

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

    def acknowledged(self, status: int, body: bytes) -> bool:
        """Ele.me counts a push delivered only on 200 ``{"message": "ok"}``."""
        return status == 200 and _json(body) == ACK

    def _notify(self, body: Mapping[str, Any]) -> Notify:
        data = json.dumps(body, ensure_ascii=False).encode()
        return Notify(self.push_url, {"Content-Type": "application/json;charset=utf-8"}, data)


def _back(query: Mapping[str, str], **answer: str) -> str:
    separator = "&" if "?" in query["redirect_uri"] else "?"
    return query["redirect_uri"] + separator + urlencode({**answer, "state": query["state"]})


def _json_answer(status: int, body: Any) -> Response:
    return Response(status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(body).encode())


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _call_signature(action: str, token: str, metas: Mapping[str, Any], params: Mapping[str, Any], secret: str) -> str:
    """Ele.me's API signature as its documents give it, written out apart from the adapter's so the adapter is
    checked against it: MD5 of the action, the token, ``key=<JSON>`` of params and metas sorted, the secret."""
    fields = sorted({**params, **metas}.items())
    joined = "".join(f"{key}={json.dumps(value, ensure_ascii=False, separators=(',', ':'))}" for key, value in fields)
    return hashlib.md5(f"{action}{token}{joined}{secret}".encode()).hexdigest().upper()


def _sign(body: Mapping[str, Any], secret: str) -> str:
    """Ele.me's signature, by the adapter's own function (imported late: domain modules read table names at
    import, which the local cloud sets only once it has provisioned them)."""
    from paotui.orders.eleme import signature

    return signature(body, secret)
