"""Request and response shapes of the identity API (API.md "Identity")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from paotui.platform.models import Phone, RequestModel, ResponseModel

OtpCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class OtpRequest(RequestModel):
    phone: Phone


class OtpSent(ResponseModel):
    status: Literal["sent"] = "sent"
    expires_in: int


class LoginRequest(RequestModel):
    phone: Phone
    code: OtpCode


class WeChatLoginRequest(RequestModel):
    code: Annotated[str, StringConstraints(min_length=1, max_length=128)]  # wx.login()'s js_code


class UserView(ResponseModel):
    id: str
    roles: list[str]
    name: str | None = None


class SessionView(ResponseModel):
    token: str
    expires_in: int
    user: UserView
