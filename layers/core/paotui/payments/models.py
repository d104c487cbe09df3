"""Request and response shapes of the payments API."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from paotui.platform.models import Fen, Prose, RequestModel, ResponseModel


class PayRequest(RequestModel):
    channel: Literal["wechat", "alipay", "sandbox"]


class PaymentView(ResponseModel):
    """``params``: what the client pays with (WeChat: the ``wx.requestPayment`` arguments; Alipay: the trade)."""

    payment_id: str
    order_id: str
    channel: str
    amount: Fen
    refunded: Fen = 0
    status: str
    paid_at: str | None = None
    params: dict[str, str] = {}


class RefundRequest(RequestModel):
    amount: Fen = Field(gt=0)
    reason: Annotated[Prose, StringConstraints(min_length=1, max_length=80)]


class RefundView(ResponseModel):
    refund_id: str
    payment_id: str
    channel: str
    amount: Fen
    status: str
    reason: str
    requested_by: str
    created_at: str
    updated_at: str
    failure: str | None = None
    """A FAILED refund: why the provider refused it, in its words (``USER_ACCOUNT_ABNORMAL: …``)."""


class OrderMoney(ResponseModel):
    """Every payment and refund of an order, oldest first."""

    payments: list[PaymentView]
    refunds: list[RefundView]
