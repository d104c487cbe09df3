"""Identity against moto, through AuthApi's handler and the Authorizer function as API Gateway runs them.

WeChat logins that link a unionid, binding a phone (and the account merge it
may cause, also cut short by a crash and resumed, with the coupons it moves), refresh token rotation
with reuse detection, logout, and the address book.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.builders import (
    Gateway,
    ManualClock,
    RecordedSms,
    SignedInApi,
    in_process_sandbox,
    make_order,
    merchant_with_products,
    order_event,
    order_request,
)

PHONE = "+8613800000401"
OTHER_PHONE = "+8613800000402"
HOME = {
    "label": "家",
    "contact_name": "陈女士",
    "contact_phone": "+8613800000301",
    "detail": "人民广场 1 号楼",
    "location": {"lat": 31.2304, "lng": 121.4737},
}


class StubWeChat:
    """code2session for a few known codes (the HTTP client itself is tested in test_accounts_login)."""

    def code2session(self, js_code: str) -> Any:
        from paotui.accounts.wechat import WeChatSession

        sessions = {
            "code-app1": WeChatSession("o-app1", "u-person"),
            "code-app2": WeChatSession("o-app2", "u-person"),  # another app of the same open platform account
            "code-plain": WeChatSession("o-plain"),  # an app not bound to an open platform account
            "code-early": WeChatSession("o-early"),  # signed in before the app was bound
            "code-early-bound": WeChatSession("o-early", "u-early"),
        }
        return sessions[js_code]


@pytest.fixture
def sms():
    return RecordedSms()


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def api(aws, sms, clock) -> Gateway:
    from paotui.accounts import tokens
    from paotui.accounts.api import get_auth_service
    from paotui.accounts.service import AuthService
    from paotui.platform.settings import get_settings

    service = AuthService(get_settings(), sms=sms, secret=tokens.signing_secret, wechat=StubWeChat(), now=clock)
    gateway = Gateway("AuthApi")
    gateway.app.dependency_overrides[get_auth_service] = lambda: service
    return gateway


def _ok(answer: tuple[int, Any], status: int = 200) -> Any:
    assert answer[0] == status, answer
    return answer[1]


def _refused(answer: tuple[int, Any], status: int, code: str) -> None:
    assert (answer[0], answer[1]["error"]["code"]) == (status, code), answer


def _code(api: Gateway, sms: RecordedSms, phone: str = PHONE) -> str:
    _ok(api.call("POST", "/auth/otp", {"phone": phone}), 202)
    return sms.last_code()


def _sms_login(api: Gateway, sms: RecordedSms, phone: str = PHONE) -> dict[str, Any]:
    return _ok(api.call("POST", "/auth/login", {"phone": phone, "code": _code(api, sms, phone)}))


def _wechat_login(api: Gateway, code: str) -> dict[str, Any]:
    return _ok(api.call("POST", "/auth/wechat", {"code": code}))


def _passes_authorizer(api: Gateway, token: str) -> bool:
    return api.authorize(token) is not None


def _identities_of(user_id: str) -> set[str]:
    from paotui.accounts.records import IdentityRecord

    return {identity.key for identity in IdentityRecord.scan() if identity.user_id == user_id}


def _orders_of(customer_id: str) -> set[str]:
    from paotui.orders.records import OrderRecord

    return {order.id for order in OrderRecord.by_customer.query(customer_id)}


def _addresses(api: Gateway, session: dict[str, Any]) -> list[dict[str, Any]]:
    return _ok(api.call("GET", "/me/addresses", token=session["token"]))


def _give_coupon(customer_id: str, coupon_id: str, amount: int = 300) -> None:
    from paotui.coupons.service import issue

    issue(customer_id, coupon_id, amount=amount, min_spend=0, valid_days=30, source="late_delivery")


def _coupons(customer_id: str) -> dict[str, tuple[int, str, str | None]]:
    """What ``GET /me/coupons`` shows the customer: id → (amount, status, order using it)."""
    listed = _ok(SignedInApi("OrdersApi").call("GET", "/me/coupons", user=customer_id, roles="customer"))
    return {coupon["id"]: (coupon["amount"], coupon["status"], coupon["order_id"]) for coupon in listed}


def _bind_phone(api: Gateway, sms: RecordedSms, session: dict[str, Any]) -> dict[str, Any]:
    return _ok(api.call("POST", "/auth/phone", {"phone": PHONE, "code": _code(api, sms)}, token=session["token"]))


# --- WeChat and unionid ---------------------------------------------------------------------------


def test_a_wechat_login_links_the_unionid_so_another_app_is_the_same_user(api):
    first = _wechat_login(api, "code-app1")
    assert first["user"]["roles"] == ["customer"]
    assert first["expires_in"] == 900 and first["refresh_expires_in"] == 30 * 24 * 3600 and first["refresh_token"]
    user_id = first["user"]["id"]
    assert _identities_of(user_id) == {"wechat#o-app1", "unionid#u-person"}

    assert _wechat_login(api, "code-app2")["user"]["id"] == user_id
    assert _identities_of(user_id) == {"wechat#o-app1", "wechat#o-app2", "unionid#u-person"}

    plain = _wechat_login(api, "code-plain")
    assert plain["user"]["id"] != user_id and _identities_of(plain["user"]["id"]) == {"wechat#o-plain"}


def test_a_wechat_user_from_before_the_unionid_gets_it_linked_on_the_next_login(api):
    early = _wechat_login(api, "code-early")["user"]["id"]
    assert _wechat_login(api, "code-early-bound")["user"]["id"] == early
    assert _identities_of(early) == {"wechat#o-early", "unionid#u-early"}


# --- binding a phone ------------------------------------------------------------------------------


def test_binding_a_phone_nobody_has_links_it_to_the_caller(api, sms):
    wechat = _wechat_login(api, "code-app1")
    bound = _bind_phone(api, sms, wechat)
    assert bound["user"]["id"] == wechat["user"]["id"] and bound["token"] != wechat["token"]
    assert _identities_of(wechat["user"]["id"]) == {"wechat#o-app1", "unionid#u-person", f"phone#{PHONE}"}
    assert _sms_login(api, sms)["user"]["id"] == wechat["user"]["id"]

    again = api.call("POST", "/auth/phone", {"phone": PHONE, "code": "000000"}, token=bound["token"])
    assert _ok(again)["user"]["id"] == wechat["user"]["id"]  # already this caller's: nothing to prove again


def test_an_account_with_a_phone_cant_bind_another_and_the_code_is_not_spent(api, sms):
    session = _sms_login(api, sms)
    code = _code(api, sms, OTHER_PHONE)
    refused = api.call("POST", "/auth/phone", {"phone": OTHER_PHONE, "code": code}, token=session["token"])
    _refused(refused, 409, "PHONE_ALREADY_BOUND")
    assert (
        _ok(api.call("POST", "/auth/login", {"phone": OTHER_PHONE, "code": code}))["user"]["id"]
        != session["user"]["id"]
    )


def test_binding_checks_the_code_by_the_login_rules(api, sms):
    wechat = _wechat_login(api, "code-app1")
    right = _code(api, sms)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answer = api.call("POST", "/auth/phone", {"phone": PHONE, "code": wrong}, token=wechat["token"])
    _refused(answer, 401, "OTP_INVALID")
    assert answer[1]["error"]["details"] == {"attempts_left": 4}  # the same counter as login's
    _refused(api.call("POST", "/auth/phone", {"phone": PHONE, "code": right}), 401, "UNAUTHENTICATED")
    assert _identities_of(wechat["user"]["id"]) == {"wechat#o-app1", "unionid#u-person"}


def _two_accounts_of_one_person(api: Gateway, sms: RecordedSms) -> tuple[dict[str, Any], dict[str, Any]]:
    """(phone session, WeChat session): the phone account has an order and an address, the WeChat one more, and a
    coupon."""
    phone = _sms_login(api, sms)
    wechat = _wechat_login(api, "code-app1")
    _give_coupon(wechat["user"]["id"], "cpn_late_wechat")
    make_order("ord_by_sms", customer_id=phone["user"]["id"])
    for n in range(3):
        make_order(f"ord_by_wechat_{n}", customer_id=wechat["user"]["id"])
    _ok(api.call("POST", "/me/addresses", {**HOME, "label": "公司"}, token=phone["token"]), 201)
    _ok(api.call("POST", "/me/addresses", HOME, token=wechat["token"]), 201)
    _ok(api.call("POST", "/me/addresses", {**HOME, "label": "父母家", "is_default": True}, token=wechat["token"]), 201)
    return phone, wechat


def _assert_merged(api: Gateway, phone: dict[str, Any], wechat: dict[str, Any], merged: dict[str, Any]) -> None:
    from paotui.accounts.records import AddressRecord, UserRecord

    survivor, absorbed = phone["user"]["id"], wechat["user"]["id"]
    assert merged["user"]["id"] == survivor
    assert _orders_of(survivor) == {"ord_by_sms", "ord_by_wechat_0", "ord_by_wechat_1", "ord_by_wechat_2"}
    assert _orders_of(absorbed) == set()
    assert _identities_of(survivor) == {f"phone#{PHONE}", "wechat#o-app1", "unionid#u-person"}
    assert _identities_of(absorbed) == set()
    book = _addresses(api, merged)
    assert sorted(a["label"] for a in book) == ["公司", "家", "父母家"] and AddressRecord.count(absorbed) == 0
    assert [a["label"] for a in book if a["is_default"]] == ["公司"]  # the survivor's default stays
    assert _coupons(survivor) == {"cpn_late_wechat": (300, "AVAILABLE", None)} and _coupons(absorbed) == {}
    user = UserRecord.get(survivor, consistent_read=True)
    assert user.roles == ["customer"] and not user.merging_from
    assert UserRecord.get(absorbed, consistent_read=True).merged_into == survivor
    assert not _passes_authorizer(api, wechat["token"])
    _refused(api.call("POST", "/auth/refresh", {"refresh_token": wechat["refresh_token"]}), 401, "SESSION_REVOKED")
    assert _wechat_login(api, "code-app1")["user"]["id"] == survivor


def test_binding_the_phone_of_another_account_merges_into_it(api, sms):
    phone, wechat = _two_accounts_of_one_person(api, sms)
    merged = _bind_phone(api, sms, wechat)
    _assert_merged(api, phone, wechat, merged)
    assert _passes_authorizer(api, phone["token"])  # the survivor's own sessions go on

    again = _ok(api.call("POST", "/auth/phone", {"phone": PHONE, "code": "000000"}, token=merged["token"]))
    _assert_merged(api, phone, wechat, again)


def test_a_merge_into_a_merchant_keeps_the_merchant_id_and_unites_the_roles(api, sms):
    from paotui.accounts.service import ensure_user

    merchant = ensure_user(PHONE, ["merchant"], name="老王")
    wechat = _wechat_login(api, "code-app1")
    make_order("ord_by_wechat", customer_id=wechat["user"]["id"])
    merged = _bind_phone(api, sms, wechat)
    assert merged["user"] == {"id": merchant.id, "roles": ["merchant", "customer"], "name": "老王"}
    assert _orders_of(merchant.id) == {"ord_by_wechat"}


def test_a_role_the_survivor_is_given_while_the_merge_runs_is_kept(api, sms, monkeypatch):
    """An admin approving the phone's rider application mid-merge: the merge adds the absorbed roles to the
    survivor's as they are now, not to those it read when it began."""
    from paotui.accounts import sessions
    from paotui.accounts.records import UserRecord
    from paotui.accounts.service import ensure_user

    survivor = _sms_login(api, sms)["user"]["id"]
    wechat = _wechat_login(api, "code-app1")
    revoke_all = sessions.revoke_all

    def approved_as_a_rider_meanwhile(user_id: str, **kwargs: Any) -> None:
        ensure_user(PHONE, ["rider"])
        revoke_all(user_id, **kwargs)

    monkeypatch.setattr(sessions, "revoke_all", approved_as_a_rider_meanwhile)
    merged = _bind_phone(api, sms, wechat)
    assert merged["user"]["id"] == survivor
    assert UserRecord.get(survivor, consistent_read=True).roles == ["customer", "rider"]
    assert merged["user"]["roles"] == ["customer", "rider"]


def test_a_coupon_the_absorbed_account_used_moves_with_its_order_and_comes_back_if_it_is_cancelled(api, sms):
    from paotui.orders import service
    from paotui.orders.transitions import Status
    from paotui.payments import refund_events
    from paotui.platform.events import DomainEvent

    merchant, (product,) = merchant_with_products(10)
    _sms_login(api, sms)
    wechat = _wechat_login(api, "code-app1")
    _give_coupon(wechat["user"]["id"], "cpn_gift")
    request = order_request(merchant, (product, 1)).model_copy(update={"coupon_id": "cpn_gift"})
    order, _ = service.place_order(wechat["user"]["id"], "merge-coupon-order-0001", request)

    survivor = _bind_phone(api, sms, wechat)["user"]["id"]
    assert _coupons(survivor) == {"cpn_gift": (300, "USED", order.id)}
    cancelled = service.system_transition(
        order.id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="payment_timeout"
    )
    event = DomainEvent.model_validate_json(order_event(cancelled, "CANCELLED", "PENDING_PAYMENT"))
    refund_events.handle(event, in_process_sandbox())
    assert _coupons(survivor) == {"cpn_gift": (300, "AVAILABLE", None)}


def test_a_coupon_the_absorbed_account_uses_while_the_merge_moves_it_reaches_the_survivor_used(api, sms, monkeypatch):
    """The absorbed account's token works until the merge ends, so it can order with a coupon the merge has read but
    not moved yet: the survivor gets the coupon USED by that order, not AVAILABLE for a second use."""
    from paotui.coupons.records import CouponRecord
    from paotui.orders import service

    merchant, (product,) = merchant_with_products(10)
    _sms_login(api, sms)
    absorbed = _wechat_login(api, "code-app1")
    _give_coupon(absorbed["user"]["id"], "cpn_gift")
    query, placed = CouponRecord.query, []

    def read_then_the_absorbed_account_orders_with_it(customer_id, *args, **kwargs):
        coupons = list(query(customer_id, *args, **kwargs))
        if customer_id == absorbed["user"]["id"] and not placed:
            request = order_request(merchant, (product, 1)).model_copy(update={"coupon_id": "cpn_gift"})
            placed.append(service.place_order(customer_id, "merge-race-order-0001", request)[0])
        return iter(coupons)

    monkeypatch.setattr(CouponRecord, "query", read_then_the_absorbed_account_orders_with_it)
    survivor = _bind_phone(api, sms, absorbed)["user"]["id"]
    monkeypatch.undo()
    (order,) = placed
    assert order.coupon_id == "cpn_gift"
    assert _coupons(survivor) == {"cpn_gift": (300, "USED", order.id)}


def test_a_coupon_id_the_survivor_holds_already_stays_theirs_and_the_absorbed_one_is_not_deleted(api, sms):
    """Coupon ids are stable per what they make up for: a survivor holding the id holds that compensation."""
    survivor = _sms_login(api, sms)["user"]["id"]
    wechat = _wechat_login(api, "code-app1")
    _give_coupon(survivor, "cpn_late_same", amount=200)
    _give_coupon(wechat["user"]["id"], "cpn_late_same", amount=300)

    assert _bind_phone(api, sms, wechat)["user"]["id"] == survivor
    assert _coupons(survivor) == {"cpn_late_same": (200, "AVAILABLE", None)}
    assert _coupons(wechat["user"]["id"]) == {"cpn_late_same": (300, "AVAILABLE", None)}


class Crash(Exception):
    """The Lambda container dying mid-merge."""


@pytest.fixture
def crash_mid_merge(monkeypatch):
    """The next merge dies right after moving the first of the absorbed account's orders; then all runs normally."""
    from paotui.orders.records import OrderRecord

    update, moves = OrderRecord.update, []

    def update_or_crash(order, *args, **kwargs):
        moves.append(order.id)
        if len(moves) == 2:
            raise Crash
        return update(order, *args, **kwargs)

    monkeypatch.setattr(OrderRecord, "update", update_or_crash)


def _crash_mid_merge(api: Gateway, sms: RecordedSms) -> tuple[dict[str, Any], dict[str, Any]]:
    from paotui.accounts.records import UserRecord

    phone, wechat = _two_accounts_of_one_person(api, sms)
    with pytest.raises(Crash):
        api.call("POST", "/auth/phone", {"phone": PHONE, "code": _code(api, sms)}, token=wechat["token"])
    assert UserRecord.get(wechat["user"]["id"]).merged_into == phone["user"]["id"]
    assert len(_orders_of(phone["user"]["id"])) == 2 and len(_orders_of(wechat["user"]["id"])) == 2
    return phone, wechat


def test_a_merge_cut_short_is_finished_by_the_callers_retry_exactly_once(api, sms, crash_mid_merge):
    phone, wechat = _crash_mid_merge(api, sms)
    assert _passes_authorizer(api, wechat["token"])  # revoked only at the end, so that the caller can retry

    spent = sms.last_code()  # proven before the merge began; a retry needs no new one
    retried = _ok(api.call("POST", "/auth/phone", {"phone": PHONE, "code": spent}, token=wechat["token"]))
    _assert_merged(api, phone, wechat, retried)
    again = _ok(api.call("POST", "/auth/phone", {"phone": PHONE, "code": spent}, token=retried["token"]))
    _assert_merged(api, phone, wechat, again)


def test_a_merge_cut_short_is_finished_by_the_next_sign_in_as_the_survivor(api, sms, crash_mid_merge):
    phone, wechat = _crash_mid_merge(api, sms)
    _assert_merged(api, phone, wechat, _sms_login(api, sms))


# --- refresh and logout ---------------------------------------------------------------------------


def _refresh(api: Gateway, refresh_token: str) -> tuple[int, Any]:
    return api.call("POST", "/auth/refresh", {"refresh_token": refresh_token})


def test_a_refresh_rotates_the_refresh_token_and_keeps_the_session(api, sms):
    from paotui.accounts import tokens

    first = _sms_login(api, sms)
    second = _ok(_refresh(api, first["refresh_token"]))
    third = _ok(_refresh(api, second["refresh_token"]))
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert third["user"] == first["user"] and third["expires_in"] == 900
    sessions = {tokens.verify(s["token"], secret=tokens.signing_secret()).session_id for s in (first, second, third)}
    assert len(sessions) == 1
    assert all(_passes_authorizer(api, s["token"]) for s in (first, second, third))


def test_a_reused_refresh_token_ends_the_whole_session(api, sms):
    first = _sms_login(api, sms)
    second = _ok(_refresh(api, first["refresh_token"]))
    _refused(_refresh(api, first["refresh_token"]), 401, "REFRESH_TOKEN_REUSED")
    _refused(_refresh(api, second["refresh_token"]), 401, "SESSION_REVOKED")
    assert not _passes_authorizer(api, first["token"]) and not _passes_authorizer(api, second["token"])
    assert _passes_authorizer(api, _sms_login(api, sms)["token"])  # signing in again starts a new session


def test_one_refresh_token_used_twice_at_once_is_reuse(api, sms):
    from pynamodb.signals import pre_dynamodb_send

    session = _sms_login(api, sms)
    racer = Gateway("AuthApi")  # another container
    racer.app.dependency_overrides.update(api.app.dependency_overrides)
    winner: dict[str, Any] = {}

    def the_other_caller_exchanges_it_first(_sender: Any, operation_name: str, **_: Any) -> None:
        if operation_name == "TransactWriteItems" and not winner:
            winner["answer"] = None
            winner["answer"] = _refresh(racer, session["refresh_token"])

    with pre_dynamodb_send.connected_to(the_other_caller_exchanges_it_first):
        loser = _refresh(api, session["refresh_token"])
    _refused(loser, 401, "REFRESH_TOKEN_REUSED")
    _refused(_refresh(api, _ok(winner["answer"])["refresh_token"]), 401, "SESSION_REVOKED")


def test_refresh_tokens_expire_and_forgeries_are_invalid(api, sms, clock):
    session = _sms_login(api, sms)
    session_id, _, secret = session["refresh_token"].partition(".")
    forged = f"{session_id}.{secret[::-1]}"
    _refused(_refresh(api, forged), 401, "REFRESH_TOKEN_INVALID")
    _refused(_refresh(api, "not-a-refresh-token"), 401, "REFRESH_TOKEN_INVALID")
    clock.now += 30 * 24 * 3600
    _refused(_refresh(api, session["refresh_token"]), 401, "REFRESH_TOKEN_EXPIRED")


def test_logout_ends_this_session_only(api, sms):
    phone, other_device = _sms_login(api, sms), _sms_login(api, sms)
    assert _ok(api.call("POST", "/auth/logout", token=phone["token"]), 204) is None
    _refused(_refresh(api, phone["refresh_token"]), 401, "SESSION_REVOKED")
    _refused(api.call("GET", "/me/addresses", token=phone["token"]), 401, "UNAUTHENTICATED")
    assert _passes_authorizer(api, other_device["token"])
    assert _ok(_refresh(api, other_device["refresh_token"]))["user"]["id"] == phone["user"]["id"]


# --- address book ---------------------------------------------------------------------------------


def test_address_book_crud_keeps_exactly_one_default(api, sms):
    session = _sms_login(api, sms)
    token = session["token"]
    home = _ok(api.call("POST", "/me/addresses", HOME, token=token), 201)
    assert home["is_default"] is True  # the first address is the default anyway
    assert home["location"] == HOME["location"] and home["label"] == "家" and home["id"].startswith("adr_")
    work = _ok(api.call("POST", "/me/addresses", {**HOME, "label": "公司", "is_default": True}, token=token), 201)
    shop = _ok(api.call("POST", "/me/addresses", {**HOME, "label": None}, token=token), 201)
    assert not shop["is_default"] and shop["label"] is None
    assert [(a["id"], a["is_default"]) for a in _addresses(api, session)] == [
        (work["id"], True),
        (shop["id"], False),
        (home["id"], False),
    ]

    edited = _ok(
        api.call("PATCH", f"/me/addresses/{home['id']}", {"detail": "2 号楼", "is_default": True}, token=token)
    )
    assert edited["detail"] == "2 号楼" and edited["is_default"] and edited["contact_name"] == HOME["contact_name"]
    assert [a["id"] for a in _addresses(api, session) if a["is_default"]] == [home["id"]]
    refused = api.call("PATCH", f"/me/addresses/{home['id']}", {"is_default": False, "detail": "3 号楼"}, token=token)
    _refused(refused, 422, "DEFAULT_ADDRESS_REQUIRED")
    assert _addresses(api, session)[0]["detail"] == "2 号楼"  # refused whole
    unlabeled = _ok(api.call("PATCH", f"/me/addresses/{work['id']}", {"label": None}, token=token))
    assert unlabeled["label"] is None and not unlabeled["is_default"]

    assert _ok(api.call("DELETE", f"/me/addresses/{home['id']}", token=token), 204) is None
    assert [(a["id"], a["is_default"]) for a in _addresses(api, session)] == [(shop["id"], True), (work["id"], False)]
    _ok(api.call("DELETE", f"/me/addresses/{shop['id']}", token=token), 204)
    _ok(api.call("DELETE", f"/me/addresses/{work['id']}", token=token), 204)
    assert _addresses(api, session) == []
    _refused(api.call("DELETE", f"/me/addresses/{work['id']}", token=token), 404, "ADDRESS_NOT_FOUND")


def test_an_address_book_holds_at_most_twenty(api, sms):
    session = _sms_login(api, sms)
    for n in range(20):
        _ok(api.call("POST", "/me/addresses", {**HOME, "detail": f"{n} 号楼"}, token=session["token"]), 201)
    refused = api.call("POST", "/me/addresses", HOME, token=session["token"])
    _refused(refused, 422, "TOO_MANY_ADDRESSES")
    assert refused[1]["error"]["details"] == {"limit": 20}
    assert len(_addresses(api, session)) == 20


def test_anothers_address_is_not_found_and_non_customers_are_forbidden(api, sms):
    from paotui.accounts.service import ensure_user

    owner, other = _sms_login(api, sms), _sms_login(api, sms, OTHER_PHONE)
    address = _ok(api.call("POST", "/me/addresses", HOME, token=owner["token"]), 201)
    path = f"/me/addresses/{address['id']}"
    _refused(api.call("PATCH", path, {"detail": "我的"}, token=other["token"]), 404, "ADDRESS_NOT_FOUND")
    _refused(api.call("DELETE", path, token=other["token"]), 404, "ADDRESS_NOT_FOUND")
    assert _addresses(api, other) == [] and _addresses(api, owner) == [address]

    ensure_user("+8613900000401", ["rider"])
    rider = _sms_login(api, sms, "+8613900000401")
    _refused(api.call("GET", "/me/addresses", token=rider["token"]), 403, "FORBIDDEN")
    _refused(api.call("GET", "/me/addresses"), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "location",
    [{"lat": 48.85, "lng": 2.35}, {"lat": 121.47, "lng": 31.23}, {"lat": 0, "lng": 0}],
    ids=["Paris", "swapped", "null island"],
)
def test_a_point_outside_china_is_422_and_saves_nothing(api, sms, location):
    session = _sms_login(api, sms)
    _refused(
        api.call("POST", "/me/addresses", {**HOME, "location": location}, token=session["token"]),
        422,
        "VALIDATION_ERROR",
    )
    assert _addresses(api, session) == []


def test_concurrent_additions_keep_the_limit_and_one_default(aws, serialized_moto, fine_thread_switching):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from paotui.accounts import addresses
    from paotui.accounts.models import NewAddress
    from paotui.accounts.records import phone_key
    from paotui.accounts.users import user_for_identity
    from paotui.platform.errors import DomainError

    user = user_for_identity(phone_key(PHONE), phone=PHONE)
    start = threading.Barrier(8)

    def add(n: int) -> str:
        start.wait()
        try:
            addresses.add(user.id, NewAddress.model_validate({**HOME, "is_default": n % 2 == 0}), limit=3)
        except DomainError as refused:
            return refused.code
        return "added"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(add, range(8)))
    assert set(outcomes) <= {"added", "TOO_MANY_ADDRESSES", "CONCURRENT_UPDATE"}
    book = addresses.read(user.id)
    assert len(book.addresses) == outcomes.count("added") <= 3
    assert sum(entry.is_default for entry in book.entries()) == 1
