"""One-time SMS codes: generation, hashing and the rules for resending and guessing.

Pure functions; the service reads and writes the Otp table around them. Codes
are stored only as an HMAC keyed with a server secret, so a leaked table does
not reveal live codes (a plain or salted hash of six digits is brute-forced in
milliseconds).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from paotui.platform.errors import DomainError, TooManyRequests, Unauthorized

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(key: str, phone: str, code: str) -> str:
    """HMAC-SHA256 over phone and code, so one code's hash is useless for another phone."""
    return hmac.new(key.encode(), f"otp\x1f{phone}\x1f{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(key: str, phone: str, code: str, code_hash: str) -> bool:
    return hmac.compare_digest(hash_code(key, phone, code), code_hash)


def is_locked(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts


def resend_refusal(
    *, now: int, sent_at: int, expires_at: int, attempts: int, max_attempts: int, resend_seconds: int
) -> DomainError | None:
    """Why a new code may not be sent yet: the last one is too recent, or locked and unexpired.

    A locked code blocks resending for the rest of its life, and a resend
    before the lock keeps the wrong guesses (:func:`carried_attempts`);
    otherwise every resend would hand a guesser a fresh set of attempts.
    """
    if is_locked(attempts, max_attempts) and now < expires_at:
        return locked(expires_at - now)
    if now < sent_at + resend_seconds:
        return too_soon(sent_at + resend_seconds - now)
    return None


def carried_attempts(*, now: int, expires_at: int, attempts: int) -> int:
    """The wrong guesses a new code starts with: those of the code it replaces, while that one still lives.

    Otherwise a guesser would stop one short of the lock, resend, and guess
    on without end; an expired code's guesses are forgotten.
    """
    return attempts if now < expires_at else 0


def locked(retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        "Too many wrong codes; ask for a new one when this one expires.",
        code="OTP_LOCKED",
        details={"retry_after": retry_after},
    )


def too_soon(retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        "A code was sent moments ago; wait before asking again.",
        code="OTP_TOO_SOON",
        details={"retry_after": retry_after},
    )


def guess_refusal(*, now: int, expires_at: int, attempts: int, max_attempts: int) -> DomainError | None:
    """Why a guess is refused before it is even compared: the code expired or is locked."""
    if now >= expires_at:
        return Unauthorized("The code has expired; ask for a new one.", code="OTP_EXPIRED")
    if is_locked(attempts, max_attempts):
        return locked(expires_at - now)
    return None


def invalid_code(attempts_left: int | None = None) -> Unauthorized:
    details = {} if attempts_left is None else {"attempts_left": max(attempts_left, 0)}
    return Unauthorized("The code is not right.", code="OTP_INVALID", details=details)
