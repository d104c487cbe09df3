"""Refresh tokens: opaque random strings, stored only as a digest, and the rules for exchanging one.

A refresh token is ``<session id>.<256 random bits, url-safe>``: the session
id says which family to look in, the random part is the secret. A plain
SHA-256 of it is stored: unlike a six-digit code, 256 random bits can't be
recovered from their digest.

Every exchange rotates: the presented token is marked used and the next one
is issued in the same family. A used token presented again means two parties
hold the family's tokens (a thief and the user, or a client replaying one),
and there is no telling which is which, so the whole family is revoked and
the user signs in again. Pure functions; ``accounts.sessions`` stores them.
"""

from __future__ import annotations

import hashlib
import secrets

from paotui.platform.errors import Unauthorized

SECRET_BYTES = 32
_SECRET_CHARS = 43  # base64 of 32 bytes, unpadded
_REUSED = "REFRESH_TOKEN_REUSED"


def new_token(session_id: str) -> str:
    return f"{session_id}.{secrets.token_urlsafe(SECRET_BYTES)}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_of(token: str) -> str:
    """The session a token names; anything not shaped like one of ours is refused before a read."""
    session_id, dot, secret = token.partition(".")
    if not (dot and session_id and len(secret) == _SECRET_CHARS):
        raise invalid()
    return session_id


def refusal(*, revoked: bool, rotated: bool, expires_at: int, now: int) -> Unauthorized | None:
    """Why a stored token can't be exchanged now; None when it can.

    Revocation is checked first (a revoked family stays revoked whatever is
    presented), then expiry (a token past its time is dead, not evidence of
    theft), then reuse.
    """
    if revoked:
        return revoked_session()
    if now >= expires_at:
        return Unauthorized("The refresh token has expired; sign in again.", code="REFRESH_TOKEN_EXPIRED")
    if rotated:
        return reused()
    return None


def revokes_family(refusal: Unauthorized) -> bool:
    return refusal.code == _REUSED


def revoked_session() -> Unauthorized:
    return Unauthorized("This session has ended; sign in again.", code="SESSION_REVOKED")


def reused() -> Unauthorized:
    return Unauthorized("This refresh token was already used; the session is ended, sign in again.", code=_REUSED)


def invalid() -> Unauthorized:
    return Unauthorized("The refresh token is not valid.", code="REFRESH_TOKEN_INVALID")
