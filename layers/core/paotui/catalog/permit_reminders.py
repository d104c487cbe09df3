"""Shop owners reminded that their food permit lapses (食品经营许可证到期提醒), by a daily job.

A shop whose permit is past its date sells nothing (``MerchantRecord.food_permit_lapsed``) until an operator approves
a renewal (catalog.licences), which takes a person's time, so its owner is texted ahead: 30 days before, 7 days
before, and once it has lapsed. Each reminder goes once per permit (its date is in the receipt's key: a renewed
permit is reminded afresh), and a day missed sends only the latest reminder due. An owner whose renewal with a new
permit already waits is not reminded ahead, only told if it lapses before the review.
"""

from __future__ import annotations

from datetime import date

from paotui.catalog.licences import RenewalStatus
from paotui.catalog.records import MerchantRecord
from paotui.platform import clock
from paotui.platform.observability import logger, metrics

AHEAD_DAYS = (7, 30)
"""The days before a permit's date its owner is texted, most urgent first."""


def due(valid_until: date, today: date) -> str | None:
    """The reminder due on ``today`` for a permit valid until ``valid_until``: ``lapsed``, ``7d``, ``30d``, or None."""
    days = (valid_until - today).days
    if days < 0:
        return "lapsed"
    return next((f"{ahead}d" for ahead in AHEAD_DAYS if days <= ahead), None)


def remind_every_shop() -> int:
    """Text each shop's owner the reminder due today (China time); returns how many were sent now.

    A shop whose reminder fails (logged, metric ``PermitRemindersFailed``) doesn't stop the others; the invocation
    then fails, so that Lambda retries it, and the reminders already sent are not sent again.
    """
    today = clock.china_day(clock.now())
    sent = 0
    failed = []
    shops = MerchantRecord.scan(
        filter_condition=MerchantRecord.licences.exists(),
        attributes_to_get=["id", "owner_id", "name", "licences", "licence_renewal"],
    )
    for merchant in shops:
        permit = merchant.food_permit
        if permit is None or permit.valid_until is None:
            continue
        reminder = due(date.fromisoformat(permit.valid_until), today)
        if reminder is None or (reminder != "lapsed" and _renewing_permit(merchant)):
            continue
        try:
            sent += _remind(merchant, permit.valid_until, reminder)
        except Exception:
            logger.exception("permit reminder failed", extra={"merchant_id": merchant.id, "reminder": reminder})
            metrics.add_metric(name="PermitRemindersFailed", unit="Count", value=1)
            failed.append(merchant.id)
    if failed:
        raise RuntimeError(f"Food permit reminders on {today} failed for shops {', '.join(failed)}")
    metrics.add_metric(name="PermitRemindersSent", unit="Count", value=sent)
    return sent


def _remind(merchant: MerchantRecord, valid_until: str, reminder: str) -> bool:
    """Text the shop's owner ``reminder`` unless done for this permit; True if sent now."""
    from paotui.accounts.users import get_user
    from paotui.notify import inbox
    from paotui.notify.sms import get_sms_sender
    from paotui.notify.templates import food_permit_message

    owner = get_user(merchant.owner_id)
    if not owner.phone:
        logger.warning("permit reminder: owner has no phone", extra={"merchant_id": merchant.id})
        return False
    text = food_permit_message(shop_name=merchant.name, valid_until=valid_until, lapsed=reminder == "lapsed")
    data = {"kind": "food_permit", "merchant_id": merchant.id, "valid_until": valid_until, "reminder": reminder}
    key = f"food-permit:{merchant.id}:{valid_until}:{reminder}"
    sent = inbox.send_once(owner.id, key, lambda: get_sms_sender().send(owner.phone, text.body, data=data))
    if sent:
        logger.info("permit reminder sent", extra={"merchant_id": merchant.id, "reminder": reminder})
    return sent


def _renewing_permit(merchant: MerchantRecord) -> bool:
    renewal = merchant.licence_renewal
    return bool(
        renewal
        and renewal.status == RenewalStatus.PENDING
        and any(document.kind == "food_permit" for document in renewal.documents)
    )
