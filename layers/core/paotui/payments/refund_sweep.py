"""Refunds left PROCESSING are followed up: RefundSweepJob, every five minutes.

Why: a refund is opened PROCESSING (its amount reserved on the payment, counted
in the order's ``refunds_pending``) and then submitted to its provider. When
that call fails (a merchant's refund answered 502, a Lambda killed midway), or
the provider answered PROCESSING (WeChat Pay usually does; Alipay without
``refund_status``) and its callback never came (providers retry a callback
only so often), nothing else would ever move it: the customer is never told,
the amount stays reserved.

How: an open refund carries ``pending`` (removed when it settles), so the
sparse ``by-pending`` index lists exactly the open ones, oldest first; a run
reads those created more than ``refund_sweep_after_minutes`` ago (10: a
refund call takes seconds and WeChat Pay's first callback retries are
within minutes, so the sweep does not race the normal path; Alipay asks for
10 s between a refund and its query) and for each asks its provider
(``refunds.follow_up``):

- SUCCEEDED or FAILED: settled through ``refunds._settle``, conditional on
  PROCESSING, so a late callback racing the sweep settles it once;
- not found (the provider never got it; Alipay did not do it): asked for
  again, idempotent on the refund id at the provider and at our end; if the
  provider refuses it for good then, it is FAILED (``refunds._submit``), and
  if it holds it up (the balance short), it stays open for the next run;
- still PROCESSING: left for the next run.

One refund's failure (its provider down) is logged and counted, and the next
run tries it again; it does not stop the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from paotui.payments import refunds
from paotui.payments.channels import Providers, default_providers
from paotui.payments.records import PENDING_REFUND, RefundRecord, RefundStatus
from paotui.platform import clock
from paotui.platform.errors import DomainError
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings


@dataclass(frozen=True)
class Sweep:
    """What one run did: open refunds looked at, settled (SUCCEEDED or FAILED), still open, failed to follow up."""

    checked: int
    succeeded: int
    refund_failed: int
    processing: int
    failed: int


def sweep(providers: Providers | None = None, now: datetime | None = None) -> Sweep:
    """Follow up every refund open for longer than ``refund_sweep_after_minutes``; ``providers``: the container's
    unless a caller (a test) brings its own."""
    providers = providers or default_providers()
    since = timedelta(minutes=get_settings().refund_sweep_after_minutes)
    cutoff = clock.iso((now or clock.now()) - since)
    outcomes: Counter[str] = Counter()
    failed = 0
    for stale in RefundRecord.by_pending.query(PENDING_REFUND, RefundRecord.created_at < cutoff):
        try:
            refund = refunds.follow_up(stale.id, stale.order_id, providers)
        except Exception as error:  # noqa: BLE001 - logged with the refund; the next run asks again
            said = {"code": error.code, **error.details} if isinstance(error, DomainError) else {}
            logger.exception(
                "refund not followed up", extra={"order_id": stale.order_id, "refund_id": stale.id, **said}
            )
            failed += 1
            continue
        outcomes[refund.status] += 1
    result = Sweep(
        checked=sum(outcomes.values()) + failed,
        succeeded=outcomes[RefundStatus.SUCCEEDED],
        refund_failed=outcomes[RefundStatus.FAILED],
        processing=outcomes[RefundStatus.PROCESSING],
        failed=failed,
    )
    logger.info("open refunds followed up", extra={**asdict(result), "cutoff": cutoff})
    metrics.add_metric(name="RefundsSweptSettled", unit="Count", value=result.succeeded + result.refund_failed)
    metrics.add_metric(name="RefundsStillProcessing", unit="Count", value=result.processing)
    metrics.add_metric(name="RefundSweepFailed", unit="Count", value=result.failed)
    return result
