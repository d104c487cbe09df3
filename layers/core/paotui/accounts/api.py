"""Routes of AuthApi (API.md "Identity", docs/adr/0006): getting, renewing and ending a session.

Sign-in and refresh are public (they are how a caller gets a token); binding
a phone and logging out act on the signed-in caller.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.accounts import tokens
from paotui.accounts.models import (
    BindPhoneRequest,
    LoginRequest,
    OtpRequest,
    OtpSent,
    RefreshRequest,
    SessionView,
    UserView,
    WeChatLoginRequest,
)
from paotui.accounts.service import AuthService, Session
from paotui.accounts.wechat import WeChatClient
from paotui.notify.sms import get_sms_sender
from paotui.platform.auth import Principal, current_principal
from paotui.platform.http import json_response
from paotui.platform.secrets import secret_value
from paotui.platform.settings import get_settings

router = APIGatewayRouter()


@lru_cache(maxsize=1)
def get_auth_service() -> AuthService:
    """The container's AuthService; tests override this dependency with their own."""
    settings = get_settings()
    wechat = WeChatClient(
        settings.wechat_api_base,
        settings.wechat_appid,
        partial(secret_value, settings.wechat_secret_arn),
        timeout=settings.wechat_timeout_seconds,
    )
    return AuthService(settings, sms=get_sms_sender(), secret=tokens.signing_secret, wechat=wechat)


Auth = Annotated[AuthService, Depends(get_auth_service)]
Caller = Annotated[Principal, Depends(current_principal)]


def _view(session: Session) -> SessionView:
    user = UserView(id=session.user.id, roles=list(session.user.roles), name=session.user.name)
    return SessionView(
        token=session.token,
        expires_in=session.expires_in,
        refresh_token=session.refresh_token,
        refresh_expires_in=session.refresh_expires_in,
        user=user,
    )


@router.post("/auth/otp", responses={202: {"description": "The code is on its way by SMS"}})
def send_code(body: OtpRequest, auth: Auth) -> Response[OtpSent]:
    return json_response(202, OtpSent(expires_in=auth.send_code(body.phone)).model_dump())


@router.post("/auth/login")
def login(body: LoginRequest, auth: Auth) -> SessionView:
    return _view(auth.login_with_code(body.phone, body.code))


@router.post("/auth/wechat")
def login_with_wechat(body: WeChatLoginRequest, auth: Auth) -> SessionView:
    return _view(auth.login_with_wechat(body.code))


@router.post("/auth/phone")
def bind_phone(body: BindPhoneRequest, caller: Caller, auth: Auth) -> SessionView:
    """Answers with a session for the account that holds the phone now, which may be another (a merge)."""
    return _view(auth.bind_phone(caller.user_id, body.phone, body.code))


@router.post("/auth/refresh")
def refresh(body: RefreshRequest, auth: Auth) -> SessionView:
    return _view(auth.refresh(body.refresh_token))


@router.post("/auth/logout", responses={204: {"description": "The session has ended"}})
def logout(caller: Caller, auth: Auth) -> Response[None]:
    auth.logout(caller.session_id)
    return Response(status_code=204)
