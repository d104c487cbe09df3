"""Routes of CatalogApi for the merchant console: profile, menu and stock.

Every write is the owner's or an admin's (``lookup.managed_merchant``); a merchant's
public profile needs no sign-in. ``/merchants/mine`` is declared before
``/merchants/<merchantId>`` so the literal wins, as it does in API Gateway.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.catalog import adjustments, hours, images, merchants, pricing, service
from paotui.catalog.lookup import managed_merchant
from paotui.catalog.merchant_models import (
    Category,
    CategoryIn,
    EditProduct,
    ImageUpload,
    ImageUploadRequest,
    LedgerEntry,
    MerchantView,
    OwnedMerchantView,
    NewProduct,
    ProductImages,
    Restock,
    StockCount,
    UpdateMerchant,
)
from paotui.catalog.models import Location, MerchantProductView
from paotui.catalog.records import MerchantRecord
from paotui.platform import clock
from paotui.platform.auth import Principal, require_role
from paotui.platform.errors import Unprocessable
from paotui.platform.http import made, optional_idempotency_key
from paotui.platform.ids import fingerprint

router = APIGatewayRouter()

MerchantCaller = Annotated[Principal, Depends(require_role("merchant"))]


def merchant_view(merchant: MerchantRecord) -> MerchantView:
    now = clock.now()
    paused = not merchant.open
    opening = hours.next_opening(merchant.hours, merchant.holidays, merchant.switched_off, now)
    return MerchantView(
        id=merchant.id,
        name=merchant.name,
        address=merchant.address,
        location=Location(lat=merchant.location.lat, lng=merchant.location.lng),
        phone=merchant.phone,
        open=pricing.is_open(merchant, now),
        next_opening=clock.iso(opening) if opening else None,
        paused=paused,
        suspended=merchant.suspended_at is not None,
        food_permit_lapsed=merchant.food_permit_lapsed,
        hours=merchant.hours,
        holidays=list(merchant.holidays),
        prep_minutes=int(merchant.prep_minutes),
        slot_minutes=int(merchant.slot_minutes),
        slot_capacity=int(merchant.slot_capacity),
        auto_confirm=bool(merchant.auto_confirm),
        proof_of_delivery=merchant.proof_of_delivery,
        on_confirm_timeout=merchant.on_confirm_timeout,
        refund_rules=merchant.refund_rules or {},
        categories=[Category(id=category.id, name=category.name) for category in merchant.categories],
    )


@router.get("/merchants/mine")
def my_merchants(caller: MerchantCaller) -> list[OwnedMerchantView]:
    return [
        OwnedMerchantView(**merchant_view(merchant).model_dump(), suspension_reason=merchant.suspension_reason)
        for merchant in service.owned_merchants(caller.user_id)
    ]


@router.get("/merchants/<merchantId>")
def get_merchant(merchantId: str) -> MerchantView:  # noqa: N803 (API path name)
    return merchant_view(service.get_merchant(merchantId))


@router.patch("/merchants/<merchantId>")
def update_merchant(merchantId: str, body: UpdateMerchant, caller: MerchantCaller) -> MerchantView:  # noqa: N803
    return merchant_view(merchants.update_profile(managed_merchant(caller, merchantId), body))


@router.put("/merchants/<merchantId>/categories")
def put_categories(  # noqa: N803 (API path name)
    merchantId: str, body: Annotated[list[CategoryIn], Body(max_length=50)], caller: MerchantCaller
) -> list[Category]:
    merchant = merchants.replace_categories(managed_merchant(caller, merchantId), body)
    return [Category(id=category.id, name=category.name) for category in merchant.categories]


@router.post("/merchants/<merchantId>/products", responses={201: {"description": "The product, created or replayed"}})
def create_product(  # noqa: N803 (API path name)
    merchantId: str,
    body: NewProduct,
    caller: MerchantCaller,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response[MerchantProductView]:
    """A new product. With an ``Idempotency-Key`` (8 to 128 characters), sending it again after a lost answer is
    the same product (``Idempotent-Replayed: true``), not a second; the key with another body is 422
    ``IDEMPOTENCY_KEY_REUSED``."""
    idempotency_key = optional_idempotency_key(idempotency_key)
    merchant = managed_merchant(caller, merchantId)
    product, created = service.add_product(
        merchant.id,
        body.name,
        body.price,
        body.stock,
        description=body.description,
        category_id=body.category_id,
        options=[group.model_dump() for group in body.options],
        on_sale=body.on_sale,
        low_stock_threshold=body.low_stock_threshold,
        daily_stock=body.daily_stock,
        idempotency=(idempotency_key, fingerprint(body)) if idempotency_key else None,
    )
    return made(MerchantProductView.of(product), created)


@router.patch("/merchants/<merchantId>/products/<productId>")
def edit_product(merchantId: str, productId: str, body: EditProduct, caller: MerchantCaller) -> MerchantProductView:  # noqa: N803
    merchant = managed_merchant(caller, merchantId)
    return MerchantProductView.of(merchants.edit_product(merchant, productId, body, caller.user_id))


@router.delete("/merchants/<merchantId>/products/<productId>")
def delete_product(merchantId: str, productId: str, caller: MerchantCaller) -> MerchantProductView:  # noqa: N803
    return MerchantProductView.of(merchants.take_off_sale(managed_merchant(caller, merchantId), productId))


@router.put("/merchants/<merchantId>/stock")
def put_stock(  # noqa: N803 (API path name)
    merchantId: str, body: Annotated[list[StockCount], Body(min_length=1, max_length=50)], caller: MerchantCaller
) -> list[MerchantProductView]:
    merchant = managed_merchant(caller, merchantId)
    counts = {line.product_id: (line.stock, line.reason) for line in body}
    if len(counts) != len(body):
        raise Unprocessable("List each product once.", code="DUPLICATE_ITEM")
    return [MerchantProductView.of(product) for product in adjustments.set_counts(merchant.id, counts, caller.user_id)]


@router.post("/merchants/<merchantId>/products/<productId>/restock")
def restock(merchantId: str, productId: str, body: Restock, caller: MerchantCaller) -> MerchantProductView:  # noqa: N803
    merchant = managed_merchant(caller, merchantId)
    return MerchantProductView.of(adjustments.restock(merchant.id, productId, body.qty, caller.user_id, body.reason))


@router.get("/merchants/<merchantId>/stock")
def get_stock(merchantId: str, caller: MerchantCaller) -> list[MerchantProductView]:  # noqa: N803 (API path name)
    """The whole menu with stock on hand, holds and stock settings: what the console's stock page shows."""
    merchant = managed_merchant(caller, merchantId)
    return [MerchantProductView.of(product) for product in service.list_products(merchant.id)]


@router.post("/merchants/<merchantId>/images")
def upload_image(  # noqa: N803 (API path name)
    merchantId: str, body: ImageUploadRequest, caller: MerchantCaller
) -> tuple[ImageUpload, int]:
    merchant = managed_merchant(caller, merchantId)
    return ImageUpload(**images.new_upload(merchant.id, body.content_type)), 201


@router.put("/merchants/<merchantId>/products/<productId>/images")
def put_images(  # noqa: N803 (API path name)
    merchantId: str, productId: str, body: ProductImages, caller: MerchantCaller
) -> MerchantProductView:
    merchant = managed_merchant(caller, merchantId)
    product = merchants.get_product(merchant.id, productId)
    return MerchantProductView.of(images.set_images(product, body.images, body.version))


@router.get("/merchants/<merchantId>/products/<productId>/ledger")
def product_ledger(  # noqa: N803 (API path name)
    merchantId: str,
    productId: str,
    caller: MerchantCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LedgerEntry]:
    merchant = managed_merchant(caller, merchantId)
    merchants.get_product(merchant.id, productId)
    return adjustments.ledger(merchant.id, productId, limit)
