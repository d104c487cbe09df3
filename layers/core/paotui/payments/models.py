"""Request and response shapes of the payments API."""

from typing import Literal

from paotui.platform.models import Fen, RequestModel, ResponseModel


class PayRequest(RequestModel):
    channel: Literal["wechat", "alipay", "sandbox"]


class PaymentView(ResponseModel):
    payment_id: str
    order_id: str
    channel: str
    amount: Fen
    status: str
    paid_at: str | None = None


class NotifyAck(ResponseModel):
    code: str = "SUCCESS"
