"""Riders who fell silent go offline: RiderPresenceJob, every minute.

An on-duty rider (online or on a break) whose app sent no location for
``rider_silence_minutes`` is set offline and told so by push. Both come from
the sparse ``by-presence`` index, never a scan:

1. ``presence = NOTICE_PENDING``: riders a previous run set offline but did not
   get to tell (it crashed, or the push failed). They are told now.
2. ``presence = ON_DUTY`` with ``heard_at`` before the cutoff: each is set
   offline in one conditional write (still on duty, ``heard_at`` as read: a
   rider who reported meanwhile stays online), which leaves
   ``presence = NOTICE_PENDING``; then the push, then the notice is cleared.

So a run that dies anywhere leaves nothing half done that the next run won't
finish, and re-running changes nothing twice. The push carries a message id
(the silence's ``heard_at``): a notice told again after a push that failed
midway, or a run that died before clearing it, adds no second inbox item and
goes out to the devices again only if it did not get there (``notify.push``;
a run killed mid-send holds that for ``inbox.SENDING_LEASE``, so a run within
it leaves the rider the inbox item: the catch-up the inbox is for).
A rider going on duty again meanwhile replaces the pending notice: they know.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from paotui.notify.push import get_push_sender
from paotui.notify.templates import presence_offline_message
from paotui.platform import clock
from paotui.platform.dynamo import update_if
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings
from paotui.riders.records import NOTICE_PENDING, ON_DUTY, RiderRecord
from paotui.riders.service import off_duty


@dataclass(frozen=True)
class Sweep:
    """What one run did: riders set offline, riders told, notices left for the next run."""

    set_offline: int
    told: int
    failed: int


def sweep(now: datetime | None = None) -> Sweep:
    """Tell the riders a previous run left untold, then take the silent ones offline and tell them."""
    silence = get_settings().rider_silence_minutes
    cutoff = clock.iso((now or clock.now()) - timedelta(minutes=silence))
    left_untold = list(RiderRecord.by_presence.query(NOTICE_PENDING))
    silent = list(RiderRecord.by_presence.query(ON_DUTY, RiderRecord.heard_at < cutoff))
    to_tell = [rider for rider in (_still_untold(r) for r in left_untold) if rider is not None]
    set_offline = [rider for rider in silent if _take_offline(rider)]
    told = sum(_tell(rider, silence) for rider in to_tell + set_offline)
    result = Sweep(set_offline=len(set_offline), told=told, failed=len(to_tell) + len(set_offline) - told)
    logger.info("rider presence swept", extra={**asdict(result), "cutoff": cutoff})
    metrics.add_metric(name="RidersSetOffline", unit="Count", value=result.set_offline)
    return result


def _still_untold(rider: RiderRecord) -> RiderRecord | None:
    """The rider as stored now, if the notice is still pending (the index lags the table)."""
    try:
        current = RiderRecord.get(rider.id, consistent_read=True)
    except DoesNotExist:
        return None
    return current if current.presence == NOTICE_PENDING else None


def _take_offline(rider: RiderRecord) -> bool:
    """Offline with a pending notice, if still on duty and unheard since ``rider`` was read."""
    if not update_if(
        rider,
        actions=[
            *off_duty(presence=NOTICE_PENDING),
            RiderRecord.updated_at.set(clock.now_iso()),
            RiderRecord.version.add(1),
        ],
        condition=(RiderRecord.presence == ON_DUTY) & (RiderRecord.heard_at == rider.heard_at),
    ):
        logger.info("rider spoke up or changed state meanwhile", extra={"rider_id": rider.id})
        return False
    logger.info("silent rider set offline", extra={"rider_id": rider.id, "heard_at": rider.heard_at})
    return True


def _tell(rider: RiderRecord, silence_minutes: float) -> bool:
    """Push the notice, then clear it; False (the notice stays pending) when the push failed."""
    message = presence_offline_message(silent_minutes=silence_minutes, locale=rider.locale)
    try:
        get_push_sender().send(
            rider.id,
            message.title,
            message.body,
            data={"type": "presence", "state": "offline", "reason": "silent", "heard_at": rider.heard_at},
            message_id=f"presence-offline:{rider.heard_at}",  # one silence, one notice: a retry adds no second
        )
    except Exception:  # the notice stays pending: the next run tries again
        logger.exception("could not tell the rider they were set offline", extra={"rider_id": rider.id})
        return False
    update_if(rider, [RiderRecord.presence.remove()], condition=RiderRecord.presence == NOTICE_PENDING)
    return True
