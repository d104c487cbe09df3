"""Identifiers: time-sortable random ids, stable ids derived from a natural key (an idempotency key), the digest
that tells a retry under such a key from the key reused, and the short reference people read out."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str = "") -> str:
    """A ULID (48-bit ms timestamp + 80 random bits), sortable by creation time."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))


_NAMESPACE = uuid.UUID("6f1c2a52-1c0e-4f4b-9a55-70616f747569")


def stable_id(prefix: str, *parts: str) -> str:
    """The same id for the same parts, so a retried write lands on the same item."""
    return prefix + uuid.uuid5(_NAMESPACE, "\x1f".join(parts)).hex


def fingerprint(body: BaseModel) -> str:
    """A digest of a request's body: the same body sent again under its idempotency key is a retry, another body
    under it is the key reused (422 ``IDEMPOTENCY_KEY_REUSED``)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def short_ref(record_id: str) -> str:
    """The reference people read out, as every message and alert shows it: the id's last six characters,
    upper-cased. Short enough to say on the phone, not unique (16.7 million of them for hex ids), so operators'
    lookup by it (the Orders table's by-ref) may find more than one order."""
    return record_id[-6:].upper()
