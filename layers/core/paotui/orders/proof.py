"""The rider's status flow: where the rider must be, what they check, and how a delivery is proven.

What an assigned rider's move needs (``check_move``, called by ``service.transition``):

- ASSIGNED → PICKING_UP (arrived at the store, 取餐中): to be within ``geofence_radius_m`` of the pick-up.
  Outside, 409 ``OUTSIDE_GEOFENCE`` and nothing changes, unless the rider gives a ``reason``: then the move
  is made, the reason goes into the timeline, the order keeps the override (``geofence_overrides``), and a
  warning is logged and counted (metric ``GeofenceOverrides``).
- PICKING_UP → DELIVERING (picked up, 配送中): ``items_checked`` (422 ``ITEMS_NOT_CHECKED``).
- DELIVERING → DELIVERED (完成配送): the same geofence at the address, then the proof the merchant requires
  (its ``proof_of_delivery``; an errand's is the ``errand_proof_of_delivery`` setting): the customer's 收货码
  or a photo. The rule is read when the rider delivers, so a change applies to orders on their way.
- DELIVERING → DELIVERY_FAILED: a ``failure_reason``, kept on the order (``delivery_failure``) with the
  rider's note and position for the exception workflow; it travels in the order's stream image.

Where the rider is: ``position`` in the request, else the rider's last reported location if at most
``rider_position_max_age_seconds`` old; no usable position counts as outside.

The 收货码 (``new_delivery_code``) is 4 random digits made at intake and shown only to the order's customer and
admins; a customer without our app (a phone order) gets it by SMS when the order is on its way. Where no code can
reach the customer (a platform's order, or one from before codes), a photo proves the delivery instead. Each
wrong code adds 1 to the order's ``delivery_code_attempts`` in a conditional update that succeeds only while
fewer than ``delivery_code_max_attempts`` are recorded, and a right code's DELIVERED write carries the same
condition; so however many guesses race, none past the limit is answered as wrong or accepted (409
``DELIVERY_CODE_LOCKED``). A photo still proves a locked order.

Photos: ``photo_upload`` signs a POST into the private proof photos bucket under ``proofs/<order id>/``;
at DELIVERED the key must be this order's and the object an image within ``proof_photo_max_bytes``
(422 ``INVALID_PROOF_PHOTO``). Viewers get a short-lived link (``photo_url``).

Admins force moves: none of the above is required of them, a proof they give is checked but never locks.
Carriers move orders with ``service.system_transition`` and never come here.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from paotui.orders.records import DeliveryFailureMap, GeofenceOverrideMap, OrderRecord, ProofMap
from paotui.orders.transitions import Actor, Status
from paotui.platform import clock, uploads
from paotui.platform.dynamo import LatLngMap, update_if
from paotui.platform.errors import Conflict, Forbidden, Unprocessable
from paotui.platform.geo import haversine_m
from paotui.platform.ids import new_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings

if TYPE_CHECKING:
    from paotui.orders.models import TransitionRequest
    from paotui.platform.auth import Principal

PROOF_KINDS = {
    "code": frozenset({"code"}),
    "photo": frozenset({"photo"}),
    "code_or_photo": frozenset({"code", "photo"}),
    "none": frozenset(),
}
"""The proofs each ``proof_of_delivery`` rule accepts; "none" needs none."""

CODE_CHANNELS = frozenset({"mini_program", "phone", "walk_in"})
"""Orders whose customer can have the 收货码: in our app, or by SMS to the phone the merchant entered. A
platform's customers (Ele.me: privacy numbers, their own app) never see it."""

Point = tuple[float, float]


def new_delivery_code() -> str:
    """A fresh 收货码: 4 digits from the system's secure random source."""
    return f"{secrets.randbelow(10_000):04d}"


@dataclass
class CheckedMove:
    """What a move writes along with the status (``actions``, under ``guard``) and its timeline reason."""

    reason: str | None
    actions: list[Action] = field(default_factory=list)
    guard: Condition | None = None
    overrides: list[GeofenceOverrideMap] = field(default_factory=list)

    def made(self, order: OrderRecord) -> None:
        """Log and count the geofence overrides once the move is written."""
        for override in self.overrides:
            logger.warning(
                "geofence overridden",
                extra={
                    "order_id": order.id,
                    "step": override.step,
                    "distance_m": override.distance_m,
                    "reason": override.reason,
                },
            )
            metrics.add_metric(name="GeofenceOverrides", unit="Count", value=1)


def check_move(
    order: OrderRecord, target: Status, actor: Actor, reason: str | None, report: TransitionRequest | None
) -> CheckedMove:
    """What ``actor``'s move of ``order`` to ``target`` needs and writes; raises the refusal if it may not be made."""
    position = _point(report.position) if report and report.position else None
    checked = CheckedMove(reason=reason)
    if target is Status.DELIVERY_FAILED:
        return _failed(order, actor, reason, report, position)
    if actor not in (Actor.RIDER, Actor.ADMIN):  # a merchant's or the system's moves report nothing
        return checked
    riding = actor is Actor.RIDER
    if riding and position is None and target in (Status.PICKING_UP, Status.DELIVERED):
        position = _last_known(order.rider_id)
    current = Status(order.status)
    if riding and (current, target) == (Status.DELIVERY_FAILED, Status.DELIVERING):
        check_retry_left(order)
    elif riding and (current, target) == (Status.ASSIGNED, Status.PICKING_UP):
        _geofence(checked, "arrival", (float(order.pickup.lat), float(order.pickup.lng)), position, reason)
    elif riding and (current, target) == (Status.PICKING_UP, Status.DELIVERING):
        _check_items(order, report.items_checked if report else None)
    elif target is Status.DELIVERED:
        if riding:
            _geofence(checked, "dropoff", (float(order.address.lat), float(order.address.lng)), position, reason)
        _prove(checked, order, actor, report.proof if report else None)
    return checked


def failed_attempts(order: OrderRecord) -> int:
    """How many times delivering the order has failed so far."""
    return sum(1 for entry in order.timeline if entry.status == Status.DELIVERY_FAILED.value)


def check_retry_left(order: OrderRecord) -> int:
    """The failed attempts so far; 409 ``RETRY_LIMIT_REACHED`` once ``delivery_max_attempts`` failed, whoever
    asks for another try (the rider going back DELIVERING, or the customer)."""
    attempts, limit = failed_attempts(order), get_settings().delivery_max_attempts
    if attempts >= limit:
        raise Conflict(
            "Delivery has failed too often to try again; the order goes back to the store.",
            code="RETRY_LIMIT_REACHED",
            details={"attempts": attempts, "max_attempts": limit},
        )
    return attempts


# --- where the rider is ----------------------------------------------------------------------------------------


def distance_m(a: Point, b: Point) -> int:
    return round(haversine_m(a[0], a[1], b[0], b[1]))


def within(place: Point, position: Point | None, radius_m: float) -> tuple[bool, int | None]:
    """Whether ``position`` is within ``radius_m`` of ``place``, and how far it is (None: no position)."""
    if position is None:
        return False, None
    distance = distance_m(place, position)
    return distance <= radius_m, distance


def _point(location: Any) -> Point:
    return float(location.lat), float(location.lng)


def _last_known(rider_id: str | None) -> Point | None:
    """The rider's last reported location, if fresh enough to stand for where the rider is now."""
    from paotui.riders.service import find_rider  # only rider moves read the Riders table

    rider = find_rider(rider_id) if rider_id else None
    if rider is None or rider.location is None or not rider.location_at:
        return None
    age = (clock.now() - clock.parse_iso(rider.location_at)).total_seconds()
    return _point(rider.location) if age <= get_settings().rider_position_max_age_seconds else None


def _geofence(checked: CheckedMove, step: str, place: Point, position: Point | None, reason: str | None) -> None:
    radius = get_settings().geofence_radius_m
    inside, distance = within(place, position, radius)
    if inside:
        return
    if not reason:
        where = "the store" if step == "arrival" else "the delivery address"
        raise Conflict(
            f"You are not within {radius} m of {where}; move closer, or say why in reason.",
            code="OUTSIDE_GEOFENCE",
            details={"step": step, "distance_m": distance, "radius_m": radius},
        )
    override = GeofenceOverrideMap(step=step, distance_m=distance, reason=reason, at=clock.now_iso())
    checked.overrides.append(override)
    checked.actions.append(OrderRecord.geofence_overrides.set((OrderRecord.geofence_overrides | []).append([override])))


# --- picked up -------------------------------------------------------------------------------------------------


def _check_items(order: OrderRecord, items_checked: bool | list[str] | None) -> None:
    """``true``, or for an order with items the ids of all its products (an errand's goods have none)."""
    if items_checked is True:
        return
    if not isinstance(items_checked, list):
        raise Unprocessable("Check the items against the order, then send items_checked.", code="ITEMS_NOT_CHECKED")
    ordered = {line.product_id for line in order.items}
    missing, unknown = sorted(ordered - set(items_checked)), sorted(set(items_checked) - ordered)
    if missing or unknown or not ordered:
        raise Unprocessable(
            "items_checked must list every product of the order (or be true).",
            code="ITEMS_NOT_CHECKED",
            details={"missing": missing, "unknown": unknown},
        )


# --- delivered -------------------------------------------------------------------------------------------------


def accepted_proofs(order: OrderRecord) -> frozenset[str]:
    """The proofs that may prove this order's delivery (empty: none is needed).

    The code counts only where the customer can have it; where it can't, or once it is locked, a photo does."""
    if order.merchant_id is None:
        rule = get_settings().errand_proof_of_delivery
    else:
        from paotui.catalog.service import get_merchant

        rule = get_merchant(order.merchant_id).proof_of_delivery or "code"
    kinds = PROOF_KINDS[rule]
    if "code" not in kinds:
        return kinds
    if not (order.delivery_code and order.channel in CODE_CHANNELS):
        return (kinds - {"code"}) or frozenset({"photo"})
    if int(order.delivery_code_attempts or 0) >= get_settings().delivery_code_max_attempts:
        return kinds | {"photo"}  # a locked code still answers 409 DELIVERY_CODE_LOCKED
    return kinds


def _prove(checked: CheckedMove, order: OrderRecord, actor: Actor, proof: Any) -> None:
    """Check the proof given (required of a rider when the order needs one) and record it."""
    accepted = accepted_proofs(order)
    if proof is None:
        if accepted and actor is Actor.RIDER:
            raise Unprocessable(
                "Prove the delivery: " + " or ".join(sorted(accepted)) + ".",
                code="PROOF_REQUIRED",
                details={"accepts": sorted(accepted)},
            )
        return
    kind = "code" if proof.code is not None else "photo"
    if accepted and kind not in accepted:
        raise Unprocessable(
            f"This order is not proven by a {kind}.", code="PROOF_REQUIRED", details={"accepts": sorted(accepted)}
        )
    if kind == "code":
        checked.guard = _check_code(order, proof.code, counted=actor is Actor.RIDER)
    else:
        _check_photo(order, proof.photo_key)
    checked.actions.append(OrderRecord.proof.set(ProofMap(kind=kind, photo_key=proof.photo_key, at=clock.now_iso())))


def _check_code(order: OrderRecord, code: str, *, counted: bool) -> Condition | None:
    """Nothing if ``code`` is the order's 收货码 (with the condition a counted DELIVERED write carries);
    raises otherwise, after counting the wrong guess."""
    limit = get_settings().delivery_code_max_attempts
    if not order.delivery_code:
        raise Unprocessable("This order has no 收货码; prove it with a photo.", code="PROOF_REQUIRED")
    if counted and int(order.delivery_code_attempts or 0) >= limit:
        raise _locked(limit)
    if hmac.compare_digest(code, order.delivery_code):
        return _unlocked(limit) if counted else None
    left = _count_wrong_code(order, limit) if counted else None
    raise Unprocessable(
        "That is not the customer's 收货码.",
        code="WRONG_DELIVERY_CODE",
        details={"attempts_left": left} if counted else {},
    )


def _unlocked(limit: int) -> Condition:
    attempts = OrderRecord.delivery_code_attempts
    return attempts.does_not_exist() | (attempts < limit)


def _count_wrong_code(order: OrderRecord, limit: int) -> int:
    """Record one wrong guess, atomically; the attempts left. 409 if the code locked meanwhile."""
    if not update_if(
        order,
        actions=[OrderRecord.delivery_code_attempts.add(1)],
        condition=(OrderRecord.status == Status.DELIVERING.value) & _unlocked(limit),
    ):
        order.refresh(consistent_read=True)
        if int(order.delivery_code_attempts or 0) >= limit:
            raise _locked(limit)
        raise Conflict(
            "The order changed while we were checking the code.",
            code="INVALID_TRANSITION",
            details={"status": order.status, "to": Status.DELIVERED.value},
        )
    attempts = int(order.delivery_code_attempts)
    logger.info("wrong delivery code", extra={"order_id": order.id, "attempts": attempts})
    return limit - attempts


def _locked(limit: int) -> Conflict:
    return Conflict(
        f"The 收货码 was wrong {limit} times and is locked; prove the delivery with a photo, or ask support.",
        code="DELIVERY_CODE_LOCKED",
        details={"max_attempts": limit},
    )


def _check_photo(order: OrderRecord, key: str) -> None:
    settings = get_settings()
    prefix = _photo_prefix(order.id)
    name = key.removeprefix(prefix)
    if name == key or not name or "/" in name:
        raise _invalid_photo("not_this_orders", "The photo was not uploaded for this order.")
    try:
        uploads.check_image(settings.proof_photos_bucket, key, max_bytes=settings.proof_photo_max_bytes)
    except uploads.UploadRejected as rejected:
        messages = {
            "missing": "No photo was uploaded with that key.",
            "too_large": f"A proof photo may have at most {settings.proof_photo_max_bytes} bytes.",
            "not_an_image": "The upload is not a JPEG, PNG or WebP image.",
        }
        raise _invalid_photo(rejected.problem, messages[rejected.problem]) from None


def _invalid_photo(problem: str, message: str) -> Unprocessable:
    return Unprocessable(message, code="INVALID_PROOF_PHOTO", details={"problem": problem})


# --- delivery failed -------------------------------------------------------------------------------------------


def _failed(
    order: OrderRecord, actor: Actor, note: str | None, report: TransitionRequest | None, position: Point | None
) -> CheckedMove:
    """DELIVERY_FAILED needs why; the order keeps it, with the note and where the rider was, for the exception
    workflow (which reads it from the order's stream image)."""
    failure_reason = report.failure_reason if report else None
    if failure_reason is None:
        raise Unprocessable(
            "Say why the delivery failed: failure_reason buyer_refused, unreachable or wrong_address.",
            code="FAILURE_REASON_REQUIRED",
        )
    if position is None and actor is Actor.RIDER:
        position = _last_known(order.rider_id)
    failure = DeliveryFailureMap(
        reason=failure_reason,
        note=note,
        at=clock.now_iso(),
        by=actor.value,
        position=LatLngMap(lat=position[0], lng=position[1]) if position else None,
    )
    timeline_reason = f"{failure_reason}: {note}" if note else failure_reason
    return CheckedMove(reason=timeline_reason, actions=[OrderRecord.delivery_failure.set(failure)])


# --- photos ----------------------------------------------------------------------------------------------------


def photo_upload(order: OrderRecord, caller: Principal, content_type: str) -> dict[str, Any]:
    """A presigned POST for one proof photo of an order on its way: its assigned rider's (or an admin's)."""
    if not (caller.is_admin or (caller.has("rider") and order.rider_id == caller.user_id)):
        raise Forbidden("Only the order's rider uploads its proof.", code="NOT_YOUR_ORDER")
    if order.status != Status.DELIVERING.value:
        raise Conflict(
            "Proof photos are taken while the order is on its way.",
            code="ORDER_NOT_DELIVERING",
            details={"status": order.status},
        )
    settings = get_settings()
    key = _photo_prefix(order.id) + new_id("pho_")
    post = uploads.presigned_post(
        settings.proof_photos_bucket,
        key,
        content_type,
        max_bytes=settings.proof_photo_max_bytes,
        expires_in=settings.proof_photo_upload_ttl_seconds,
    )
    logger.info("proof photo upload granted", extra={"order_id": order.id, "photo_key": key})
    return {"photo_key": key, **post}


def photo_url(key: str) -> str:
    settings = get_settings()
    return uploads.presigned_get(settings.proof_photos_bucket, key, expires_in=settings.proof_photo_url_ttl_seconds)


def _photo_prefix(order_id: str) -> str:
    return f"proofs/{order_id}/"
