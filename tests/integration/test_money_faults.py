"""Money under crashes: a payment's callback, a cancellation's refund, a merchant's refund, a rider's pay and a
shop's settlement, each run with its N-th call (to DynamoDB, or to the payment provider) failing, for N = 1, 2, 3 ... until a run gets
through without reaching N. A failed run is followed by what the platform does next (the provider sends its
callback again, SQS delivers the message again, the merchant's app retries the request) until it succeeds; the end
state must be that of one clean run: no money lost, none moved twice.

The run is killed at that call (``builders.AwsFaults``), either before it is made (nothing applied) or after (applied,
but the caller never knows): the Lambda's timeout, or a connection dropped as the answer came back.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from paotui.platform.events import DomainEvent
from tests.integration.builders import (
    CUSTOMER,
    AwsFaults,
    Killed,
    confirmed_order,
    order_event,
    placed_order,
    principal,
    sqs_event,
)

MERCHANT_OWNER = principal("usr_owner", "merchant")
SCHEDULED_REFUND_SWEEP = json.loads(
    (Path(__file__).resolve().parents[2] / "events/RefundSweepJob/scheduled.json").read_text()
)


@dataclass
class ProviderLedger:
    """What the provider was asked: refunds by refund id (it refunds each id once, as WeChat Pay and Alipay do)."""

    refunds: dict[str, int] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)


@pytest.fixture
def faults(aws, monkeypatch) -> AwsFaults:
    return AwsFaults(monkeypatch)


def providers_with(faults: AwsFaults, ledger: ProviderLedger):
    """In-process sandbox providers whose refunds and closes go through ``faults`` and are kept in ``ledger``."""
    from paotui.payments import sandbox, service
    from paotui.payments.channels import Providers
    from paotui.platform.secrets import secret_value
    from paotui.platform.settings import get_settings

    class FaultyProvider(sandbox.SandboxProvider):
        def refund(self, **asked):
            def make():
                ledger.asked.append(asked["refund_id"])
                refunded = ledger.refunds.setdefault(asked["refund_id"], asked["amount"])
                assert refunded == asked["amount"], "one refund id asked for two amounts"
                return super(FaultyProvider, self).refund(**asked)

            return faults.call(make, "refund")

        def close(self, payment_id: str) -> None:
            faults.call(lambda: None, "close")

        def query_refund(self, payment_id: str, refund_id: str):
            return faults.call(lambda: super(FaultyProvider, self).query_refund(payment_id, refund_id), "query_refund")

    class FaultyProviders(Providers):
        def _provider(self, channel: str):
            assert channel == "sandbox"
            return FaultyProvider(lambda: secret_value(get_settings().payment_secret_arn), self._transport)

    def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        return service.handle_notify("sandbox", headers, body, providers).status

    providers = FaultyProviders(get_settings(), deliver)
    return providers


def crashing(
    faults: AwsFaults, setup: Callable[[], object], step: Callable[[object], object], state: Callable[[object], object]
) -> int:
    """For each N (killed before the call, or after it), a fresh ``setup``, ``step`` killed at call N, then ``step``
    again unfaulted; its ``state`` must equal a clean run's. Returns how many calls a clean run makes."""
    clean = setup()
    faults.arm(None)
    step(clean)
    expected = state(clean)
    for mode in ("killed_before", "killed_after"):
        at = 1
        while True:
            subject = setup()
            faults.arm(at, mode)
            with contextlib.suppress(Killed):
                step(subject)
            reached = faults.hit is not None
            faults.arm(None)
            step(subject)  # the platform's next try: the provider's callback again, SQS's redelivery, the retry
            assert state(subject) == expected, f"call {at}, {mode}"
            if not reached:
                break
            at += 1
    return at - 1


# --- what each scenario leaves behind --------------------------------------------------------------------------


def money_of(order_id: str, ledger: ProviderLedger) -> dict:
    from paotui.orders.service import get_order
    from paotui.payments import refunds, service

    order = get_order(order_id)
    return {
        "status": order.status,
        "timeline": [entry.status for entry in order.timeline],
        "order_refund": (int(order.refunded or 0), int(order.refunds_pending or 0), int(order.refunds_failed or 0)),
        "payments": sorted((p.status, int(p.amount), int(p.refunded)) for p in service.payments_of(order_id)),
        "refunds": sorted((r.status, int(r.amount)) for r in refunds.refunds_of(order_id)),
        "refunded_at_the_provider": sorted(
            amount
            for refund_id, amount in ledger.refunds.items()
            if refund_id in {r.id for r in refunds.refunds_of(order_id)}
        ),
    }


@dataclass
class Paying:
    order_id: str
    headers: dict
    body: bytes


def test_a_payment_callback_crashing_at_any_call_pays_the_order_once(faults):
    from paotui.catalog.records import MerchantRecord
    from paotui.catalog.service import get_merchant
    from paotui.payments import service
    from tests.integration.test_payments import RecordingTransport, sandbox

    ledger = ProviderLedger()
    providers = providers_with(faults, ledger)

    def setup() -> Paying:
        order, _ = placed_order(uuid.uuid4().hex, 1)
        get_merchant(order.merchant_id).update(actions=[MerchantRecord.auto_confirm.set(True)])
        transport = RecordingTransport(deliver=False)
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox(transport))
        headers, body = transport.sent[0]
        return Paying(order.id, headers, body)

    def step(paying: Paying) -> None:
        reply = service.handle_notify("sandbox", paying.headers, paying.body, providers)
        assert reply.status == 200

    calls = crashing(faults, setup, step, lambda paying: money_of(paying.order_id, ledger))
    assert calls > 3


def test_a_payment_callback_after_the_timeout_crashing_at_any_call_refunds_once(faults):
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import service
    from tests.integration.test_payments import RecordingTransport, sandbox

    ledger = ProviderLedger()
    providers = providers_with(faults, ledger)

    def setup() -> Paying:
        order, _ = placed_order(uuid.uuid4().hex, 1)
        transport = RecordingTransport(deliver=False)
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox(transport))
        orders.system_transition(order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="timeout")
        headers, body = transport.sent[0]
        return Paying(order.id, headers, body)

    def step(paying: Paying) -> None:
        assert service.handle_notify("sandbox", paying.headers, paying.body, providers).status == 200

    calls = crashing(faults, setup, step, lambda paying: money_of(paying.order_id, ledger))
    assert calls > 3


def test_a_cancelled_paid_orders_refund_crashing_at_any_call_refunds_once(faults):
    from paotui.orders import service as orders
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events, service
    from tests.integration.test_payments import sandbox

    ledger = ProviderLedger()
    providers = providers_with(faults, ledger)

    def setup() -> DomainEvent:
        order, _ = placed_order(uuid.uuid4().hex, 1)
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
        cancelled = orders.system_transition(order.id, Status.CANCELLED, expected={Status.PAID}, reason="rejected")
        return DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PAID"))

    def step(event: DomainEvent) -> None:
        refund_events.handle(event, providers)

    calls = crashing(faults, setup, step, lambda event: money_of(event.subject, ledger))
    assert calls > 3


def test_a_merchants_refund_crashing_at_any_call_refunds_once_when_retried(faults):
    from paotui.orders import service as orders
    from paotui.payments import refunds, service
    from tests.integration.test_payments import sandbox

    ledger = ProviderLedger()
    providers = providers_with(faults, ledger)

    def setup() -> str:
        order, _ = placed_order(uuid.uuid4().hex, 1)
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
        return order.id

    def step(order_id: str) -> None:
        current = orders.get_order(order_id)
        actors = orders.actors_for(current, MERCHANT_OWNER)
        refunds.refund_part(
            current, actors, amount=100, reason="少送一份", key="refund-key-crash", by="usr_owner", providers=providers
        )

    calls = crashing(faults, setup, step, lambda order_id: money_of(order_id, ledger))
    assert calls > 3


def test_the_refund_sweep_crashing_at_any_call_settles_a_refund_left_processing_once(faults, monkeypatch):
    """A merchant's refund whose provider call failed (the provider down): RefundSweepJob, killed at each call in
    turn and run again at its next schedule, ends as one clean run: the refund asked again once and settled once."""
    from paotui.orders import service as orders
    from paotui.payments import refund_sweep, refunds, service
    from paotui.payments.channels import Providers
    from paotui.payments.records import RefundRecord
    from paotui.payments.sandbox import SandboxProvider
    from paotui.payments.providers import unavailable
    from paotui.platform import clock
    from paotui.platform.settings import get_settings
    from tests.integration.builders import crash_at_every_step, load_handler, scheduled
    from tests.integration.test_payments import sandbox

    ledger, stuck = ProviderLedger(), []
    monkeypatch.setattr(refund_sweep, "default_providers", lambda: providers_with(faults, ledger))

    class Down(SandboxProvider):
        def refund(self, **asked):
            raise unavailable("The provider could not be reached.")

    class ProviderDown(Providers):
        def _provider(self, channel: str):
            return Down(lambda: "", self._transport)

    def stuck_refund():
        order, _ = placed_order(uuid.uuid4().hex, 1)
        stuck.append(order.id)
        service.start_payment(order.id, CUSTOMER, "sandbox", sandbox())
        current = orders.get_order(order.id)
        with pytest.raises(Exception, match="could not be reached"):
            refunds.refund_part(
                current,
                orders.actors_for(current, MERCHANT_OWNER),
                amount=100,
                reason="少送一份",
                key="refund-key-sweep",
                by="usr_owner",
                providers=ProviderDown(get_settings(), None),
            )
        (refund,) = refunds.refunds_of(order.id)
        refund.update(actions=[RefundRecord.created_at.set(clock.iso(clock.now() - timedelta(minutes=30)))])
        return SCHEDULED_REFUND_SWEEP, lambda: money_of(order.id, ledger)

    assert crash_at_every_step(faults, scheduled(load_handler("RefundSweepJob")), stuck_refund) > 3
    clean = money_of(stuck[0], ledger)
    assert (clean["refunds"], clean["order_refund"], clean["refunded_at_the_provider"]) == (
        [("SUCCEEDED", 100)],
        (100, 0, 0),
        [100],
    )


def test_a_delivery_crashing_at_any_call_pays_the_rider_and_the_streak_bonus_once(faults, monkeypatch):
    from paotui.platform import clock
    from paotui.riders import earnings_events, incentives
    from paotui.riders.earnings_records import LedgerLine, RiderKpisRecord
    from tests.integration.test_rider_earnings import NOON, RULES, RULES_SAVED, delivered

    monkeypatch.setattr(clock, "now", lambda: RULES_SAVED)
    incentives.save_rules(incentives.SaveIncentiveRules(version=0, **RULES), "usr_admin")

    def setup() -> tuple[str, DomainEvent]:
        rider = f"usr_rider_{uuid.uuid4().hex[:8]}"
        first = delivered(f"ord_{uuid.uuid4().hex}", rider=rider, at=NOON - timedelta(minutes=20))
        earnings_events.handle(DomainEvent.model_validate_json(order_event(first, "DELIVERED", "DELIVERING")))
        second = delivered(f"ord_{uuid.uuid4().hex}", rider=rider)  # the second on time in a row: the streak bonus
        return rider, DomainEvent.model_validate_json(order_event(second, "DELIVERED", "DELIVERING"))

    def step(delivery: tuple[str, DomainEvent]) -> None:
        earnings_events.handle(delivery[1])

    def pay(delivery: tuple[str, DomainEvent]) -> dict:
        rider, event = delivery
        counters = {
            kpi.period.partition("#")[0]: {
                k: v for k, v in kpi.attribute_values.items() if k not in ("rider_id", "period")
            }
            for kpi in RiderKpisRecord.query(rider)
        }
        lines = sorted(
            (line.order_id == event.subject, line.kind, int(line.amount))
            for line in LedgerLine.query(rider)
            if line.entry.startswith("line#")
        )
        return {"lines": lines, "counters": counters}

    calls = crashing(faults, setup, step, pay)
    assert calls > 3


def test_a_settlement_crashing_at_any_call_credits_the_shop_once(faults):
    """The shop's refund succeeded while its order was on the way; the delivery's event then settles both, under
    every crash SettlementWorker can meet."""
    from paotui.settlement.records import AccountRecord, DayTotals, LedgerLine
    from tests.integration.builders import crash_at_every_step, load_handler
    from tests.integration.test_settlement import delivered, refund

    def scenario():
        order, merchant = confirmed_order()
        refund(order, 300)
        event = sqs_event(order_event(delivered(order.id), "DELIVERED", "DELIVERING"))

        def books() -> dict:
            written = LedgerLine.query(merchant.id, LedgerLine.entry.startswith("line#"))
            lines = sorted((line.kind, int(line.amount)) for line in written)
            days = [int(day.total) for day in DayTotals.query(merchant.id, DayTotals.entry.startswith("day#"))]
            return {"lines": lines, "days": days, "accrued": int(AccountRecord.get(merchant.id).accrued)}

        return event, books

    assert crash_at_every_step(faults, load_handler("SettlementWorker"), scenario) > 3


def test_a_payout_crashing_at_any_call_is_recorded_once(faults):
    """An operator's payout killed at any call, then sent again under its Idempotency-Key: paid once."""
    from paotui.settlement import accounts, ledger
    from paotui.settlement.models import PayoutRequest
    from paotui.settlement.records import AccountRecord, PayoutRecord
    from tests.integration.test_settlement import delivered

    def setup() -> str:
        order, merchant = confirmed_order()
        ledger.settle(delivered(order.id).id, "evt-delivered")
        faults.waited += timedelta(days=1)  # the day is over: its credits are payable
        return merchant.id

    def step(merchant_id: str) -> None:
        request = PayoutRequest(amount=500, reference="ICBC 20261125-01")
        accounts.pay_out(merchant_id, request, key="payout-crash-0001", by="usr_admin")

    def books(merchant_id: str) -> dict:
        payouts = PayoutRecord.query(merchant_id, PayoutRecord.entry.startswith("payout#"))
        return {"paid": int(AccountRecord.get(merchant_id).paid), "payouts": [int(p.amount) for p in payouts]}

    assert crashing(faults, setup, step, books) > 3


def test_a_payout_reversal_crashing_at_any_call_is_owed_again_once(faults):
    """An operator's reversal of a payout killed at any call, then clicked again: the amount owed again once."""
    from paotui.settlement import accounts, ledger
    from paotui.settlement.models import PayoutRequest
    from paotui.settlement.records import AccountRecord, PayoutRecord
    from tests.integration.test_settlement import delivered

    def setup() -> tuple[str, str]:
        order, merchant = confirmed_order()
        ledger.settle(delivered(order.id).id, "evt-delivered")
        faults.waited += timedelta(days=1)
        request = PayoutRequest(amount=500, reference="ICBC 错号")
        payout, _ = accounts.pay_out(merchant.id, request, key="payout-reversed-0001", by="usr_admin")
        return merchant.id, payout.id

    def step(made: tuple[str, str]) -> None:
        accounts.reverse_payout(*made, reason="银行退回", by="usr_admin")

    def books(made: tuple[str, str]) -> dict:
        payouts = PayoutRecord.query(made[0], PayoutRecord.entry.startswith("payout#"))
        reversed_ = [(int(p.amount), p.reversal_reason) for p in payouts]
        return {"paid": int(AccountRecord.get(made[0]).paid), "payouts": reversed_}

    assert crashing(faults, setup, step, books) > 2


def test_a_cash_delivery_and_a_hand_in_crashing_at_any_call_move_the_riders_cash_once(faults):
    """The worker settling a cash order (the shop's lines, the rider's cash), then an operator's hand-in, each killed
    at every call and tried again: the rider holds what one clean run leaves."""
    from paotui.riders.records import RiderRecord
    from paotui.settlement import cash
    from paotui.settlement.cash_models import HandInRequest
    from paotui.settlement.records import CashMove
    from tests.integration.builders import SHOP, crash_at_every_step, load_handler, make_rider, near
    from tests.integration.test_rider_cash import cash_order

    def held(rider_id: str) -> dict:
        moves = CashMove.query(rider_id, CashMove.entry.startswith("move#"))
        return {"held": int(RiderRecord.get(rider_id).cash_held or 0), "moves": sorted(int(m.amount) for m in moves)}

    def scenario():
        rider = f"usr_rider_{uuid.uuid4().hex[:8]}"
        make_rider(rider, near(SHOP, 100))
        order = cash_order(rider=rider)
        return sqs_event(order_event(order, "DELIVERED", "DELIVERING")), lambda: held(rider)

    assert crash_at_every_step(faults, load_handler("SettlementWorker"), scenario) > 3

    def setup() -> str:
        rider = f"usr_rider_{uuid.uuid4().hex[:8]}"
        make_rider(rider, near(SHOP, 100))
        cash.collect(cash_order(rider=rider).id, "evt-delivered")
        return rider

    def step(rider: str) -> None:
        cash.hand_in(rider, HandInRequest(amount=2000, note="站点收款"), key="handin-crash-0001", by="usr_admin")

    assert crashing(faults, setup, step, held) == 3  # the rider read, the key looked up, the transaction
