"""What a returned order refunds (pure): a rule per delivery failure reason, and what each rule gives back.

Rules: ``full`` (all that was paid), ``goods_only`` (all but the delivery fee: the ride was made),
``delivery_fee_only`` (the goods are not refunded: the food was made and the buyer would not take it), ``none``.

Where a rule comes from, first match wins:

1. a reason in the ``merchant_fault_failure_reasons`` setting is the merchant's fault: ``full``, always;
2. the merchant's own ``refund_rules`` (catalog, ``PATCH /merchants/{id}``), for the reasons it names;
3. the ``delivery_failure_refund_rules`` setting (a JSON object, reason → rule);
4. ``full``: a reason nobody ruled on is not held against the customer.

The reason is the rider's ``failure_reason`` (``buyer_refused``, ``unreachable``, ``wrong_address``), or
``unspecified`` when the order failed without one (a carrier's 妥投异常).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal, get_args

from pydantic import TypeAdapter

FailureReason = Literal["buyer_refused", "unreachable", "wrong_address"]
"""Why a rider could not hand an order over (DELIVERY_FAILED's ``failure_reason``)."""
RETURN_PURPOSE = "return"
"""The refund of a returned order, by the merchant's rule: one per payment, however often RETURNED is delivered."""

UNSPECIFIED = "unspecified"
"""The reason of a failure reported without one."""
RuledReason = Literal[FailureReason, "unspecified"]
RefundRule = Literal["full", "goods_only", "delivery_fee_only", "none"]
REFUND_RULES: tuple[str, ...] = get_args(RefundRule)

_RULES = TypeAdapter(dict[RuledReason, RefundRule])


def parse_rules(document: str) -> dict[str, RefundRule]:
    """The ``delivery_failure_refund_rules`` setting: a JSON object of reason → rule (ValueError if it isn't)."""
    return _RULES.validate_python(json.loads(document)) if document.strip() else {}


def parse_reasons(listing: str) -> frozenset[str]:
    """The ``merchant_fault_failure_reasons`` setting: reasons, comma-separated."""
    return frozenset(reason.strip() for reason in listing.split(",") if reason.strip())


def rule_for(
    reason: str | None,
    *,
    merchant_fault: frozenset[str],
    merchant_rules: Mapping[str, RefundRule] | None,
    defaults: Mapping[str, RefundRule],
) -> RefundRule:
    reason = reason or UNSPECIFIED
    if reason in merchant_fault:
        return "full"
    if merchant_rules and reason in merchant_rules:
        return merchant_rules[reason]
    return defaults.get(reason, "full")


def refund_amount(rule: RefundRule, *, total: int, delivery_fee: int) -> int:
    """Fen ``rule`` gives back of an order that cost ``total`` (after any discount), ``delivery_fee`` of it."""
    if rule == "full":
        return total
    if rule == "goods_only":
        return max(0, total - delivery_fee)
    if rule == "delivery_fee_only":
        return min(delivery_fee, total)
    return 0
