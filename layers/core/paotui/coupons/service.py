"""Issue, list, redeem and give back coupons.

Redemption is part of order intake: ``discount_for`` checks the coupon and
prices it (with clear refusals), then ``stage_redemption`` marks it USED in the
same transaction that writes the order, on condition that it is still
AVAILABLE and unexpired; of two orders racing for one coupon, one is written
and the other is refused, with nothing held. A cancelled order gives its
coupon back (``release``, conditional on that order holding it, so a
redelivered cancellation gives it back once). An account merge gives the
absorbed customer's coupons to the survivor (``move_all``).
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from paotui.coupons.records import CouponRecord, CouponStatus
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed, failed_conditions, transact_write, update_if
from paotui.platform.errors import Conflict, NotFound, Unprocessable
from paotui.platform.observability import logger, metrics

MIN_PAYABLE = 1
"""Fen an order with a coupon still costs: the payment providers take no zero-amount payment."""

_MOVE_TRIES = 3


def issue(
    customer_id: str,
    coupon_id: str,
    *,
    amount: int,
    min_spend: int,
    valid_days: int,
    source: str,
    source_order_id: str | None = None,
) -> tuple[CouponRecord, bool]:
    """Give ``customer_id`` a coupon, once per ``coupon_id``; returns it and whether this call issued it."""
    now = clock.now()
    coupon = CouponRecord(
        customer_id,
        coupon_id,
        amount=amount,
        min_spend=min_spend,
        expires_at=clock.iso(now + timedelta(days=valid_days)),
        status=CouponStatus.AVAILABLE.value,
        source=source,
        source_order_id=source_order_id,
        created_at=clock.iso(now),
    )
    try:
        coupon.save(condition=CouponRecord.id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return CouponRecord.get(customer_id, coupon_id, consistent_read=True), False
    logger.info("coupon issued", extra={"coupon_id": coupon_id, "amount": amount, "source": source})
    metrics.add_metric(name="CouponsIssued", unit="Count", value=1)
    return coupon, True


def coupons_of(customer_id: str) -> list[CouponRecord]:
    """The customer's coupons, newest first."""
    return sorted(CouponRecord.query(customer_id), key=lambda coupon: coupon.created_at, reverse=True)


def is_expired(coupon: CouponRecord) -> bool:
    return coupon.expires_at <= clock.now_iso()


def discount_for(customer_id: str, coupon_id: str, *, items_total: int, total: int) -> int:
    """What the coupon takes off an order of ``items_total`` goods costing ``total`` in all.

    404 ``COUPON_NOT_FOUND`` (unknown, or another customer's), 409 ``COUPON_USED`` / ``COUPON_EXPIRED``, 422
    ``COUPON_MIN_SPEND`` (the goods come to less than the coupon asks). A coupon worth more than the order
    leaves :data:`MIN_PAYABLE` to pay.
    """
    try:
        coupon = CouponRecord.get(customer_id, coupon_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such coupon.", code="COUPON_NOT_FOUND") from None
    if coupon.status != CouponStatus.AVAILABLE:
        raise Conflict("This coupon has been used.", code="COUPON_USED")
    if is_expired(coupon):
        raise Conflict("This coupon has expired.", code="COUPON_EXPIRED", details={"expires_at": coupon.expires_at})
    if items_total < int(coupon.min_spend):
        raise Unprocessable(
            "The order is below this coupon's minimum spend.",
            code="COUPON_MIN_SPEND",
            details={"min_spend": int(coupon.min_spend), "items_total": items_total},
        )
    return max(0, min(int(coupon.amount), total - MIN_PAYABLE))


def stage_redemption(transaction: TransactWrite, customer_id: str, coupon_id: str, order_id: str) -> None:
    """Add "``order_id`` uses the coupon" to the caller's transaction (the order's intake), which fails unless the
    coupon is still AVAILABLE and unexpired (:func:`redemption_failed` tells)."""
    now = clock.now_iso()
    transaction.update(
        CouponRecord(customer_id, coupon_id),
        actions=[
            CouponRecord.status.set(CouponStatus.USED.value),
            CouponRecord.order_id.set(order_id),
            CouponRecord.used_at.set(now),
        ],
        condition=(CouponRecord.status == CouponStatus.AVAILABLE.value) & (CouponRecord.expires_at > now),
        return_values="ALL_OLD",
    )


def redemption_failed(error: TransactWriteError, customer_id: str, coupon_id: str) -> bool:
    """Whether the staged redemption of the customer's coupon is what failed the transaction: read from the failed
    item, as stock does, or, with no item to read, the coupon is gone (an account merge moved it since the check)."""
    if any(
        reason and reason.code == "ConditionalCheckFailed" and reason.raw_item and "min_spend" in reason.raw_item
        for reason in error.cancellation_reasons or []
    ):
        return True
    try:
        CouponRecord.get(customer_id, coupon_id, consistent_read=True, attributes_to_get=["id"])
    except DoesNotExist:
        return True
    return False


def release(customer_id: str, coupon_id: str, order_id: str) -> bool:
    """A cancelled order gives its coupon back; False when the order holds it no more (given back already)."""
    if not update_if(
        CouponRecord(customer_id, coupon_id),
        actions=[
            CouponRecord.status.set(CouponStatus.AVAILABLE.value),
            CouponRecord.order_id.remove(),
            CouponRecord.used_at.remove(),
        ],
        condition=(CouponRecord.status == CouponStatus.USED.value) & (CouponRecord.order_id == order_id),
    ):
        return False
    logger.info("coupon given back", extra={"coupon_id": coupon_id, "order_id": order_id})
    return True


def move_all(absorbed_id: str, survivor_id: str) -> int:
    """Give every coupon of a merged-away customer to the survivor (accounts.merging), as it is; safe to re-run.

    One transaction per coupon (its copy under the survivor, the original
    deleted), so a crash moves each wholly or not at all. A USED coupon keeps
    its ``order_id``: the order moves with the merge too, and gives it back if
    cancelled. Coupon ids are stable per what they make up for (the late
    order), so a survivor who holds that id already holds that compensation:
    theirs stays, and the absorbed one is left where it is (logged), neither
    given twice nor deleted.
    """
    moved = sum(_move(coupon, survivor_id) for coupon in CouponRecord.query(absorbed_id, consistent_read=True))
    if moved:
        logger.info("coupons moved", extra={"from": absorbed_id, "to": survivor_id, "coupons": moved})
    return moved


def _move(coupon: CouponRecord, survivor_id: str) -> bool:
    """Move one coupon as it was read, or as it is now if it changed meanwhile; False if it stays where it is.

    The absorbed account's tokens work until the merge ends, so it can redeem
    (or get back) the coupon between the read and the move: the original is
    deleted only while unchanged, lest the copy be a used coupon AVAILABLE again.
    """
    contents = [name for name in CouponRecord.get_attributes() if name not in ("customer_id", "id")]
    for _ in range(_MOVE_TRIES):
        copy = CouponRecord(survivor_id, coupon.id, **{name: getattr(coupon, name) for name in contents})
        held_by = CouponRecord.order_id
        unchanged = (CouponRecord.status == coupon.status) & (
            held_by.does_not_exist() if coupon.order_id is None else held_by == coupon.order_id
        )
        try:
            with transact_write() as transaction:  # sent as: the delete, then the put (see failed_conditions)
                transaction.delete(coupon, condition=unchanged)
                transaction.save(copy, condition=CouponRecord.id.does_not_exist())
        except TransactWriteError as error:
            refused = failed_conditions(error)
            if not any(refused):
                raise
            if not refused[0]:  # still the absorbed account's: the survivor holds a coupon of this id
                logger.warning(
                    "coupon left with the merged-away account",
                    extra={"coupon_id": coupon.id, "from": coupon.customer_id, "to": survivor_id},
                )
                return False
            try:
                coupon = CouponRecord.get(coupon.customer_id, coupon.id, consistent_read=True)
            except DoesNotExist:
                return False  # moved by another run of this merge
            continue
        return True
    raise Conflict("A coupon kept changing while the accounts merged; try again.", code="CONCURRENT_UPDATE")
