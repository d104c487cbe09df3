"""WeChat's ``auth.code2Session`` as a local fake, and the mini-program's ``wx.login`` that feeds it codes.

Why: signing in with WeChat (``POST /auth/wechat {code}``) must work in the
local cloud without WeChat. The mini-program gets a one-time ``js_code`` from
``wx.login`` and our backend trades it at
``GET /sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code``;
here :meth:`FakeWeChatLogin.issue_code` plays ``wx.login`` (the local gateway
serves it as ``POST /dev/wechat/code``) and the server answers the trade as
WeChat does: always HTTP 200, with ``{openid, session_key, unionid?}`` or
``{errcode, errmsg}`` (40029 unknown code, 40163 code used, 40013 wrong appid,
40125 wrong secret). A code works once and for five minutes.
"""

from __future__ import annotations

import json
import secrets
import time
from email.message import Message
from urllib.parse import parse_qs, urlsplit

from paotui_local.fakes import FakeServer, Response

CODE_LIFETIME_SECONDS = 300


class FakeWeChatLogin(FakeServer):
    name = "fake-wechat-login"

    def __init__(self, *, appid: str = "wx1234567890abcdef", host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.appid = appid
        self.secret = secrets.token_hex(16)
        self._codes: dict[str, tuple[str, str | None, float]] = {}  # code -> (openid, unionid, expires)
        self._used: set[str] = set()

    def issue_code(self, openid: str | None = None, unionid: str | None = None) -> tuple[str, str]:
        """What ``wx.login`` gives the mini-program: (js_code, the openid it stands for; new if not given)."""
        openid = openid or "o" + secrets.token_urlsafe(20)
        code = secrets.token_hex(16)
        with self.lock:
            self._codes[code] = (openid, unionid, time.time() + CODE_LIFETIME_SECONDS)
        return code, openid

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        url = urlsplit(target)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if method != "GET" or url.path != "/sns/jscode2session":
            return _answer({"errcode": -1, "errmsg": "system error"})
        if query.get("appid") != self.appid or query.get("grant_type") != "authorization_code":
            return _answer({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.secret:
            return _answer({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = query.get("js_code", "")
        with self.lock:
            if code in self._used:
                return _answer({"errcode": 40163, "errmsg": "code been used"})
            grant = self._codes.pop(code, None)
            if grant is None or grant[2] < time.time():
                return _answer({"errcode": 40029, "errmsg": "invalid code"})
            self._used.add(code)
        openid, unionid, _ = grant
        answer = {"openid": openid, "session_key": secrets.token_urlsafe(16)}
        if unionid:
            answer["unionid"] = unionid
        return _answer(answer)


def _answer(payload: dict[str, object]) -> Response:
    """WeChat answers 200 whatever happened, labelled text/plain."""
    return Response(200, {"Content-Type": "text/plain"}, json.dumps(payload).encode())
