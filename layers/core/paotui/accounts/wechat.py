"""WeChat mini-program login: the ``auth.code2Session`` call, exactly as WeChat documents it.

``GET {base}/sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code``
answers 200 with JSON ``{openid, session_key, unionid?}`` or ``{errcode, errmsg}``
(the HTTP status says nothing; ``errcode`` does). A ``js_code`` is single-use
and lives five minutes. The session key is never stored or returned: we only
need the openid to identify the user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paotui.platform.errors import BadGateway, Forbidden, TooManyRequests, Unauthorized
from paotui.platform.observability import logger

_CODE_INVALID = {40029, 40163}  # invalid code; code already used
_RATE_LIMITED = 45011  # API minute quota reached
_USER_BLOCKED = 40226  # high-risk user


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    unionid: str | None = None


class WeChatClient:
    """``code2session`` against ``base_url``; the app secret is read on each call (it is cached upstream)."""

    def __init__(self, base_url: str, appid: str, secret: Callable[[], str], *, timeout: float = 5.0):
        self._base_url = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._timeout = timeout

    def code2session(self, js_code: str) -> WeChatSession:
        answer = self._get(
            "/sns/jscode2session",
            {"appid": self._appid, "secret": self._secret(), "js_code": js_code, "grant_type": "authorization_code"},
        )
        errcode = int(answer.get("errcode") or 0)
        if errcode in _CODE_INVALID:
            raise Unauthorized("The WeChat login code is invalid or used.", code="WECHAT_CODE_INVALID")
        if errcode == _RATE_LIMITED:
            raise TooManyRequests("WeChat is rate-limiting logins; retry in a minute.", code="WECHAT_RATE_LIMITED")
        if errcode == _USER_BLOCKED:
            raise Forbidden("WeChat refused this user's login.", code="WECHAT_USER_BLOCKED")
        if errcode or not answer.get("openid"):
            logger.error("code2session failed", extra={"errcode": errcode, "errmsg": answer.get("errmsg")})
            raise BadGateway("WeChat login is unavailable; try again.", code="WECHAT_UNAVAILABLE")
        return WeChatSession(openid=answer["openid"], unionid=answer.get("unionid"))

    def _get(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        # Imported here: only the WeChat route pays for urllib's import.
        from http.client import HTTPException
        from urllib.parse import urlencode
        from urllib.request import urlopen

        url = f"{self._base_url}{path}?{urlencode(query)}"
        try:
            with urlopen(url, timeout=self._timeout) as response:  # noqa: S310 (https base from settings)
                return json.loads(response.read())
        # OSError: unreachable (URLError), timed out, reset; HTTPException: the connection dropped before or
        # during the answer (urlopen raises those as they are)
        except (OSError, HTTPException, ValueError) as error:
            logger.error("code2session unreachable", extra={"error": str(error)})
            raise BadGateway("WeChat login is unavailable; try again.", code="WECHAT_UNAVAILABLE") from None
