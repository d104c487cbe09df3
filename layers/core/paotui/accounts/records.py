"""The Users, Identities and Otp tables.

A user is reached through identities (``phone#+8613800000000``,
``wechat#<openid>``), so one person can sign in by SMS or by WeChat and stay
one user. Identity keys are unique by construction: the table is keyed on them.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from paotui.platform.dynamo import table_meta


class UserRecord(Model):
    Meta = table_meta("users_table")

    id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(null=True)  # absent for users who only ever signed in with WeChat
    roles = ListAttribute(of=UnicodeAttribute)
    name = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class IdentityRecord(Model):
    Meta = table_meta("identities_table")

    key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class OtpRecord(Model):
    """The one live code of a phone. Deleted when used; ``ttl`` lets DynamoDB sweep the rest."""

    Meta = table_meta("otp_table")

    phone = UnicodeAttribute(hash_key=True)
    code_hash = UnicodeAttribute()
    sent_at = NumberAttribute()  # epoch seconds
    expires_at = NumberAttribute()  # epoch seconds
    attempts = NumberAttribute(default=0)
    ttl = TTLAttribute()


def phone_key(phone: str) -> str:
    return f"phone#{phone}"


def wechat_key(openid: str) -> str:
    return f"wechat#{openid}"
