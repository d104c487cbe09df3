"""Request and response shapes of the identity API (API.md "Identity", docs/adr/0006) and the address book."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from paotui.platform.models import Line, Phone, PointView, RequestModel, ResponseModel

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


class BindPhoneRequest(LoginRequest):
    """The signed-in caller proves this phone with a code from ``POST /auth/otp``."""


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class UserView(ResponseModel):
    id: str
    roles: list[str]
    name: str | None = None


class SessionView(ResponseModel):
    """API.md's ``{token, user}``; ``expires_in`` is the access token's life, ``refresh_*`` renews it."""

    token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: UserView


# --- address book ---------------------------------------------------------------------------------


class ChinaLatLng(RequestModel):
    """A GCJ-02 point inside China's rough bounding box (GCJ-02 is only defined there)."""

    lat: float = Field(ge=3.8, le=53.6)
    lng: float = Field(ge=73.5, le=135.1)


Label = Annotated[Line, StringConstraints(min_length=1, max_length=20)]  # 家, 公司 …
ContactName = Annotated[Line, StringConstraints(min_length=1, max_length=40)]
Detail = Annotated[Line, StringConstraints(min_length=1, max_length=200)]


class NewAddress(RequestModel):
    """``is_default`` makes it the default; the first address is the default anyway."""

    label: Label | None = None
    contact_name: ContactName
    contact_phone: Phone
    detail: Detail
    location: ChinaLatLng
    is_default: bool = False


class EditAddress(RequestModel):
    """Only the fields named change. ``is_default: true`` moves the default here; the default can't be unset."""

    label: Label | None = None
    contact_name: ContactName = None
    contact_phone: Phone = None
    detail: Detail = None
    location: ChinaLatLng = None
    is_default: bool = None


class AddressView(ResponseModel):
    id: str
    label: str | None = None
    contact_name: str
    contact_phone: str
    detail: str
    location: PointView
    is_default: bool
