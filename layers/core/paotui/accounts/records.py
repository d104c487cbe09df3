"""The Users, Identities, Otp, Sessions and Addresses tables.

A user is reached through identities (``phone#+8613800000000``,
``wechat#<openid>``, ``unionid#<unionid>``), so one person can sign in by SMS
or by WeChat, from any app of one WeChat open platform account, and stay one
user. Identity keys are unique by construction: the table is keyed on them.
"""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from paotui.platform.dynamo import LatLngMap, table_meta


class UserRecord(Model):
    Meta = table_meta("users_table")

    id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(null=True)  # absent for users who only ever signed in with WeChat
    roles = ListAttribute(of=UnicodeAttribute)
    name = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    # identity merge (accounts.merging): set on the absorbed user for good; the survivor lists merges in flight
    merged_into = UnicodeAttribute(null=True)
    merging_from = UnicodeSetAttribute(null=True)
    # address book (accounts.addresses): the default is a pointer, every change bumps the version
    default_address_id = UnicodeAttribute(null=True)
    address_book_version = NumberAttribute(null=True)


class _IdentitiesByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)


class IdentityRecord(Model):
    Meta = table_meta("identities_table")

    key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    by_user = _IdentitiesByUser()


class OtpRecord(Model):
    """The one live code of a phone. Deleted when used; ``ttl`` lets DynamoDB sweep the rest."""

    Meta = table_meta("otp_table")

    phone = UnicodeAttribute(hash_key=True)
    code_hash = UnicodeAttribute()
    sent_at = NumberAttribute()  # epoch seconds
    expires_at = NumberAttribute()  # epoch seconds
    attempts = NumberAttribute(default=0)
    ttl = TTLAttribute()


class _SessionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


HEAD = "session"


class SessionRecord(Model):
    """One sign-in (a refresh token family): its head, and one entry per refresh token it issued.

    The head (``entry`` = ``"session"``) is what the ``sid`` claim of access
    tokens names and what revocation marks; only heads carry ``user_id``, so
    the ``by-user`` index lists sessions, not tokens. A refresh token's entry
    (``entry`` = ``refresh#<sha256 of the token>``) records when it was
    exchanged, which is how a second use is recognised.
    """

    Meta = table_meta("sessions_table")

    id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()  # epoch seconds: the head's refresh deadline, or this token's
    revoked_at = UnicodeAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)  # logout, refresh_token_reused, merged
    rotated_at = UnicodeAttribute(null=True)  # a refresh entry: when it was exchanged for the next one
    ttl = TTLAttribute()

    by_user = _SessionsByUser()


class AddressRecord(Model):
    """A saved delivery address; which one is the default is the user's ``default_address_id``."""

    Meta = table_meta("addresses_table")

    user_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    label = UnicodeAttribute(null=True)
    contact_name = UnicodeAttribute()
    contact_phone = UnicodeAttribute()
    detail = UnicodeAttribute()
    location = LatLngMap()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def phone_key(phone: str) -> str:
    return f"phone#{phone}"


def wechat_key(openid: str) -> str:
    return f"wechat#{openid}"


def unionid_key(unionid: str) -> str:
    return f"unionid#{unionid}"


def refresh_entry(digest: str) -> str:
    return f"refresh#{digest}"
