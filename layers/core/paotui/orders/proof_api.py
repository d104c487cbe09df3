"""OrdersApi's route for proof-of-delivery photos (orders.proof): the rider uploads straight to S3."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders import proof, service
from paotui.orders.models import ProofPhotoRequest, ProofPhotoUpload
from paotui.platform.auth import Principal, require_role

router = APIGatewayRouter()

Rider = Annotated[Principal, Depends(require_role("rider"))]


@router.post("/orders/<orderId>/proof-photos", responses={201: {"description": "A presigned POST for the photo"}})
def upload_proof_photo(orderId: str, body: ProofPhotoRequest, caller: Rider) -> tuple[ProofPhotoUpload, int]:  # noqa: N803
    """For the order's rider while it is DELIVERING (409 ``ORDER_NOT_DELIVERING`` otherwise): where to POST one
    photo; deliver with ``proof: {"photo_key"}``."""
    order = service.get_visible_order(orderId, caller)
    return ProofPhotoUpload(**proof.photo_upload(order, caller, body.content_type)), 201
