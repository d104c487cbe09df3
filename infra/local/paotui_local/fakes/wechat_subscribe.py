"""WeChat's access token and subscribe-message API as a local fake, served beside its ``code2Session``.

Why: customers' subscribe messages (``paotui.notify.wechat_subscribe``) must
go out in the local cloud without WeChat, and be seen. One server plays
``api.weixin.qq.com`` (``settings.wechat_api_base``): :class:`FakeWeChat` is
the login fake plus

- ``POST /cgi-bin/stable_token {grant_type, appid, secret, force_refresh?}``
  → ``{access_token, expires_in}``: the same token until it expires (or a
  ``force_refresh``); 40002 wrong grant type, 40013 wrong appid, 40125 wrong
  secret;
- ``POST /cgi-bin/message/subscribe/send?access_token=`` → ``{errcode: 0,
  errmsg: "ok", msgid}``, or 40001 unknown token, 42001 expired token, 40003
  an openid that never signed in here (:meth:`issue_code` made it), 40037 an
  unknown template, 47003 data that does not fit the template (its keywords,
  and WeChat's limit for each keyword's type), 43101 a user who refused
  (:meth:`refuse`).

It has one template, :attr:`template_id`, with the keywords
``paotui.notify.wechat_subscribe`` fills. Each message sent is kept in
:attr:`sent` and handed to :attr:`on_message` (the local cloud writes it to
the outbox as channel ``wechat``, ``to`` the openid, so ``GET
/dev/outbox?to=<openid>`` shows it). Like WeChat, it answers 200 whatever
happened.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from paotui_local.fakes import Response
from paotui_local.fakes.wechat_login import FakeWeChatLogin, _answer

TOKEN_LIFETIME_SECONDS = 7200
KEYWORDS = ("character_string1", "phrase2", "thing3", "time4")

_LIMITS: dict[str, Callable[[str], bool]] = {  # a keyword's type (its name without the number) → what it accepts
    "thing": lambda value: 0 < len(value) <= 20 and "\n" not in value,
    "character_string": lambda value: re.fullmatch(r"[\x21-\x7e]{1,32}", value) is not None,
    "phrase": lambda value: re.fullmatch(r"[\u4e00-\u9fff]{1,5}", value) is not None,
    "time": lambda value: re.fullmatch(r"(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2}(:\d{2})?", value) is not None,
}


class FakeWeChat(FakeWeChatLogin):
    name = "fake-wechat"

    def __init__(self, *, appid: str = "wx1234567890abcdef", host: str = "127.0.0.1", port: int = 0):
        super().__init__(appid=appid, host=host, port=port)
        self.template_id = "tmpl-" + secrets.token_urlsafe(16)
        self.sent: list[dict[str, Any]] = []
        self.on_message: Callable[[dict[str, Any]], None] | None = None
        self._token = ""
        self._token_expires = 0.0
        self._users: set[str] = set()
        self._refused: set[str] = set()

    def issue_code(self, openid: str | None = None, unionid: str | None = None) -> tuple[str, str]:
        code, openid = super().issue_code(openid, unionid)
        with self.lock:
            self._users.add(openid)
        return code, openid

    def refuse(self, openid: str) -> None:
        """The user turned the subscription off (or used it up): sends to them answer 43101."""
        with self.lock:
            self._refused.add(openid)

    def expire_token(self) -> None:
        """The access token expires now (sends with it answer 42001, stable_token gives a new one)."""
        with self.lock:
            self._token_expires = 0.0

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        url = urlsplit(target)
        if method == "POST" and url.path == "/cgi-bin/stable_token":
            return _answer(self._stable_token(_json(body)))
        if method == "POST" and url.path == "/cgi-bin/message/subscribe/send":
            token = parse_qs(url.query).get("access_token", [""])[0]
            return _answer(self._send(token, _json(body)))
        return super().handle(method, target, headers, body)

    def _stable_token(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if request.get("appid") != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if request.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self.lock:
            now = time.time()
            if request.get("force_refresh") or not self._token or self._token_expires <= now:
                self._token = secrets.token_urlsafe(48)
                self._token_expires = now + TOKEN_LIFETIME_SECONDS
            return {"access_token": self._token, "expires_in": int(self._token_expires - now)}

    def _send(self, token: str, request: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if not token or token != self._token:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            if self._token_expires <= time.time():
                return {"errcode": 42001, "errmsg": "access_token expired"}
            openid = request.get("touser")
            if openid not in self._users:
                return {"errcode": 40003, "errmsg": "invalid openid"}
            if request.get("template_id") != self.template_id:
                return {"errcode": 40037, "errmsg": "invalid template_id"}
            problem = _misfit(request.get("data"))
            if problem:
                return {"errcode": 47003, "errmsg": f"argument invalid! {problem}"}
            if openid in self._refused:
                return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            values = {key: request["data"][key]["value"] for key in KEYWORDS}
            message = {
                "to": openid,
                "channel": "wechat",
                "title": values["phrase2"],
                "body": values["thing3"],
                "data": {
                    "template_id": self.template_id,
                    "page": request.get("page"),
                    "lang": request.get("lang"),
                    "miniprogram_state": request.get("miniprogram_state"),
                    **values,
                },
            }
            self.sent.append(message)
        if self.on_message:
            self.on_message(message)
        return {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbits(63)}


def _misfit(data: Any) -> str | None:
    """What in ``data`` WeChat would refuse (47003), or None."""
    if not isinstance(data, dict) or set(data) != set(KEYWORDS):
        return f"data must have exactly the keywords {', '.join(KEYWORDS)}"
    for key in KEYWORDS:
        value = data[key].get("value") if isinstance(data[key], dict) else None
        if not isinstance(value, str) or not _LIMITS[key.rstrip("0123456789")](value):
            return f"data.{key}.value invalid"
    return None


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
