"""Ele.me's shop authorization (商家授权), the proof that a shop is the merchant's (docs/adr/0015).

OAuth 2.0's authorization code flow as Ele.me's open platform runs it:

1. The merchant's browser goes to ``<base>/authorize?response_type=code&client_id=<app key>&redirect_uri=…
   &state=…&scope=all``, where they sign in to their Ele.me merchant account and grant our app its shops.
2. Ele.me sends the browser back to ``redirect_uri?code=…&state=…`` (or ``?error=access_denied&state=…``).
3. We exchange the code: ``POST <base>/token``, a form (``grant_type=authorization_code``, ``code``,
   ``redirect_uri``, ``client_id``) with HTTP Basic ``base64(app key:secret)``; the answer is
   ``{"access_token", "token_type", "expires_in", "refresh_token"}`` or ``{"error", "error_description"}``.
4. With the token we ask who granted it: ``POST <base>/api/v1/``, Ele.me's signed JSON call
   ``{"nop": "1.0.0", "id", "action": "eleme.user.getUser", "token", "metas": {"app_key", "timestamp"},
   "params": {}, "signature"}``; the answer's ``result.authorizedShops`` (``[{"id", "name"}]``) are the shops
   the merchant has on Ele.me. The signature is the upper-case hex MD5 of the action, the token, every
   ``key=<JSON value>`` of ``params`` and ``metas`` together sorted by key and joined with nothing, then the secret.

Only the shop list is kept: the token proves the grant and is not stored (nothing here calls Ele.me on the
merchant's behalf yet). :func:`begin` and :func:`complete` are the flow around it: the ``state`` is ours
(``orders.bindings``), names the merchant who started, and is used once; the browser that started keeps a key in a
cookie (:func:`browser_cookie`) that the callback must see, so the state can't be handed to someone else's browser
(RFC 6749 §10.12); every shop of the grant is bound to that merchant as ``granted``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from paotui.orders import bindings
from paotui.orders.eleme import CHANNEL, ElemeConfig, configured
from paotui.orders.records import ChannelBindingRecord
from paotui.platform.errors import BadGateway, BadRequest, Conflict, NotFound, Unprocessable
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

GET_USER = "eleme.user.getUser"
CALLBACK_PATH = "/channels/eleme/authorized"
BROWSER_COOKIE = "paotui_eleme_authorization"
CHANNEL_UNAVAILABLE = "CHANNEL_UNAVAILABLE"
_OUR_FAULT = {"invalid_client", "unauthorized_client"}  # the app's key or secret, not the merchant's code
_TIMEOUT = (5.0, 10.0)  # connect, read: a merchant's browser waits on the callback
_NAME_LENGTH = 100  # of a shop's name kept on its binding


@dataclass(frozen=True)
class Started:
    authorize_url: str
    expires_at: str
    browser_key: str  # for the starting browser's cookie (BROWSER_COOKIE): the callback wants it back


def begin(merchant_id: str, *, by: str) -> Started:
    """Start a shop authorization for the merchant: where to send their browser, until when it may come back, and
    the key that browser must show when it does."""
    app = _app()
    authorization = bindings.start_authorization(CHANNEL, merchant_id, by=by)
    logger.info("eleme shop authorization started", extra={"merchant_id": merchant_id})
    return Started(
        authorize_url(app, redirect_uri(), authorization.state), authorization.expires_at, authorization.browser_key
    )


def browser_cookie(value: str, *, max_age: int) -> Cookie:
    """The cookie that keeps (or, with ``max_age`` 0, drops) the browser's key: sent back only to the callback, by
    a top-level navigation from Ele.me (``SameSite=Lax``), never readable by scripts."""
    base = urlsplit(get_settings().public_base_url)
    return Cookie(
        name=BROWSER_COOKIE,
        value=value,
        path=base.path.rstrip("/") + CALLBACK_PATH,
        secure=base.scheme == "https",
        http_only=True,
        max_age=max_age,
        same_site=SameSite.LAX_MODE,
    )


@dataclass(frozen=True)
class Granted:
    merchant_id: str
    bound: list[ChannelBindingRecord]
    held_elsewhere: list[str]  # granted shops another merchant holds on proof of their own


def complete(state: str, code: str | None, error: str | None, browser_key: str | None) -> Granted:
    """Ele.me's redirect back: bind every shop the merchant granted to the merchant who started. 400
    ``AUTHORIZATION_EXPIRED`` (unknown, used or lapsed state), ``AUTHORIZATION_NOT_YOURS`` (another browser than
    the one that started), ``AUTHORIZATION_DENIED`` (the merchant said no at Ele.me), ``AUTHORIZATION_REFUSED``
    (Ele.me won't take the code), 422 ``NO_SHOPS_GRANTED``, 409 ``SHOP_BOUND_ELSEWHERE`` when another merchant
    holds every granted shop on proof of their own."""
    app = _app()
    authorization = bindings.take_authorization(CHANNEL, state, browser_key)
    merchant_id = authorization.merchant_id
    if error or not code:
        logger.info("eleme shop authorization denied", extra={"merchant_id": merchant_id, "error": (error or "")[:64]})
        raise BadRequest("The shops were not granted at Ele.me.", code="AUTHORIZATION_DENIED")
    shops = client(app).shops(code, redirect_uri())
    if not shops:
        raise Unprocessable("The Ele.me account granted no shops.", code="NO_SHOPS_GRANTED")
    bound, held_elsewhere = [], []
    for shop in shops:
        try:
            bound.append(
                bindings.bind_shop(
                    CHANNEL,
                    shop.id,
                    merchant_id,
                    by=authorization.asked_by,
                    proof=bindings.GRANTED,
                    shop_name=shop.name,
                )
            )
        except Conflict:
            held_elsewhere.append(shop.id)
    if not bound:
        raise Conflict(
            "Every shop Ele.me granted is bound to another merchant.",
            code="SHOP_BOUND_ELSEWHERE",
            details={"channel": CHANNEL, "shop_ids": held_elsewhere},
        )
    metrics.add_metric(name="ElemeShopsGranted", unit="Count", value=len(bound))
    return Granted(merchant_id, bound, held_elsewhere)


def redirect_uri() -> str:
    """Where Ele.me sends the merchant back: the app's callback address registered at Ele.me must be this."""
    return get_settings().public_base_url.rstrip("/") + CALLBACK_PATH


def _app() -> ElemeConfig:
    app = configured()
    if not app.key:
        raise NotFound("Ele.me shop authorization is not configured in this deployment.", code="CHANNEL_NOT_FOUND")
    return app


@lru_cache(maxsize=4)
def client(app: ElemeConfig) -> ElemeAuthorization:
    return ElemeAuthorization(app)


@dataclass(frozen=True)
class ElemeShop:
    id: str
    name: str


def authorize_url(app: ElemeConfig, redirect_uri: str, state: str) -> str:
    query = {
        "response_type": "code",
        "client_id": app.key,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": "all",
    }
    return f"{app.base_url.rstrip('/')}/authorize?{urlencode(query)}"


def call_signature(action: str, token: str, metas: dict[str, Any], params: dict[str, Any], secret: str) -> str:
    """Ele.me's API signature (MD5 is theirs): action, token, sorted ``key=<JSON>`` of params and metas, secret."""
    fields = "".join(
        f"{key}={json.dumps(value, ensure_ascii=False, separators=(',', ':'))}"
        for key, value in sorted({**params, **metas}.items())
    )
    return hashlib.md5((action + token + fields + secret).encode()).hexdigest().upper()


class ElemeAuthorization:
    """Exchanges a grant's code for a token, and the token for the shops it grants (one per container and app)."""

    def __init__(self, app: ElemeConfig):
        self.app = app
        self._http = requests.Session()

    def shops(self, code: str, redirect_uri: str) -> list[ElemeShop]:
        """The shops the merchant granted; 400 ``AUTHORIZATION_REFUSED`` if Ele.me won't take the code."""
        return self._authorized_shops(self._token(code, redirect_uri))

    def _token(self, code: str, redirect_uri: str) -> str:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.app.key,
        }
        answer = self._post("/token", data=form, auth=(self.app.key, self.app.secret))
        token, error = answer.get("access_token"), answer.get("error")
        if error in _OUR_FAULT:
            raise BadGateway(
                "Ele.me does not know this app's key or secret.", code=CHANNEL_UNAVAILABLE, details={"error": error}
            )
        if error or not isinstance(token, str) or not token:
            logger.info("eleme refused the code", extra={"error": error})
            raise BadRequest(
                "Ele.me did not accept this authorization; start again.",
                code="AUTHORIZATION_REFUSED",
                details={"error": str(error or "no token")[:64]},
            )
        return token

    def _authorized_shops(self, token: str) -> list[ElemeShop]:
        metas = {"app_key": self.app.key, "timestamp": int(time.time())}
        call = {
            "nop": "1.0.0",
            "id": secrets.token_hex(16),
            "action": GET_USER,
            "token": token,
            "metas": metas,
            "params": {},
            "signature": call_signature(GET_USER, token, metas, {}, self.app.secret),
        }
        answer = self._post("/api/v1/", json=call)
        error, result = answer.get("error"), answer.get("result")
        if error or not isinstance(result, dict) or not isinstance(result.get("authorizedShops"), list):
            code = error.get("code") if isinstance(error, dict) else None
            raise BadGateway(
                "Ele.me did not say which shops were granted.", code=CHANNEL_UNAVAILABLE, details={"eleme_code": code}
            )
        try:
            return [
                ElemeShop(id=str(int(shop["id"])), name=_printable(shop.get("name")))
                for shop in result["authorizedShops"]
            ]
        except (KeyError, TypeError, ValueError):
            raise BadGateway("Ele.me's shop list is not one we understand.", code=CHANNEL_UNAVAILABLE) from None

    def _post(self, path: str, **request: Any) -> dict[str, Any]:
        """One call; its JSON object. Unreachable, a 5xx or an answer that is not JSON → 502."""
        try:
            response = self._http.post(self.app.base_url.rstrip("/") + path, timeout=_TIMEOUT, **request)
        except requests.RequestException as error:
            raise BadGateway(
                "Ele.me could not be reached.", code=CHANNEL_UNAVAILABLE, details={"reason": type(error).__name__}
            ) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 500 or not isinstance(answer, dict):
            raise BadGateway(
                "Ele.me did not answer.", code=CHANNEL_UNAVAILABLE, details={"http_status": response.status_code}
            )
        return answer


def _printable(name: Any) -> str:
    """The shop's name as we can store and show it: no control characters or lone surrogates (JSON may carry a
    ``\\ud800`` escape, which no UTF-8 holds), at most ``_NAME_LENGTH`` characters."""
    return "".join(ch for ch in str(name or "") if ch.isprintable())[:_NAME_LENGTH]
