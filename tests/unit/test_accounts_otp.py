"""OTP rules as pure functions: codes, hashing, resend throttle, expiry and lockout."""

from __future__ import annotations

from paotui.accounts import otp

KEY = "k" * 32
PHONE = "+8613800000301"


def test_codes_are_six_random_digits():
    codes = {otp.new_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 190


def test_the_hash_binds_key_phone_and_code():
    digest = otp.hash_code(KEY, PHONE, "123456")
    assert "123456" not in digest
    assert otp.code_matches(KEY, PHONE, "123456", digest)
    assert not otp.code_matches(KEY, PHONE, "123457", digest)
    assert not otp.code_matches(KEY, "+8613800000302", "123456", digest)
    assert not otp.code_matches("other" * 8, PHONE, "123456", digest)


def _resend(now, *, sent_at=1000, expires_at=1300, attempts=0):
    return otp.resend_refusal(
        now=now, sent_at=sent_at, expires_at=expires_at, attempts=attempts, max_attempts=5, resend_seconds=30
    )


def test_resend_is_throttled():
    refusal = _resend(1010)
    assert refusal.status == 429 and refusal.code == "OTP_TOO_SOON" and refusal.details == {"retry_after": 20}
    assert _resend(1030) is None


def test_a_locked_code_blocks_resending_until_it_expires():
    refusal = _resend(1100, attempts=5)
    assert refusal.code == "OTP_LOCKED" and refusal.details == {"retry_after": 200}
    assert _resend(1300, attempts=5) is None


def _guess(now, *, expires_at=1300, attempts=0):
    return otp.guess_refusal(now=now, expires_at=expires_at, attempts=attempts, max_attempts=5)


def test_guesses_are_refused_once_expired_or_locked():
    assert _guess(1299, attempts=4) is None
    expired = _guess(1300)
    assert expired.status == 401 and expired.code == "OTP_EXPIRED"
    locked = _guess(1200, attempts=5)
    assert locked.status == 429 and locked.code == "OTP_LOCKED"


def test_invalid_code_reports_attempts_left():
    assert otp.invalid_code(2).details == {"attempts_left": 2}
    assert otp.invalid_code(-1).details == {"attempts_left": 0}
    assert otp.invalid_code().status == 401
