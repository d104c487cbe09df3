"""Refresh tokens: their shape, their digest, and which refusal wins when a token can't be exchanged."""

from __future__ import annotations

import pytest

from paotui.accounts import refresh
from paotui.platform.errors import Unauthorized

NOW = 1_800_000_000


def test_a_token_names_its_session_and_is_random():
    first, second = refresh.new_token("ses_1"), refresh.new_token("ses_1")
    assert first != second
    assert refresh.session_of(first) == refresh.session_of(second) == "ses_1"
    assert refresh.digest(first) != refresh.digest(second) and len(refresh.digest(first)) == 64


@pytest.mark.parametrize(
    "token",
    ["", "ses_1", "ses_1.", ".abc", "ses_1.short", "ses_1." + "a" * 44, "eyJhbGciOi.eyJzdWIi.c2ln"],
)
def test_anything_else_is_invalid_before_any_read(token):
    with pytest.raises(Unauthorized) as refused:
        refresh.session_of(token)
    assert refused.value.code == "REFRESH_TOKEN_INVALID"


def _refusal(*, revoked=False, rotated=False, expires_at=NOW + 60) -> str | None:
    refusal = refresh.refusal(revoked=revoked, rotated=rotated, expires_at=expires_at, now=NOW)
    return refusal.code if refusal else None


def test_a_current_unexpired_token_of_a_live_session_is_exchanged():
    assert _refusal() is None


def test_a_used_token_is_reuse_and_ends_the_family():
    assert _refusal(rotated=True) == "REFRESH_TOKEN_REUSED"
    assert refresh.revokes_family(refresh.refusal(revoked=False, rotated=True, expires_at=NOW + 1, now=NOW))


def test_an_expired_token_is_dead_not_evidence_of_theft():
    assert _refusal(expires_at=NOW) == "REFRESH_TOKEN_EXPIRED"
    assert _refusal(expires_at=NOW, rotated=True) == "REFRESH_TOKEN_EXPIRED"
    assert not refresh.revokes_family(refresh.refusal(revoked=False, rotated=False, expires_at=NOW, now=NOW))


def test_a_revoked_session_stays_revoked_whatever_is_presented():
    for rotated in (False, True):
        for expires_at in (NOW - 1, NOW + 60):
            assert _refusal(revoked=True, rotated=rotated, expires_at=expires_at) == "SESSION_REVOKED"
    assert not refresh.revokes_family(refresh.revoked_session())
