"""The Devices and Inbox tables of mobile push.

Devices: one item per app install that receives push, keyed by the device id
(a stable hash of platform and token), so a token belongs to exactly one user
by construction: registering it again for another user takes it over in one
write. ``by-user`` lists a user's devices, least recently seen first.

Inbox: one partition per user (``user_id``), three kinds of ``entry``:
``msg#<sent_at>#<id>`` a push the user was sent (newest first read backwards),
``read`` the user's read mark (``read_up_to``: everything sent at or before it
is read; ``read#<scope>`` one for part of the inbox, e.g. one merchant's
console alerts), and ``once#<key>`` a receipt that something was sent once (a
push with a caller's message id, an offer's SMS fallback). Everything but the
read marks expires with ``ttl``.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class DevicesByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    last_seen_at = UnicodeAttribute(range_key=True)


class DeviceRecord(Model):
    Meta = table_meta("devices_table")

    id = UnicodeAttribute(hash_key=True)  # stable_id("dev_", platform, token)
    user_id = UnicodeAttribute()
    platform = UnicodeAttribute()  # a paotui.notify.channels.Platform
    token = UnicodeAttribute()  # the provider's device token, as the app reported it
    endpoint = UnicodeAttribute()  # how the channel addresses the device: an SNS endpoint ARN for fcm/apns
    created_at = UnicodeAttribute()  # when this user registered it
    last_seen_at = UnicodeAttribute()  # the latest registration (apps register on every start)

    by_user = DevicesByUser()


MESSAGE_PREFIX = "msg#"
READ_MARK = "read"
RECEIPT_PREFIX = "once#"


class InboxRecord(Model):
    Meta = table_meta("inbox_table")

    user_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    # a message
    id = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    # the read mark
    read_up_to = UnicodeAttribute(null=True)
    sending_until = UnicodeAttribute(null=True)  # a receipt whose send is under way: reclaimable after this
    ttl = TTLAttribute(null=True)  # messages and receipts expire; the read mark stays


def message_entry(sent_at: str, message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{sent_at}#{message_id}"


def receipt_entry(key: str) -> str:
    return f"{RECEIPT_PREFIX}{key}"


def read_mark_entry(scope: str | None = None) -> str:
    return f"{READ_MARK}#{scope}" if scope else READ_MARK
