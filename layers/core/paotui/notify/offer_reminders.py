"""The SMS fallback: an offer still unanswered ``offer_sms_fallback_seconds`` after its push is texted, once.

A push can fail to wake a phone (notifications off, a provider outage, an
Android phone without Google services), and an offer lives only
``offer_ttl_seconds``. When the offer is pushed, NotifyWorker also sends its
own queue an ``offer.reminder`` event, delayed by the fallback time (SQS
``DelaySeconds``, at most 15 minutes). When it arrives, the offer is read
again: still OPEN and unexpired, the rider gets one SMS. Accepted, rejected,
expired or withdrawn by then, nothing is sent.

Once per offer: the reminder's event id derives from the offer (a redelivered
``offer.created`` schedules the same event, which the consumer's idempotency
skips), and the SMS is sent only after claiming the offer's receipt in the
rider's inbox (a conditional put), which holds even when the idempotency
record is gone. A failed SMS releases the receipt so the retry may send it.
"""

from __future__ import annotations

from typing import Any

from paotui.notify import inbox, templates
from paotui.notify.sms import get_sms_sender
from paotui.platform import clock
from paotui.platform.aws import client
from paotui.platform.errors import NotFound
from paotui.platform.events import DomainEvent, EventType
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.riders.service import find_rider


def reminder_event(offer: dict[str, Any]) -> DomainEvent:
    return DomainEvent(
        id=stable_id("evt_", EventType.OFFER_REMINDER, offer["id"]),
        type=EventType.OFFER_REMINDER,
        occurred_at=clock.now_iso(),
        subject=offer["id"],
        data={"offer_id": offer["id"], "rider_id": offer["rider_id"]},
    )


def schedule(offer: dict[str, Any]) -> bool:
    """Ask for the check after the fallback time; False when it would come after the offer expired (or is off)."""
    settings = get_settings()
    delay = settings.offer_sms_fallback_seconds
    if delay <= 0 or clock.iso(clock.later(delay)) >= offer["expires_at"]:
        return False
    client("sqs").send_message(
        QueueUrl=settings.notify_queue_url,
        MessageBody=reminder_event(offer).model_dump_json(),
        DelaySeconds=delay,
    )
    return True


def remind(offer_id: str) -> bool:
    """Text the rider if the offer is still open and no fallback went out for it yet; True if texted."""
    from paotui.dispatch.service import get_offer  # dispatch (~25 ms to import) only for this delayed check

    try:
        offer = get_offer(offer_id)
    except NotFound:
        return False
    if not offer.is_live(clock.now_iso()):
        logger.info("offer answered before its reminder", extra={"offer_id": offer_id, "status": offer.status})
        return False
    rider = find_rider(offer.rider_id)
    if rider is None:
        return False
    message = templates.offer_reminder_message(
        pickup_name=offer.pickup.name, fee=int(offer.fee), expires_at=offer.expires_at, locale=rider.locale
    )
    data = {"type": "offer_reminder", "offer_id": offer_id, "order_id": offer.order_id}
    text = f"【跑腿】{message.body}"
    texted = inbox.send_once(
        rider.id, f"offer_sms:{offer_id}", lambda: get_sms_sender().send(rider.phone, text, data=data)
    )
    if texted:
        metrics.add_metric(name="OfferSmsFallbacks", unit="Count", value=1)
    return texted
