"""Routes of OrdersApi (API.md "Orders"). Thin: parse, authorize, call the service."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from paotui.orders import cancellation, errands, proof, queries, service
from paotui.orders.models import (
    CancelAnswer,
    CancelOrder,
    ErrandQuote,
    ErrandQuoteRequest,
    OrderPage,
    OrderRef,
    OrderView,
    PlaceErrand,
    PlaceOrder,
    RiderPosition,
    Role,
    TransitionRequest,
)
from paotui.orders.records import OrderRecord
from paotui.orders.transitions import Status
from paotui.platform.auth import Principal, current_principal, require_role
from paotui.platform.errors import invalid_cursor
from paotui.platform.http import json_response, made, required_idempotency_key
from paotui.platform.models import Phone

router = APIGatewayRouter()

Caller = Annotated[Principal, Depends(current_principal)]
Customer = Annotated[Principal, Depends(require_role("customer"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def views_for(caller: Principal) -> Callable[[OrderRecord], OrderView]:
    """How ``caller`` sees orders: the 收货码 only on their own orders as the customer (and to admins), never to
    the rider or the merchant; a proof photo's short-lived link for the customer, the merchant and admins; why a
    carrier can't carry the order (its codes, the merchant's account with it) and how its kitchen ticket printed
    only to the merchant and admins."""

    @cache
    def merchant_ids() -> frozenset[str]:
        from paotui.catalog.service import owned_merchant_ids

        return frozenset(owned_merchant_ids(caller.user_id)) if caller.has("merchant") else frozenset()

    def view(order: OrderRecord) -> OrderView:
        shown = OrderView.of(order)
        receives = caller.is_admin or order.customer_id == caller.user_id
        if receives:
            shown.delivery_code = order.delivery_code
        if shown.proof and shown.proof.photo_key and (receives or order.merchant_id in merchant_ids()):
            shown.proof.photo_url = proof.photo_url(shown.proof.photo_key)
        if not (caller.is_admin or order.merchant_id in merchant_ids()):
            if shown.carrier:
                shown.carrier.exception = None
            shown.kitchen_print = None
        return shown

    return view


def placed(order: OrderRecord, created: bool, caller: Principal) -> Response[OrderView]:
    """An intake's 201: the order as ``caller`` sees it, and in ``Idempotent-Replayed`` whether an earlier request
    created it."""
    return made(views_for(caller)(order), created)


@router.post("/orders", responses={201: {"description": "The order, created or replayed"}})
def place_order(body: PlaceOrder, caller: Customer, idempotency_key: IdempotencyKey = None) -> Response[OrderView]:
    return placed(*service.place_order(caller.user_id, required_idempotency_key(idempotency_key), body), caller)


@router.post("/errands/quotes")
def quote_errand(body: ErrandQuoteRequest, _customer: Customer) -> ErrandQuote:
    """What an errand would cost up front (signed-in customers only: the platform's prices, not a shop's)."""
    return errands.price_errand(body)


@router.post("/errands", responses={201: {"description": "The errand order, created or replayed"}})
def place_errand(body: PlaceErrand, caller: Customer, idempotency_key: IdempotencyKey = None) -> Response[OrderView]:
    return placed(*errands.place_errand(caller.user_id, required_idempotency_key(idempotency_key), body), caller)


@router.get("/orders")
def list_orders(
    caller: Caller,
    role: Annotated[Role, Query()] = "customer",
    merchant_id: Annotated[str | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
    since: Annotated[date | None, Query(alias="from", description="first China-time day, YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(alias="to", description="last China-time day, YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query()] = None,
    phone: Annotated[
        Phone | None, Query(description="operators (role=admin): the orders of the customer with this phone, E.164")
    ] = None,
    ref: Annotated[
        OrderRef | None, Query(description="operators (role=admin): the orders with this reference (AB12CD)")
    ] = None,
) -> OrderPage:
    """A page of orders, newest first. Operators look orders up by the customer's phone or by the reference
    people read out, over every day unless ``from``/``to`` say (422 ``INVALID_FILTER`` in another role)."""
    records, last_key = queries.list_for(
        caller,
        role,
        merchant_id=merchant_id,
        limit=limit,
        start=_decode_cursor(cursor),
        status=status,
        since=since,
        until=until,
        phone=phone,
        ref=ref.removeprefix("#").upper() if ref else None,
    )
    view = views_for(caller)
    return OrderPage(items=[view(r) for r in records], next_cursor=_encode_cursor(last_key))


@router.get("/orders/<orderId>")
def get_order(orderId: str, caller: Caller) -> OrderView:  # noqa: N803 (API path name)
    """The order; while a rider (ours or a carrier's) is on the way, with where the rider last was, and for that
    rider (ours) where to go next for it, with links to their map apps."""
    order = service.get_visible_order(orderId, caller)
    view = views_for(caller)(order)
    if order.status in (Status.PICKING_UP.value, Status.DELIVERING.value):
        if order.rider_id:
            view.rider_position = _rider_position(order.rider_id)
        elif order.carrier:
            view.rider_position = _carrier_rider_position(order)
    if order.rider_id and order.rider_id == caller.user_id:
        from paotui.riders.route_service import order_navigation  # only the order's own rider is shown the way

        view.navigation = order_navigation(order)
    return view


@router.post(
    "/orders/<orderId>/cancel",
    responses={202: {"description": "Confirmed already: the merchant is asked (cancel_request PENDING)"}},
)
def cancel_order(orderId: str, body: CancelOrder, caller: Caller) -> Response[OrderView]:  # noqa: N803
    order, cancelled = cancellation.cancel(orderId, caller, body.reason)
    return json_response(200 if cancelled else 202, views_for(caller)(order).model_dump(mode="json"))


@router.post("/orders/<orderId>/cancel-request")
def answer_cancel_request(orderId: str, body: CancelAnswer, caller: Caller) -> OrderView:  # noqa: N803
    return views_for(caller)(cancellation.answer(orderId, caller, body.approve, body.reason))


@router.post("/orders/<orderId>/transitions")
def transition_order(orderId: str, body: TransitionRequest, caller: Caller) -> OrderView:  # noqa: N803
    """A move, with what the rider reports along with it (orders.proof): 409 ``OUTSIDE_GEOFENCE`` (unless
    ``reason`` says why), 422 ``ITEMS_NOT_CHECKED``, ``PROOF_REQUIRED``, ``WRONG_DELIVERY_CODE``,
    ``INVALID_PROOF_PHOTO``, ``FAILURE_REASON_REQUIRED``, 409 ``DELIVERY_CODE_LOCKED``. An admin's move is
    forced: no position, items check or proof is required of it (DELIVERY_FAILED still needs its reason)."""
    moved = service.transition(
        orderId, body.to, caller, reason=body.reason, goods_amount=body.goods_amount, report=body
    )
    return views_for(caller)(moved)


def _rider_position(rider_id: str) -> RiderPosition | None:
    from paotui.riders.service import find_rider  # only an order on its way reads the Riders table

    rider = find_rider(rider_id)
    if rider is None or rider.location is None or rider.location_at is None:
        return None
    return RiderPosition(lat=float(rider.location.lat), lng=float(rider.location.lng), at=rider.location_at)


def _carrier_rider_position(order: OrderRecord) -> RiderPosition | None:
    from paotui.carriers.service import rider_position  # only a carrier's order on its way asks the carrier

    position = rider_position(order)
    if position is None:
        return None
    return RiderPosition(lat=float(position.lat), lng=float(position.lng), at=position.at)


def _encode_cursor(last_key: dict | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise invalid_cursor() from None
