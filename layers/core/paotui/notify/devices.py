"""The devices a user receives push on: register, list, remove, and deliver a message to all of them.

A device is one app install: its id is a stable hash of platform and token,
and it belongs to whoever registered it last (one item per device, so taking
over a token that moved to another account is one write, and the previous
owner can't keep receiving the new owner's pushes). Apps register on every
start; registering again refreshes ``last_seen_at`` and re-enables the
endpoint. A user keeps at most ``max_devices_per_user``: registering one more
drops the least recently seen.

A device whose endpoint the provider reports gone (app uninstalled, token
expired) is deleted on the first push that finds out, endpoint and all. Every
delete is conditional on the item being as read, so it never removes a
device that was registered again in the meantime.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, DoesNotExist
from pynamodb.expressions.condition import Condition

from paotui.notify.channels import EndpointGone, PushMessage, channel_for
from paotui.notify.records import DeviceRecord
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed
from paotui.platform.errors import NotFound
from paotui.platform.ids import stable_id
from paotui.platform.observability import logger, metrics
from paotui.platform.settings import get_settings


def device_id(platform: str, token: str) -> str:
    return stable_id("dev_", platform, token)


@dataclass(frozen=True)
class Registration:
    device: DeviceRecord
    created: bool  # new to this user (first registration, or taken over from another account)


def register(user_id: str, platform: str, token: str) -> Registration:
    """Register the caller's device for push; the same device again updates it."""
    channel = channel_for(platform)
    known = _find(device_id(platform, token))
    endpoint = channel.endpoint_for(token, known.endpoint if known else None)
    now = clock.now_iso()
    mine = known is not None and known.user_id == user_id
    device = DeviceRecord(
        device_id(platform, token),
        user_id=user_id,
        platform=platform,
        token=token,
        endpoint=endpoint,
        created_at=known.created_at if mine else now,
        last_seen_at=now,
    )
    device.save()  # unconditional: whoever registers a token last owns it
    if known is not None and not mine:
        logger.info("device taken over", extra={"device_id": device.id, "from": known.user_id, "to": user_id})
    _keep_within_limit(user_id, keep=device.id)
    return Registration(device, created=not mine)


def devices_of(user_id: str) -> list[DeviceRecord]:
    """The user's devices, most recently seen first."""
    return list(DeviceRecord.by_user.query(user_id, scan_index_forward=False))


def remove(user_id: str, device_id: str) -> None:
    """Unregister one of the user's devices (signing out of the app); another user's is not found."""
    device = _find(device_id)
    if device is None or device.user_id != user_id or not _delete(device, DeviceRecord.user_id == user_id):
        raise NotFound("No such device.", code="DEVICE_NOT_FOUND")


def push(user_id: str, message: PushMessage, *, endpoint: str | None = None) -> int:
    """Deliver ``message`` to every device of the user (or only the one at ``endpoint``); returns how many got it.

    A device found gone is deleted and skipped. Any other failure is raised
    once every device was tried, so the queue retries the notification.
    """
    delivered, failures = 0, []
    for device in devices_of(user_id):
        if endpoint is not None and device.endpoint != endpoint:
            continue
        try:
            channel_for(device.platform).deliver(device.endpoint, message)
        except EndpointGone as gone:
            logger.info("push endpoint gone; device removed", extra={"device_id": device.id, "reason": str(gone)})
            _forget_dead(device)
            continue
        except Exception as error:  # noqa: BLE001 (the other devices still get the message; re-raised below)
            logger.exception("push to a device failed", extra={"device_id": device.id})
            failures.append(error)
            continue
        delivered += 1
    metrics.add_metric(name="PushesDelivered", unit="Count", value=delivered)
    if failures:
        raise failures[0]
    return delivered


def _find(device_id: str) -> DeviceRecord | None:
    try:
        return DeviceRecord.get(device_id, consistent_read=True)
    except DoesNotExist:
        return None


def _keep_within_limit(user_id: str, *, keep: str) -> None:
    """Drop the user's least recently seen devices beyond the limit (never ``keep``, the one just registered)."""
    limit = get_settings().max_devices_per_user
    others = [device for device in reversed(devices_of(user_id)) if device.id != keep]
    for device in others[: max(0, len(others) - (limit - 1))]:
        if _delete(device, _unchanged(device)):
            logger.info("device dropped: over the limit", extra={"device_id": device.id, "user_id": user_id})


def _forget_dead(device: DeviceRecord) -> None:
    if _delete(device, _unchanged(device) & (DeviceRecord.endpoint == device.endpoint)):
        metrics.add_metric(name="PushDevicesRemoved", unit="Count", value=1)


def _unchanged(device: DeviceRecord) -> Condition:
    """Still the user's, and not registered again since it was read."""
    return (DeviceRecord.user_id == device.user_id) & (DeviceRecord.last_seen_at == device.last_seen_at)


def _delete(device: DeviceRecord, condition: Condition) -> bool:
    """Delete the device and then its endpoint, if ``condition`` holds; True if it did."""
    try:
        device.delete(condition=condition)
    except DeleteError as error:
        if not condition_failed(error):
            raise
        return False
    channel_for(device.platform).forget(device.endpoint)
    return True
