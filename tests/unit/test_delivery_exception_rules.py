"""The rules of a delivery gone wrong (pure): what a returned order refunds, what a late one gets, what late means."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from paotui.orders.compensation import CompensationRule, is_late
from paotui.orders.records import TimelineEntryMap
from paotui.orders.refund_rules import parse_reasons, parse_rules, refund_amount, rule_for
from paotui.platform import clock
from paotui.platform.settings import Settings

DEFAULTS = parse_rules(Settings().delivery_failure_refund_rules)


def ruled(reason, merchant_fault=frozenset(), merchant_rules=None):
    return rule_for(reason, merchant_fault=merchant_fault, merchant_rules=merchant_rules, defaults=DEFAULTS)


def test_the_buyers_failures_keep_the_goods_and_a_reasonless_failure_refunds_in_full():
    assert {reason: ruled(reason) for reason in ("buyer_refused", "unreachable", "wrong_address")} == {
        "buyer_refused": "delivery_fee_only",
        "unreachable": "delivery_fee_only",
        "wrong_address": "delivery_fee_only",
    }
    assert ruled(None) == ruled("unspecified") == "full"


def test_a_merchants_rule_beats_the_settings_but_never_its_own_fault():
    generous = {"buyer_refused": "goods_only"}
    assert ruled("buyer_refused", merchant_rules=generous) == "goods_only"
    assert ruled("unreachable", merchant_rules=generous) == "delivery_fee_only", "only the reasons it names"
    stingy = {"wrong_address": "none"}
    assert ruled("wrong_address", merchant_fault=frozenset({"wrong_address"}), merchant_rules=stingy) == "full"


def test_a_reason_nobody_ruled_on_is_refunded_in_full():
    assert rule_for("buyer_refused", merchant_fault=frozenset(), merchant_rules=None, defaults={}) == "full"


@pytest.mark.parametrize(
    ("rule", "refunded"),
    [("full", 2150), ("goods_only", 1500), ("delivery_fee_only", 650), ("none", 0)],
)
def test_what_each_rule_gives_back(rule, refunded):
    assert refund_amount(rule, total=2150, delivery_fee=650) == refunded


def test_a_discount_comes_off_the_goods_never_below_nothing():
    assert refund_amount("goods_only", total=500, delivery_fee=650) == 0
    assert refund_amount("delivery_fee_only", total=500, delivery_fee=650) == 500


def test_settings_documents_are_checked():
    assert parse_reasons(" wrong_address, ,buyer_refused ") == {"wrong_address", "buyer_refused"}
    assert parse_rules("") == {}
    with pytest.raises(ValidationError):
        parse_rules('{"buyer_refused": "half"}')
    with pytest.raises(ValidationError):
        parse_rules('{"stolen": "full"}')


def test_the_compensation_rule_is_an_amount_or_a_share_of_the_delivery_fee():
    assert CompensationRule.model_validate_json(Settings().late_compensation_rule).value(650) == 500
    assert CompensationRule(kind="refund", percent_of_delivery_fee=50).value(650) == 325
    assert CompensationRule(kind="coupon", amount=300).value(0) == 300
    for wrong in ({"kind": "refund"}, {"kind": "refund", "amount": 1, "percent_of_delivery_fee": 5}):
        with pytest.raises(ValidationError):
            CompensationRule.model_validate(wrong)
    with pytest.raises(ValidationError):
        CompensationRule(kind="cash", amount=1)


def _order(status: str, promised_in: timedelta | None, delivered_in: timedelta | None = None):
    from paotui.orders.records import OrderRecord

    now = clock.now()
    timeline = [TimelineEntryMap(status="PAID", at=clock.iso(now - timedelta(hours=1)), by="system")]
    if delivered_in is not None:
        timeline.append(TimelineEntryMap(status="DELIVERED", at=clock.iso(now + delivered_in), by="rider:r"))
    return OrderRecord(
        "ord_x",
        status=status,
        promised_at=clock.iso(now + promised_in) if promised_in is not None else None,
        timeline=timeline,
    )


def test_late_means_past_the_promise_and_its_grace_and_not_delivered_or_delivered_after_them():
    now = clock.now()  # the grace: settings.late_grace_seconds, 5 minutes
    assert is_late(_order("DELIVERING", timedelta(minutes=-6)), now)
    assert not is_late(_order("DELIVERING", timedelta(minutes=-1)), now), "past the promise, within the grace"
    assert is_late(_order("DELIVERED", timedelta(minutes=-20), delivered_in=timedelta(minutes=-5)), now)
    assert not is_late(_order("DELIVERED", timedelta(minutes=-5), delivered_in=timedelta(minutes=-10)), now)
    # delivered 2 minutes after the promise, seen by a late timer that fired before the delivery ended it
    assert not is_late(_order("DELIVERED", timedelta(minutes=-7), delivered_in=timedelta(minutes=-5)), now)
    for ended in ("CANCELLED", "DELIVERY_FAILED", "RETURNING", "RETURNED", "PENDING_PAYMENT"):
        assert not is_late(_order(ended, timedelta(minutes=-30)), now), ended
    assert not is_late(_order("DELIVERING", None), now), "nothing was promised"
