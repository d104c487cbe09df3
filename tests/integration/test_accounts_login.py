"""Signing in against moto: SMS codes, lockout, throttling, races, and WeChat via a fake code2session server."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.builders import Dropped, LocalRoute, ManualClock, RecordedSms, answer, api_event

PHONE = "+8613800000301"
WX_APPID = "wx-test-app"
WX_SECRET = "wx-test-secret"
WX_OPENIDS = {"code-alice-1": "o-alice", "code-alice-2": "o-alice", "code-bob": "o-bob"}
WX_ERRORS = {"code-used": 40163, "code-busy": 45011, "code-risky": 40226, "code-broken": -1}


class FakeWeChat(BaseHTTPRequestHandler):
    """``GET /sns/jscode2session`` as WeChat answers it: always 200, success or ``errcode``."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if url.path != "/sns/jscode2session":
            answer: dict[str, Any] = {"errcode": 404, "errmsg": "no such api"}
        elif query.get("appid") != WX_APPID or query.get("grant_type") != "authorization_code":
            answer = {"errcode": 40013, "errmsg": "invalid appid"}
        elif query.get("secret") != WX_SECRET:
            answer = {"errcode": 40125, "errmsg": "invalid appsecret"}
        elif query.get("js_code") in WX_OPENIDS:
            answer = {"openid": WX_OPENIDS[query["js_code"]], "session_key": "c2Vzc2lvbg=="}
        else:
            code = WX_ERRORS.get(query.get("js_code", ""), 40029)
            answer = {"errcode": code, "errmsg": f"error {code}, rid: test"}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")  # WeChat does not say JSON
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def wechat_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Api:
    """The AuthApi router in a resolver of its own, with the service swapped through Depends."""

    def __init__(self, service: Any) -> None:
        from paotui.accounts.api import get_auth_service, router
        from paotui.platform.http import create_app

        self.service = service
        self.app = create_app(router)
        self.app.dependency_overrides[get_auth_service] = lambda: service

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return answer(self.app.resolve(api_event("POST", path, body=body), None))


@pytest.fixture
def sms():
    return RecordedSms()


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def api(aws, sms, clock, wechat_url):
    from paotui.accounts import tokens
    from paotui.accounts.service import AuthService
    from paotui.accounts.wechat import WeChatClient
    from paotui.platform.settings import get_settings

    wechat = WeChatClient(wechat_url, WX_APPID, lambda: WX_SECRET, timeout=2)
    service = AuthService(get_settings(), sms=sms, secret=tokens.signing_secret, wechat=wechat, now=clock)
    return Api(service)


def _login(api: Api, sms: RecordedSms, phone: str = PHONE) -> dict[str, Any]:
    assert api.post("/auth/otp", {"phone": phone})[0] == 202
    status, body = api.post("/auth/login", {"phone": phone, "code": sms.last_code()})
    assert status == 200, body
    return body


def test_a_new_phone_logs_in_as_a_customer(api, sms):
    from paotui.accounts import tokens

    status, body = api.post("/auth/otp", {"phone": PHONE})
    assert (status, body) == (202, {"status": "sent", "expires_in": 300})
    assert sms.sent[-1]["phone"] == PHONE and sms.last_code() in sms.sent[-1]["message"]

    status, body = api.post("/auth/login", {"phone": PHONE, "code": sms.last_code()})
    assert status == 200
    assert body["user"]["roles"] == ["customer"]
    claims = tokens.verify(body["token"], secret=tokens.signing_secret())
    assert claims.user_id == body["user"]["id"] and claims.roles == ("customer",)


def test_a_code_works_once(api, sms):
    _login(api, sms)
    status, body = api.post("/auth/login", {"phone": PHONE, "code": sms.last_code()})
    assert (status, body["error"]["code"]) == (401, "OTP_INVALID")


def test_the_same_phone_is_the_same_user(api, sms, clock):
    first = _login(api, sms)
    clock.now += 60
    assert _login(api, sms)["user"]["id"] == first["user"]["id"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_wrong_guesses_lock_the_code_until_it_expires(api, sms, clock):
    api.post("/auth/otp", {"phone": PHONE})
    right = sms.last_code()
    wrong = _wrong(right)
    for left in (4, 3, 2, 1, 0):
        status, body = api.post("/auth/login", {"phone": PHONE, "code": wrong})
        assert (status, body["error"]["code"], body["error"]["details"]["attempts_left"]) == (401, "OTP_INVALID", left)
    status, body = api.post("/auth/login", {"phone": PHONE, "code": right})
    assert (status, body["error"]["code"]) == (429, "OTP_LOCKED")
    clock.now += 60
    status, body = api.post("/auth/otp", {"phone": PHONE})
    assert (status, body["error"]["code"]) == (429, "OTP_LOCKED")
    assert body["error"]["details"]["retry_after"] == 240

    clock.now += 240
    _login(api, sms)


def test_resending_is_throttled_and_replaces_the_code(api, sms, clock):
    api.post("/auth/otp", {"phone": PHONE})
    old = sms.last_code()
    clock.now += 10
    status, body = api.post("/auth/otp", {"phone": PHONE})
    assert (status, body["error"]["code"], body["error"]["details"]) == (429, "OTP_TOO_SOON", {"retry_after": 20})
    assert len(sms.sent) == 1

    clock.now += 20
    assert api.post("/auth/otp", {"phone": PHONE})[0] == 202
    new = sms.last_code()
    if new != old:  # one in a million they coincide
        assert api.post("/auth/login", {"phone": PHONE, "code": old})[0] == 401
    assert api.post("/auth/login", {"phone": PHONE, "code": new})[0] == 200


def test_a_resend_keeps_the_wrong_guesses_of_the_code_it_replaces(api, sms, clock):
    """Else a guesser stops one short of the lock, asks for a new code, and guesses on without end."""
    api.post("/auth/otp", {"phone": PHONE})
    for _ in range(4):
        assert api.post("/auth/login", {"phone": PHONE, "code": _wrong(sms.last_code())})[0] == 401
    clock.now += 30
    assert api.post("/auth/otp", {"phone": PHONE})[0] == 202

    status, body = api.post("/auth/login", {"phone": PHONE, "code": _wrong(sms.last_code())})
    assert (status, body["error"]["code"], body["error"]["details"]["attempts_left"]) == (401, "OTP_INVALID", 0)
    status, body = api.post("/auth/login", {"phone": PHONE, "code": sms.last_code()})
    assert (status, body["error"]["code"]) == (429, "OTP_LOCKED")
    status, body = api.post("/auth/otp", {"phone": PHONE})
    assert (status, body["error"]["code"]) == (429, "OTP_LOCKED")

    clock.now += 300
    _login(api, sms)


def test_a_code_the_sms_provider_fails_to_send_can_be_asked_for_again_at_once(api, sms, clock, monkeypatch):
    """Else the customer, told nothing was sent, is refused a resend for half a minute with no code to type."""
    from botocore.exceptions import ClientError

    api.post("/auth/otp", {"phone": PHONE})
    for _ in range(2):
        assert api.post("/auth/login", {"phone": PHONE, "code": _wrong(sms.last_code())})[0] == 401
    clock.now += 30
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
    with monkeypatch.context() as failing:
        failing.setattr(sms, "send", lambda *args, **kwargs: (_ for _ in ()).throw(throttled))
        status, body = api.post("/auth/otp", {"phone": PHONE})
    assert (status, body["error"]["code"]) == (502, "SMS_UNAVAILABLE")

    assert api.post("/auth/otp", {"phone": PHONE})[0] == 202, "asked again at once"
    status, body = api.post("/auth/login", {"phone": PHONE, "code": _wrong(sms.last_code())})
    assert body["error"]["details"]["attempts_left"] == 2, "the wrong guesses before the failed send still count"
    assert api.post("/auth/login", {"phone": PHONE, "code": sms.last_code()})[0] == 200


def test_an_expired_code_is_refused(api, sms, clock):
    api.post("/auth/otp", {"phone": PHONE})
    clock.now += 300
    status, body = api.post("/auth/login", {"phone": PHONE, "code": sms.last_code()})
    assert (status, body["error"]["code"]) == (401, "OTP_EXPIRED")


def test_a_login_without_a_code_sent_is_refused(api):
    status, body = api.post("/auth/login", {"phone": PHONE, "code": "123456"})
    assert (status, body["error"]["code"]) == (401, "OTP_INVALID")


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "13800000301"},  # not E.164
        {"phone": PHONE, "extra": 1},  # unknown field
        {},
    ],
)
def test_malformed_requests_are_422(api, body):
    status, answer = api.post("/auth/otp", body)
    assert (status, answer["error"]["code"]) == (422, "VALIDATION_ERROR")


def test_one_code_used_concurrently_signs_in_once(api, sms, serialized_moto, fine_thread_switching):
    api.post("/auth/otp", {"phone": PHONE})
    code = sms.last_code()
    containers = [Api(api.service) for _ in range(8)]  # a resolver serves one request at a time, as in Lambda
    start = threading.Barrier(8)

    def login(n: int) -> int:
        start.wait()
        return containers[n].post("/auth/login", {"phone": PHONE, "code": code})[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(login, range(8)))
    assert statuses.count(200) == 1 and set(statuses) <= {200, 401, 429}


def test_concurrent_first_logins_of_one_phone_create_one_user(aws, serialized_moto, fine_thread_switching):
    from paotui.accounts.records import IdentityRecord, UserRecord, phone_key
    from paotui.accounts.users import user_for_identity

    start = threading.Barrier(12)

    def first_login(_: int):
        start.wait()
        return user_for_identity(phone_key(PHONE), phone=PHONE)

    with ThreadPoolExecutor(12) as pool:
        users = list(pool.map(first_login, range(12)))
    assert len({user.id for user in users}) == 1
    assert UserRecord.count() == 1 and IdentityRecord.count() == 1


def test_the_loser_of_a_first_login_race_gets_the_winners_user(aws):
    from pynamodb.signals import pre_dynamodb_send

    from paotui.accounts.records import UserRecord, phone_key
    from paotui.accounts.users import user_for_identity

    winner: dict[str, Any] = {}

    def another_login_commits_first(_sender: Any, operation_name: str, **_: Any) -> None:
        if operation_name == "TransactWriteItems" and not winner:
            winner["user"] = None
            winner["user"] = user_for_identity(phone_key(PHONE), phone=PHONE)

    with pre_dynamodb_send.connected_to(another_login_commits_first):
        loser = user_for_identity(phone_key(PHONE), phone=PHONE)
    assert loser.id == winner["user"].id
    assert UserRecord.count() == 1


def test_seeded_roles_come_from_the_user_record(api, sms):
    from paotui.accounts.service import ensure_user

    merchant = ensure_user("+8613800000101", ["merchant"], name="老王")
    again = ensure_user("+8613800000101", ["merchant", "rider"])
    assert again.id == merchant.id and again.roles == ["merchant", "rider"] and again.name == "老王"
    body = _login(api, sms, "+8613800000101")
    assert body["user"] == {"id": merchant.id, "roles": ["merchant", "rider"], "name": "老王"}


def test_roles_given_to_one_user_at_once_are_all_kept(aws, monkeypatch):
    """A merchant's owner approved as a rider while a shop enters a phone order for the same phone: each adds its
    role to what the user holds when it writes, so neither role is lost."""
    from paotui.accounts import service
    from paotui.accounts.records import UserRecord

    owner = service.ensure_user(PHONE, ["merchant"])
    user_for_identity = service.user_for_identity

    def read_then_a_phone_order_lands(*args: Any, **kwargs: Any) -> UserRecord:
        user = user_for_identity(*args, **kwargs)
        monkeypatch.setattr(service, "user_for_identity", user_for_identity)
        service.ensure_user(PHONE, ["customer"])
        return user

    monkeypatch.setattr(service, "user_for_identity", read_then_a_phone_order_lands)
    service.ensure_user(PHONE, ["rider"])
    assert UserRecord.get(owner.id, consistent_read=True).roles == ["merchant", "customer", "rider"]


def test_wechat_login_links_the_openid_to_one_customer(api):
    status, first = api.post("/auth/wechat", {"code": "code-alice-1"})
    assert status == 200 and first["user"]["roles"] == ["customer"]
    status, again = api.post("/auth/wechat", {"code": "code-alice-2"})
    assert again["user"]["id"] == first["user"]["id"]
    status, other = api.post("/auth/wechat", {"code": "code-bob"})
    assert other["user"]["id"] != first["user"]["id"]


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("code-nonsense", 401, "WECHAT_CODE_INVALID"),  # 40029
        ("code-used", 401, "WECHAT_CODE_INVALID"),  # 40163
        ("code-busy", 429, "WECHAT_RATE_LIMITED"),  # 45011
        ("code-risky", 403, "WECHAT_USER_BLOCKED"),  # 40226
        ("code-broken", 502, "WECHAT_UNAVAILABLE"),  # -1, system busy
    ],
)
def test_wechat_errors_map_to_api_errors(api, code, status, error):
    answer = api.post("/auth/wechat", {"code": code})
    assert (answer[0], answer[1]["error"]["code"]) == (status, error)


def test_a_wrong_app_secret_is_a_bad_gateway_not_the_users_fault(aws, wechat_url):
    from paotui.accounts.wechat import WeChatClient
    from paotui.platform.errors import BadGateway

    with pytest.raises(BadGateway):
        WeChatClient(wechat_url, WX_APPID, lambda: "stale-secret").code2session("code-alice-1")
    with pytest.raises(BadGateway):
        WeChatClient("http://127.0.0.1:9", WX_APPID, lambda: WX_SECRET, timeout=1).code2session("code-alice-1")


@pytest.mark.parametrize("js_code", ["no-answer", "cut-short"])
def test_a_connection_wechat_drops_is_a_bad_gateway(js_code):
    from paotui.accounts.wechat import WeChatClient
    from paotui.platform.errors import BadGateway

    route = LocalRoute(
        lambda path, _headers, _body: Dropped.midway(b'{"openid": "o-al') if "cut-short" in path else Dropped()
    )
    try:
        with pytest.raises(BadGateway):
            WeChatClient(route.base_url, WX_APPID, lambda: WX_SECRET, timeout=2).code2session(js_code)
    finally:
        route.close()
