"""Routes of CarriersApi: carriers' status callbacks (no authorizer: each carrier's signature is checked in code)."""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.carriers import service
from paotui.carriers.dada import NAME as DADA
from paotui.carriers.dada import DadaCallback
from paotui.platform.models import ResponseModel

router = APIGatewayRouter()


class CallbackAck(ResponseModel):
    status: Literal["ok"] = "ok"


@router.post("/carriers/dada/callback")
def dada_callback(body: DadaCallback) -> CallbackAck:
    """Dada's order status callback (订单回调): 200 once followed; anything else (401 forged, 404 not our order,
    502 Dada's status query failing) and Dada calls again."""
    service.on_callback(service.carrier_or_404(DADA), body)
    return CallbackAck()
