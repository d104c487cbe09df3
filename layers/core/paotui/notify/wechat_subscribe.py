"""WeChat subscribe messages (订阅消息) to the mini-program's customers, as WeChat documents them.

Sending: ``POST {base}/cgi-bin/message/subscribe/send?access_token=<token>``
with ``{touser, template_id, page, data: {<keyword>: {value}}, miniprogram_state,
lang}``. WeChat answers 200 with ``{errcode, errmsg}`` whatever happened:

=====================  ==============================================================
0                      sent
43101                  the user refused, or has no subscription left (a one-time
                       subscription allows one message): :class:`SubscriptionRefused`,
                       and the caller texts instead; 40003 (no such openid) likewise
40001, 40014, 42001    the access token is invalid or expired: a fresh one, once
anything else          :class:`WeChatSendFailed` (the notify event is retried)
=====================  ==============================================================

The access token comes from ``POST {base}/cgi-bin/stable_token``
``{grant_type: client_credential, appid, secret}`` → ``{access_token,
expires_in}``, in normal mode (no ``force_refresh``): every container gets the
same token, and fetching it never invalidates another container's. It is kept
per container until ``wechat_token_refresh_margin_seconds`` before it expires.

Which template a message goes with is ``settings.wechat_subscribe_templates``:
a JSON map from the message (an order status such as ``DELIVERING``, or an
alert kind such as ``delivery_failed``) to a template id, ``"*"`` for every
message not named; empty, or a message mapped to ``""``: no subscribe message
(the customer is texted). Every template is expected to have these keywords
(pick library templates with them, in this order):

=====================  ====================  ===============================================
keyword                value                 WeChat's limit
=====================  ====================  ===============================================
``character_string1``  订单编号: order ref    at most 32 digits, letters and symbols
``phrase2``            订单状态: the label     at most 5 Chinese characters, nothing else
``thing3``             温馨提示: the brief     at most 20 characters, no line breaks
``time4``              更新时间               24-hour time with a date: ``2025年11月26日 12:00``
=====================  ====================  ===============================================
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from paotui.notify.templates import CHINA_TIME, EN, Message, locale_of
from paotui.platform.ids import short_ref
from paotui.platform.clock import parse_iso
from paotui.platform.observability import logger
from paotui.platform.settings import Settings

THING_MAX = 20
CHARACTER_STRING_MAX = 32
PHRASE_MAX = 5
ANY_MESSAGE = "*"

_TOKEN_INVALID = frozenset({40001, 40014, 42001})
_CANNOT_REACH = frozenset({43101, 40003})
_PHRASE = re.compile(rf"[\u4e00-\u9fff]{{1,{PHRASE_MAX}}}")
_NOT_CHARACTER_STRING = re.compile(r"[^\x21-\x7e]")


class SubscriptionRefused(Exception):
    """WeChat will not deliver to this user (43101: refused or no subscription left; 40003: unknown openid)."""


class WeChatSendFailed(Exception):
    """WeChat could not be asked, or said no for a reason a later retry may not have."""


# --- the message ---------------------------------------------------------------------------------------------


def template_for(message: str, settings: Settings) -> str | None:
    """The subscribe template of ``message`` (a status or alert kind), or None: not sent that way."""
    templates = _templates(settings.wechat_subscribe_templates)
    return templates.get(message, templates.get(ANY_MESSAGE)) or None


@lru_cache(maxsize=4)
def _templates(raw: str) -> dict[str, str]:
    if not raw.strip():
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise ValueError("WECHAT_SUBSCRIBE_TEMPLATES must be a JSON object of message → template id")
    return parsed


def subscribe_payload(
    openid: str,
    template_id: str,
    message: Message,
    *,
    order_id: str,
    at: str,
    locale: str | None,
    settings: Settings,
) -> dict[str, Any]:
    """The body of ``subscribe/send`` for ``message`` about ``order_id``, sent ``at`` (ISO time)."""
    return {
        "touser": openid,
        "template_id": template_id,
        "page": settings.wechat_subscribe_page.format(order_id=order_id),
        "miniprogram_state": settings.wechat_miniprogram_state,
        "lang": "en_US" if locale_of(locale) == EN else "zh_CN",
        "data": {
            "character_string1": {"value": character_string(short_ref(order_id))},
            "phrase2": {"value": phrase(message.label)},
            "thing3": {"value": thing(message.brief or message.title)},
            "time4": {"value": wechat_time(at)},
        },
    }


def thing(text: str) -> str:
    """At most 20 characters on one line: longer text is cut, with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= THING_MAX else text[: THING_MAX - 1] + "…"


def character_string(text: str) -> str:
    """At most 32 visible ASCII characters (digits, letters, symbols)."""
    return _NOT_CHARACTER_STRING.sub("", text)[:CHARACTER_STRING_MAX]


def phrase(text: str) -> str:
    """One to five Chinese characters, as WeChat requires; anything else is a wording bug, raised here."""
    if not _PHRASE.fullmatch(text):
        raise ValueError(f"a subscribe message phrase is 1-{PHRASE_MAX} Chinese characters, not {text!r}")
    return text


def wechat_time(iso: str) -> str:
    moment = parse_iso(iso).astimezone(CHINA_TIME)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


# --- the API ---------------------------------------------------------------------------------------------------

_tokens: dict[tuple[str, str], tuple[str, float]] = {}  # (base url, appid) → (token, monotonic time to renew at)
_tokens_lock = threading.Lock()


class WeChatSubscribeClient:
    """``subscribe/send`` against ``base_url`` with this container's access token (``stable_token``)."""

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: Callable[[], str],
        *,
        timeout: float = 5.0,
        refresh_margin_seconds: float = 300.0,
    ):
        self._base_url = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._timeout = timeout
        self._refresh_margin = refresh_margin_seconds

    def send(self, payload: Mapping[str, Any]) -> None:
        """Send one subscribe message; a token WeChat calls invalid is replaced once."""
        token = self._token()
        for last_try in (False, True):
            answer = self._post(f"/cgi-bin/message/subscribe/send?access_token={token}", payload)
            errcode = int(answer.get("errcode") or 0)
            if errcode == 0:
                return
            if errcode in _CANNOT_REACH:
                raise SubscriptionRefused(f"{errcode} {answer.get('errmsg')}")
            if errcode in _TOKEN_INVALID and not last_try:
                logger.info("wechat access token refused; fetching it again", extra={"errcode": errcode})
                self._forget(token)
                token = self._token()
                continue
            logger.error("subscribe message failed", extra={"errcode": errcode, "errmsg": answer.get("errmsg")})
            raise WeChatSendFailed(f"subscribe/send answered {errcode} {answer.get('errmsg')}")

    def _token(self) -> str:
        key = (self._base_url, self._appid)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
            body = {"grant_type": "client_credential", "appid": self._appid, "secret": self._secret()}
            answer = self._post("/cgi-bin/stable_token", body)
            token, lifetime = answer.get("access_token"), answer.get("expires_in")
            if not token or not lifetime:
                failure = {"errcode": answer.get("errcode"), "errmsg": answer.get("errmsg")}
                logger.error("stable_token failed", extra=failure)
                raise WeChatSendFailed(f"stable_token answered {answer.get('errcode')} {answer.get('errmsg')}")
            _tokens[key] = (token, time.monotonic() + float(lifetime) - self._refresh_margin)
            return token

    def _forget(self, token: str) -> None:
        """Drop ``token``, unless another thread already replaced it."""
        key = (self._base_url, self._appid)
        with _tokens_lock:
            if _tokens.get(key, ("",))[0] == token:
                del _tokens[key]

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        from http.client import HTTPException  # only a worker that sends subscribe messages pays for urllib
        from urllib.request import Request, urlopen

        request = Request(
            f"{self._base_url}{path}",
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urlopen(request, timeout=self._timeout) as response:  # noqa: S310 (https base from settings)
                return json.loads(response.read())
        # OSError: unreachable (URLError), timed out, reset; HTTPException: the connection dropped before or
        # during the answer (urlopen raises those as they are)
        except (OSError, HTTPException, ValueError) as error:
            raise WeChatSendFailed(f"WeChat unreachable: {error}") from error


def client_from(settings: Settings) -> WeChatSubscribeClient:
    """The client of the mini-program in ``settings``; its app secret is read from Secrets Manager when needed."""
    from paotui.platform.secrets import secret_value

    return WeChatSubscribeClient(
        settings.wechat_api_base,
        settings.wechat_appid,
        lambda: secret_value(settings.wechat_secret_arn),
        timeout=settings.wechat_timeout_seconds,
        refresh_margin_seconds=settings.wechat_token_refresh_margin_seconds,
    )
