"""Ele.me (饿了么) order pushes: verify the signature, parse the message, map it to an ExternalOrder (docs/adr/0010).

Ele.me's HTTP push (消息推送) POSTs ``{requestId, type, appId, message,
shopId, timestamp, signature, userId}`` with ``message`` itself JSON text. The
signature is the upper-case hex MD5 of every other top-level field as
``key=value`` (the value's plain string form), those strings sorted and joined
with nothing, then the app secret. The push is therefore read as a plain dict,
not a model: a field Ele.me adds later is signed too. Ele.me retries until it
is answered 200 ``{"message": "ok"}``, so every refusal below is a 4xx it
will retry (and a merchant can fix: bind the shop, correct an item's code).

Type 10 订单生效 (a new, valid order) is taken through ``orders.channels``;
type 14 订单被取消 cancels our order (or, before we have it, keeps its push
from being taken later); every other type is acknowledged and logged. Prices
are yuan with decimals, converted to fen exactly: the message is parsed with
its numbers kept as written, never as floats. The app id and secret come from
the ``ElemeSecret`` secret, ``{"app_id", "secret"}`` (and, for shop
authorization, ``key`` and optionally ``base_url``: ``orders.eleme_oauth``);
``{}`` leaves the channel off (404).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from paotui.orders import channels
from paotui.orders.channels import ExternalAddress, ExternalLine, ExternalOrder
from paotui.platform.money import yuan_to_fen
from paotui.platform import clock
from paotui.platform.errors import NotFound, Unauthorized, Unprocessable
from paotui.platform.models import Line, Prose, in_utc
from paotui.platform.observability import logger
from paotui.platform.secrets import secret_value
from paotui.platform.settings import get_settings

CHANNEL = "eleme"
PRODUCTION_URL = "https://open-api.shop.ele.me"
ACK = {"message": "ok"}
NEW_ORDER, ORDER_CANCELLED = 10, 14
GOODS = "normal"  # the group type of ordered dishes (others: packing and delivery "extra", "discount")
CANCELLED_BY = {
    1: "the customer",
    2: "Ele.me",
    3: "the merchant",
    4: "Ele.me customer service",
    8: "Ele.me risk control",
}
_MAINLAND_MOBILE = re.compile(r"(?:\+?86)?(1\d{10})(?:[,_#-](\d{1,6}))?")


@dataclass(frozen=True)
class ElemeConfig:
    """``app_id`` names the app in pushes; ``key`` is its app key (OAuth's client id, API calls' ``app_key``);
    ``secret`` signs both; ``base_url`` is Ele.me's open API host (its sandbox's, or a local fake's)."""

    app_id: str
    secret: str
    key: str = ""
    base_url: str = PRODUCTION_URL


def configured() -> ElemeConfig:
    """The app's id and secret; 404 ``CHANNEL_NOT_FOUND`` while the secret is ``{}`` (the channel is off)."""
    arn = get_settings().eleme_secret_arn
    document = json.loads(secret_value(arn)) if arn else {}
    if not document.get("app_id") or not document.get("secret"):
        raise NotFound("The Ele.me channel is not configured in this deployment.", code="CHANNEL_NOT_FOUND")
    return ElemeConfig(
        app_id=str(document["app_id"]),
        secret=document["secret"],
        key=str(document.get("key") or ""),
        base_url=str(document.get("base_url") or PRODUCTION_URL),
    )


def plain(value: Any) -> str:
    """A field's plain string form, as Ele.me's SDKs print it (``62933118``, ``true``, text unquoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def signature(push: Mapping[str, Any], secret: str) -> str:
    """Ele.me's scheme (MD5 is theirs): every field but ``signature`` as ``key=value``, sorted, joined, the secret."""
    pairs = sorted(f"{key}={plain(value)}" for key, value in push.items() if key != "signature")
    return hashlib.md5(("".join(pairs) + secret).encode()).hexdigest().upper()


def verify(push: Mapping[str, Any], config: ElemeConfig) -> None:
    """401 ``UNKNOWN_APP`` / ``INVALID_SIGNATURE`` unless the push is Ele.me's, for our app."""
    if plain(push.get("appId")) != config.app_id:
        raise Unauthorized("This push is for another Ele.me app.", code="UNKNOWN_APP")
    given = push.get("signature")
    if not isinstance(given, str) or not hmac.compare_digest(given.upper(), signature(push, config.secret)):
        raise Unauthorized("The push's signature is wrong.", code="INVALID_SIGNATURE")


def handle_push(body: str) -> dict[str, str]:
    """Verify and apply one push; the acknowledgement Ele.me stops retrying on, or the DomainError saying why not."""
    config = configured()
    push = json_object(body, "push")
    if not push:
        return ACK  # an empty push: how Ele.me tries a push URL when it is set
    verify(push, config)
    kind = _type(push)
    if kind == NEW_ORDER:
        taken = channels.accept_external(to_external(json_object(push.get("message"), "message")))
        if taken is not None:  # None: cancelled on Ele.me before we took it, so acknowledged and dropped
            order, created = taken
            logger.info("eleme order taken", extra={"order_id": order.id, "new": created, "status": order.status})
    elif kind == ORDER_CANCELLED:
        message = json_object(push.get("message"), "message")
        order_id = str(message.get("orderId") or "")
        if not 0 < len(order_id) <= channels.EXTERNAL_ID_MAX_LENGTH:
            raise Unprocessable("The cancellation names no order.", code="INVALID_MESSAGE")
        channels.cancel_external(CHANNEL, _text(_LINE, order_id), cancel_reason(message))
    else:
        logger.info("eleme push acknowledged", extra={"type": kind, "request_id": push.get("requestId")})
    return ACK


def cancel_reason(message: Mapping[str, Any]) -> str:
    """The message's reason, or who cancelled (its ``role``; any other value, e.g. a list, names Ele.me: the
    cancellation holds whoever made it)."""
    if message.get("reason"):
        return _text(_PROSE, message["reason"])[:200]
    role = message.get("role")
    return f"cancelled on Ele.me by {CANCELLED_BY.get(role, 'Ele.me') if isinstance(role, int) else 'Ele.me'}"


_LINE, _PROSE = TypeAdapter(Line), TypeAdapter(Prose)


def _text(kind: TypeAdapter[str], value: Any) -> str:
    """A message's text as we can store and send it on; 422 ``INVALID_MESSAGE`` with a control character or a
    lone surrogate (no UTF-8: DynamoDB, SNS and SQS could never take it, and Ele.me would retry forever)."""
    try:
        return kind.validate_python(str(value))
    except ValidationError as invalid:
        errors = [{"loc": ["message"], "msg": e["msg"]} for e in invalid.errors()]
        details = {"errors": errors}
        raise Unprocessable("The message has text we cannot take.", code="INVALID_MESSAGE", details=details) from None


def json_object(text: Any, what: str) -> dict[str, Any]:
    """JSON text as a dict, its decimals kept as written (``parse_float=str``) so that yuan convert exactly;
    422 for anything else (the push route is open to anyone): text nested too deep to parse, or a lone surrogate
    (``"\\ud800"``, valid JSON but no UTF-8, so nothing we can sign or store)."""
    try:
        value = json.loads(text or "{}", parse_float=str)
        json.dumps(value, ensure_ascii=False).encode()  # UnicodeEncodeError, a ValueError, for a lone surrogate
    except (TypeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise Unprocessable(f"The {what} is not a JSON object.", code="INVALID_MESSAGE")
    return value


def _type(push: Mapping[str, Any]) -> int:
    try:
        return int(str(push.get("type")))
    except ValueError:
        raise Unprocessable("The push has no message type.", code="INVALID_MESSAGE") from None


# --- the type-10 message ---------------------------------------------------------------------------------------


_MAX_FEN = 10_000_000_000
"""¥100,000,000: beyond any order's amount, and far inside the 38 digits a DynamoDB number holds."""


def _fen(value: Any) -> int:
    """Yuan as Ele.me writes them (``18.9``, ``5``, ``"18.90"``) → fen, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("not an amount in yuan")
    fen = yuan_to_fen(str(value))
    if fen > _MAX_FEN:
        raise ValueError("more than any order costs")
    return fen


Yuan = Annotated[int, BeforeValidator(_fen)]


class _Lenient(BaseModel):
    """Ele.me's own shapes: we read the fields we need and ignore the rest; ids may come as numbers."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


class _Item(_Lenient):
    name: str
    quantity: int = Field(ge=1)
    price: Yuan
    total: Yuan | None = None
    extend_code: str | None = Field(None, alias="extendCode")


class _Group(_Lenient):
    type: str = GOODS
    items: list[dict[str, Any]] = []  # read as _Item only in goods groups (a discount line's price is negative)


def _lng_lat(geo: Any) -> tuple[Any, Any]:
    """``deliveryGeo`` is ``"lng,lat"`` (GCJ-02)."""
    parts = str(geo).split(",")
    if len(parts) != 2:
        raise ValueError("deliveryGeo is not 'lng,lat'")
    return parts[0], parts[1]


def _china_time(at: datetime | None) -> datetime | None:
    """Ele.me's times are Beijing time without a zone; one the calendar can't hold in UTC, as we keep it (Beijing
    midnight of year 1), is refused here rather than failing later with a 500."""
    if at is None:
        return None
    return in_utc(at if at.tzinfo else at.replace(tzinfo=clock.CHINA))


class _NewOrder(_Lenient):
    id: str
    shop_id: str = Field(alias="shopId")
    user_id: str | None = Field(None, alias="userId")
    consignee: str
    phone_list: list[str] = Field(alias="phoneList", min_length=1)
    address: str
    delivery_geo: Annotated[tuple[float, float], BeforeValidator(_lng_lat)] = Field(alias="deliveryGeo")
    deliver_fee: Yuan = Field(alias="deliverFee")
    total_price: Yuan = Field(alias="totalPrice")
    description: str | None = None
    groups: list[_Group] = Field(min_length=1)
    deliver_time: Annotated[datetime | None, AfterValidator(_china_time)] = Field(None, alias="deliverTime")
    online_paid: bool = Field(True, alias="onlinePaid")


def to_external(message: Mapping[str, Any]) -> ExternalOrder:
    """A type-10 message as our ExternalOrder; 422 ``INVALID_MESSAGE`` when it lacks what an order needs."""
    try:
        order = _NewOrder.model_validate(message)
        goods = [_Item.model_validate(item) for group in order.groups if group.type == GOODS for item in group.items]
        lng, lat = order.delivery_geo
        return ExternalOrder(
            channel=CHANNEL,
            external_id=order.id,
            shop_id=order.shop_id,
            customer_ref=f"user-{order.user_id}" if order.user_id else f"order-{order.id}",
            lines=[
                ExternalLine(
                    product_id=item.extend_code or None,
                    name=item.name,
                    quantity=item.quantity,
                    unit_price=item.price,
                    line_total=item.price * item.quantity if item.total is None else item.total,
                )
                for item in goods
            ],
            address=ExternalAddress(
                lat=lat,
                lng=lng,
                detail=order.address,
                contact_name=order.consignee,
                contact_phone=phone(order.phone_list[0]),
            ),
            delivery_fee=order.deliver_fee,
            total=order.total_price,
            paid_online=order.online_paid,
            note=order.description or None,
            scheduled_for=order.deliver_time,
        )
    except ValidationError as invalid:
        errors = [{"loc": [str(part) for part in e["loc"]], "msg": e["msg"]} for e in invalid.errors()]
        raise Unprocessable(
            "The Ele.me order message is not one we can take.", code="INVALID_MESSAGE", details={"errors": errors}
        ) from None


def phone(raw: str) -> str:
    """A mainland mobile (or Ele.me's privacy number with its extension) in E.164, ``+8613800138000[,1234]``;
    anything else (a landline) as given."""
    raw = raw.strip()
    match = _MAINLAND_MOBILE.fullmatch(raw.replace(" ", ""))
    if match is None:
        return raw
    number, extension = match.groups()
    return f"+86{number}" + (f",{extension}" if extension else "")
