"""Signing in: SMS one-time codes, WeChat code2session, phone binding, and the session each one earns.

The Otp table holds at most one live code per phone. Every guess is counted
by a conditional increment *before* the code is compared, so concurrent
guesses can't exceed ``otp_max_attempts``; a right code is consumed by a
conditional delete, so it works once. Logging in and binding a phone use the
same check (``_consume_code``).

A session is a short-lived access token (JWT naming its session) and a
refresh token that renews it (``accounts.sessions``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from paotui.accounts import merging, otp, sessions, tokens
from paotui.accounts.records import OtpRecord, UserRecord, phone_key
from paotui.accounts.users import find_user, get_user, grant_roles, link_phone, user_for_identity, user_for_wechat
from paotui.accounts.wechat import WeChatClient
from paotui.notify.sms import SmsSender
from paotui.platform import clock
from paotui.platform.dynamo import condition_failed, update_if
from paotui.platform.errors import BadGateway, Conflict, DomainError
from paotui.platform.observability import logger
from paotui.platform.settings import Settings


@dataclass(frozen=True)
class Session:
    token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: UserRecord


class AuthService:
    def __init__(
        self,
        settings: Settings,
        *,
        sms: SmsSender,
        secret: Callable[[], str],
        wechat: WeChatClient,
        now: Callable[[], int] = clock.epoch_seconds,
    ):
        self._settings = settings
        self._sms = sms
        self._secret = secret
        self._wechat = wechat
        self._now = now

    def send_code(self, phone: str) -> int:
        """Text a new code to ``phone``; returns its lifetime in seconds.

        429 ``OTP_TOO_SOON`` / ``OTP_LOCKED``; 502 ``SMS_UNAVAILABLE`` when the SMS provider refuses it, with the
        code withdrawn (the one it replaced is back), so that asking again works at once."""
        settings, now = self._settings, self._now()
        current = _live_code(phone)
        if current and (refusal := self._resend_refusal(current, now)):
            raise refusal
        code = otp.new_code()
        expires_at = now + settings.otp_ttl_seconds
        # Replace exactly the code we judged above, with its wrong guesses; a concurrent request for this phone (a
        # resend, or a guess our count would miss) loses.
        attempts, unchanged = 0, OtpRecord.phone.does_not_exist()
        if current:
            attempts = otp.carried_attempts(now=now, expires_at=int(current.expires_at), attempts=int(current.attempts))
            unchanged = (OtpRecord.sent_at == current.sent_at) & (OtpRecord.attempts == current.attempts)
        record = OtpRecord(
            phone,
            code_hash=otp.hash_code(self._secret(), phone, code),
            sent_at=now,
            expires_at=expires_at,
            attempts=attempts,
            ttl=datetime.fromtimestamp(expires_at, UTC),
        )
        try:
            record.save(condition=unchanged)
        except PutError as error:
            if not condition_failed(error):
                raise
            raise otp.too_soon(settings.otp_resend_seconds) from None
        minutes = max(1, settings.otp_ttl_seconds // 60)
        text = f"【跑腿】验证码 {code} ，{minutes}分钟内有效，请勿告诉他人。"  # the code is a word of its own
        try:
            self._sms.send(phone, text, data={"template": "otp", "code": code, "expires_in": settings.otp_ttl_seconds})
        except (BotoCoreError, ClientError) as error:
            _withdraw_code(record, current)
            logger.warning("otp not sent", extra={"error": str(error)})
            raise BadGateway("The code could not be texted; ask for a new one.", code="SMS_UNAVAILABLE") from None
        logger.info("otp sent", extra={"expires_at": expires_at})
        return settings.otp_ttl_seconds

    def login_with_code(self, phone: str, code: str) -> Session:
        self._consume_code(phone, code)
        return self._session(user_for_identity(phone_key(phone), phone=phone))

    def login_with_wechat(self, js_code: str) -> Session:
        wechat = self._wechat.code2session(js_code)
        return self._session(user_for_wechat(wechat.openid, wechat.unionid))

    def bind_phone(self, user_id: str, phone: str, code: str) -> Session:
        """Give the caller this phone, merging with the phone's account if it has one (``accounts.merging``).

        A phone the caller already has, including through a merge this call
        finishes, answers at once: the code was consumed when it was proven.
        """
        caller = merging.settled(get_user(user_id))
        if caller.phone == phone:
            return self._session(caller)
        if caller.phone:
            raise Conflict(
                "This account already has another phone.", code="PHONE_ALREADY_BOUND", details={"phone": caller.phone}
            )
        self._consume_code(phone, code)
        if link_phone(caller, phone):
            return self._session(get_user(caller.id))
        owner = find_user(phone_key(phone))
        return self._session(merging.merge(caller, merging.settled(owner)))

    def refresh(self, refresh_token: str) -> Session:
        settings, now = self._settings, self._now()
        issued = sessions.rotate(refresh_token, now=now, ttl_seconds=settings.refresh_ttl_seconds)
        return self._tokens(get_user(issued.user_id), issued)

    def logout(self, session_id: str | None) -> None:
        """End the caller's session; a token from before sessions existed has none to end."""
        if session_id:
            sessions.revoke(session_id, reason="logout")

    def _consume_code(self, phone: str, code: str) -> None:
        """Check a code against the phone's live one, counting the guess first; a right code is used up."""
        settings, now = self._settings, self._now()
        current = _live_code(phone)
        if current is None:
            raise otp.invalid_code()
        if refusal := self._guess_refusal(current, now):
            raise refusal
        same_code = OtpRecord.code_hash == current.code_hash
        if not update_if(
            current,
            actions=[OtpRecord.attempts.add(1)],
            condition=same_code & (OtpRecord.attempts < settings.otp_max_attempts),
        ):
            raise self._refusal_after_race(phone, now)
        if not otp.code_matches(self._secret(), phone, code, current.code_hash):
            raise otp.invalid_code(settings.otp_max_attempts - int(current.attempts))
        try:
            current.delete(condition=same_code)
        except DeleteError as error:
            if not condition_failed(error):
                raise
            raise otp.invalid_code() from None  # a concurrent login used it first

    def _session(self, user: UserRecord) -> Session:
        """A new session for ``user``, or for the account it was merged into (finishing that merge)."""
        user = merging.settled(user)
        issued = sessions.start(user.id, now=self._now(), ttl_seconds=self._settings.refresh_ttl_seconds)
        logger.info("signed in", extra={"user_id": user.id, "session_id": issued.session_id})
        return self._tokens(user, issued)

    def _tokens(self, user: UserRecord, issued: sessions.Issued) -> Session:
        settings = self._settings
        token = tokens.issue(
            user.id,
            list(user.roles),
            secret=self._secret(),
            ttl_seconds=settings.jwt_ttl_seconds,
            session_id=issued.session_id,
            now=self._now(),
        )
        return Session(
            token=token,
            expires_in=settings.jwt_ttl_seconds,
            refresh_token=issued.refresh_token,
            refresh_expires_in=settings.refresh_ttl_seconds,
            user=user,
        )

    def _refusal_after_race(self, phone: str, now: int) -> DomainError:
        """Why a guess lost its race: the code was locked, consumed or replaced meanwhile."""
        current = _live_code(phone)
        return (current and self._guess_refusal(current, now)) or otp.invalid_code()

    def _guess_refusal(self, current: OtpRecord, now: int) -> DomainError | None:
        return otp.guess_refusal(
            now=now,
            expires_at=int(current.expires_at),
            attempts=int(current.attempts),
            max_attempts=self._settings.otp_max_attempts,
        )

    def _resend_refusal(self, current: OtpRecord, now: int) -> DomainError | None:
        return otp.resend_refusal(
            now=now,
            sent_at=int(current.sent_at),
            expires_at=int(current.expires_at),
            attempts=int(current.attempts),
            max_attempts=self._settings.otp_max_attempts,
            resend_seconds=self._settings.otp_resend_seconds,
        )


def _withdraw_code(sent: OtpRecord, replaced: OtpRecord | None) -> None:
    """Put back the code a failed text replaced (its wrong guesses with it), or none, so that the customer may ask
    again at once; unless a newer request replaced ``sent`` meanwhile."""
    still_ours = (OtpRecord.sent_at == sent.sent_at) & (OtpRecord.code_hash == sent.code_hash)
    try:
        if replaced:
            replaced.save(condition=still_ours)
        else:
            sent.delete(condition=still_ours)
    except (PutError, DeleteError) as error:
        if not condition_failed(error):
            raise


def _live_code(phone: str) -> OtpRecord | None:
    try:
        return OtpRecord.get(phone, consistent_read=True)
    except DoesNotExist:
        return None


def ensure_user(phone: str, roles: Iterable[str], name: str | None = None) -> UserRecord:
    """The user with this phone, created if new, holding at least ``roles`` (idempotent; used by seeding)."""
    roles = list(dict.fromkeys(roles))
    user = grant_roles(user_for_identity(phone_key(phone), phone=phone, roles=roles, name=name), roles)
    if name and user.name != name:
        user.update(actions=[UserRecord.name.set(name)])
    return user
