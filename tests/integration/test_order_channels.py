"""Intake channels against moto (docs/adr/0010, 0015): phone and walk-in orders a merchant enters, Ele.me shops
bound through Ele.me's shop authorization (a local fake that speaks its OAuth and signed API), Ele.me's pushes,
through ChannelsApi's handler; the stock they hold is committed by StockWorker's, as for any paid order."""

from __future__ import annotations

import dataclasses
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest

from paotui.orders.transitions import Status
from paotui_local.fakes import Notify
from paotui_local.fakes.eleme import FakeEleme
from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    answer,
    api_event,
    load_handler,
    merchant_with_products,
    order_event,
    sqs_event,
    stock_of,
)

OWNER = "usr_owner"
SHOP_ID = "968861"


class ChannelsApi:
    """ChannelsApi's handler, called as API Gateway calls it (the authorizer's context on merchant routes)."""

    def __init__(self) -> None:
        self.handler = load_handler("ChannelsApi")

    def call(
        self, method: str, path: str, *, body: Any = None, user: str = OWNER, roles: str = "merchant", key: str = ""
    ) -> tuple[int, Any, dict]:
        headers = {"Idempotency-Key": key} if key else None
        event = api_event(method, path, body=body, authorizer={"user_id": user, "roles": roles}, headers=headers)
        response = self.handler(event, LAMBDA_CONTEXT)
        return (*answer(response), response.get("multiValueHeaders") or {})

    def phone_order(self, merchant_id: str, body: dict, key: str, **caller) -> tuple[int, Any, dict]:
        return self.call("POST", f"/merchants/{merchant_id}/orders", body=body, key=key, **caller)

    def bind(self, merchant_id: str, shop_id: str = SHOP_ID, **caller) -> tuple[int, Any]:
        """An admin's binding by hand (``caller`` may be someone else)."""
        caller = {"user": "usr_support", "roles": "admin", **caller}
        return self.call("PUT", f"/merchants/{merchant_id}/channels/eleme", body={"shop_id": shop_id}, **caller)[:2]

    def authorize(self, merchant_id: str, **caller) -> tuple[int, Any, str]:
        """Start a shop authorization; its answer, and the cookie the browser keeps for the callback."""
        status, body, headers = self.call("POST", f"/merchants/{merchant_id}/channels/eleme/authorizations", **caller)
        cookies = [value.split(";")[0] for value in headers.get("Set-Cookie", [])]
        return status, body, "; ".join(cookies)

    def back_from_eleme(self, redirect_url: str, cookie: str = "") -> tuple[int, Any]:
        """Ele.me's redirect, as the merchant's browser follows it to our callback (no authorizer; its cookies)."""
        parts = urlsplit(redirect_url)
        query = dict(parse_qsl(parts.query))
        event = api_event("GET", parts.path, query=query, headers={"Cookie": cookie} if cookie else None)
        return answer(self.handler(event, LAMBDA_CONTEXT))

    def grant(
        self, eleme: FakeEleme, merchant_id: str, shops: dict[str, str] | None = None, **caller
    ) -> tuple[int, Any]:
        """The merchant's owner binds their Ele.me shops: starts here, grants at Ele.me, comes back."""
        status, started, cookie = self.authorize(merchant_id, **caller)
        assert status == 201, started
        return self.back_from_eleme(eleme.grant(started["authorize_url"], shops or {SHOP_ID: "老王饺子"}), cookie)

    def push(self, notify: Notify) -> tuple[int, Any]:
        """What Ele.me's POST reaches the handler as: no authorizer, the body as sent."""
        event = api_event("POST", "/channels/eleme/push", headers={"Content-Type": "application/json;charset=utf-8"})
        event["body"] = notify.body.decode()
        return answer(self.handler(event, LAMBDA_CONTEXT))


def eleme_secret(value: str, monkeypatch) -> None:
    """``ElemeSecret`` as the operator (or the local cloud) sets it."""
    from paotui.platform.settings import get_settings

    arn = boto3.client("secretsmanager").create_secret(Name="eleme", SecretString=value)["ARN"]
    monkeypatch.setenv("ELEME_SECRET_ARN", arn)
    get_settings.cache_clear()


@pytest.fixture
def eleme_app(aws, monkeypatch) -> FakeEleme:
    with FakeEleme() as fake:
        eleme_secret(fake.secret_json(), monkeypatch)
        yield fake


@pytest.fixture
def api(eleme_app) -> ChannelsApi:
    return ChannelsApi()


@pytest.fixture
def shop(api, eleme_app):
    """A merchant with products (stock 10 and 3) that granted Ele.me shop SHOP_ID."""
    merchant, products = merchant_with_products(10, 3, owner_id=OWNER)
    assert api.grant(eleme_app, merchant.id)[0] == 200
    return merchant, products


def phone_body(product, quantity: int = 2, **changes) -> dict:
    body = {"items": [{"product_id": product.id, "quantity": quantity}], "address": HOME, "channel": "phone"}
    return {**body, "payment": "cash_on_delivery", **changes}


def eleme_items(*lines) -> list[dict]:
    return [{"extend_code": product.id, "quantity": quantity, "price": 1890} for product, quantity in lines]


def commit_paid_stock(order: dict) -> None:
    """StockWorker's handler on the order's PAID event, as SNS → StockQueue deliver it."""
    from paotui.orders.service import get_order

    event = order_event(get_order(order["id"]), "PAID", "PENDING_PAYMENT")
    assert load_handler("StockWorker")(sqs_event(event), LAMBDA_CONTEXT) == {"batchItemFailures": []}


def orders_stored() -> int:
    from paotui.orders.records import OrderRecord

    return OrderRecord.count()


# --- phone and walk-in orders -------------------------------------------------------------------------------


def test_a_phone_order_is_priced_paid_on_delivery_and_its_customer_created(api):
    from paotui.accounts.records import phone_key
    from paotui.accounts.users import find_user

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    status, order, headers = api.phone_order(merchant.id, phone_body(dumplings), "phone-order-0001")
    assert status == 201, order
    assert headers["Idempotent-Replayed"] == ["false"]
    customer = find_user(phone_key(HOME["contact_phone"]))
    assert customer is not None and "customer" in customer.roles, "the contact's phone became a customer"
    assert (order["customer_id"], order["merchant_id"], order["channel"]) == (customer.id, merchant.id, "phone")
    assert order["status"] == "PAID"
    assert order["amounts"]["items_total"] == 2 * int(dumplings.price), "priced from the menu, as a quote is"
    assert order["amounts"]["collect_on_delivery"] == order["amounts"]["total"]
    assert [(e["status"], e["by"], e["reason"]) for e in order["timeline"]] == [
        ("PENDING_PAYMENT", f"merchant:{OWNER}", None),
        ("PAID", "channel:phone", "cash on delivery"),
    ]
    assert stock_of(dumplings) == (10, 2, 8), "held at intake"
    commit_paid_stock(order)
    assert stock_of(dumplings) == (8, 0, 8), "committed on PAID by StockWorker"


def test_a_merchant_that_confirms_everything_has_its_phone_orders_confirmed_at_once(api):
    from paotui.catalog.records import MerchantRecord

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    merchant.update(actions=[MerchantRecord.auto_confirm.set(True)])
    status, order, _ = api.phone_order(merchant.id, phone_body(dumplings), "phone-order-auto")
    assert (status, order["status"]) == (201, "CONFIRMED"), order
    assert order["timeline"][-1]["by"] == f"merchant:{merchant.id}"


def test_a_walk_in_order_finds_the_existing_customer_and_collects_nothing(api):
    from paotui.accounts.service import ensure_user

    existing = ensure_user(HOME["contact_phone"], ["customer"])
    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    body = phone_body(dumplings, 1, channel="walk_in", payment="paid_in_store")
    status, order, _ = api.phone_order(merchant.id, body, "walk-in-0001")
    assert status == 201, order
    assert (order["customer_id"], order["channel"], order["status"]) == (existing.id, "walk_in", "PAID")
    assert order["amounts"]["collect_on_delivery"] == 0
    assert order["timeline"][-1]["reason"] == "paid in store"


def test_the_same_key_replays_the_order_and_a_reused_key_is_refused(api):
    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    first = api.phone_order(merchant.id, phone_body(dumplings), "phone-order-0002")
    again = api.phone_order(merchant.id, phone_body(dumplings), "phone-order-0002")
    assert (first[0], again[0]) == (201, 201)
    assert first[1]["id"] == again[1]["id"] and again[2]["Idempotent-Replayed"] == ["true"]
    assert again[1]["status"] == "PAID" and len(again[1]["timeline"]) == 2, "paid once"
    assert stock_of(dumplings) == (10, 2, 8), "held once"
    status, refused, _ = api.phone_order(merchant.id, phone_body(dumplings, 3), "phone-order-0002")
    assert (status, refused["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


def test_a_crash_between_intake_and_paid_is_finished_by_the_retry(api, monkeypatch):
    from paotui.orders import channels, service
    from paotui.orders.channel_models import MerchantOrder
    from tests.integration.builders import principal

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    request = MerchantOrder.model_validate(phone_body(dumplings))
    owner = principal(OWNER, "merchant")
    real_move = service.system_transition

    def crash(*_args, **_kwargs):
        raise RuntimeError("the container died")

    monkeypatch.setattr(service, "system_transition", crash)
    with pytest.raises(RuntimeError):
        channels.place_merchant_order(merchant.id, owner, "phone-order-0003", request)
    (stranded,) = service.OrderRecord.scan()
    assert stranded.status == Status.PENDING_PAYMENT

    monkeypatch.setattr(service, "system_transition", real_move)
    order, created = channels.place_merchant_order(merchant.id, owner, "phone-order-0003", request)
    assert (order.id, order.status, created) == (stranded.id, Status.PAID, False)
    assert stock_of(dumplings) == (10, 2, 8)


def test_only_the_merchants_owner_or_an_admin_enters_its_orders(api):
    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    status, refused, _ = api.phone_order(merchant.id, phone_body(dumplings), "phone-order-0004", user="usr_other")
    assert (status, refused["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")
    status, _, _ = api.phone_order(merchant.id, phone_body(dumplings), "phone-order-0004", roles="customer")
    assert status == 403, "the console's routes need the merchant role"
    status, order, _ = api.phone_order(
        merchant.id, phone_body(dumplings), "phone-order-0004", user="usr_ops", roles="admin"
    )
    assert status == 201 and order["timeline"][0]["by"] == "merchant:usr_ops"
    status, refused, _ = api.phone_order(merchant.id, phone_body(dumplings, 11), "phone-order-0005")
    assert (status, refused["error"]["code"]) == (409, "OUT_OF_STOCK")


# --- binding an Ele.me shop ---------------------------------------------------------------------------------


def bound_merchant(shop_id: str = SHOP_ID) -> str | None:
    from paotui.orders.bindings import merchant_for
    from paotui.platform.errors import NotFound

    try:
        return merchant_for("eleme", shop_id)
    except NotFound:
        return None


def test_a_merchant_binds_the_shops_it_grants_at_ele_me(api, eleme_app, capsys):
    """The owner is sent to Ele.me's authorize page for our app, grants two shops there, and Ele.me sends them back:
    both shops are the merchant's, on Ele.me's word, and their pushes become its orders."""
    from paotui.platform.settings import get_settings

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    status, started, cookie = api.authorize(merchant.id)
    assert status == 201 and cookie.startswith("paotui_eleme_authorization=")
    parts = urlsplit(started["authorize_url"])
    query = dict(parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == eleme_app.url + "/authorize"
    assert query == {
        "response_type": "code",
        "client_id": eleme_app.key,
        "redirect_uri": get_settings().public_base_url.rstrip("/") + "/channels/eleme/authorized",
        "state": query["state"],
        "scope": "all",
    }
    back = eleme_app.grant(started["authorize_url"], {SHOP_ID: "老王饺子", "968862": "老王饺子(二店)"})

    status, granted = api.back_from_eleme(back, cookie)

    assert status == 200 and granted["merchant_id"] == merchant.id and granted["held_elsewhere"] == []
    shops = {(shop["shop_id"], shop["shop_name"], shop["proof"], shop["merchant_id"]) for shop in granted["shops"]}
    assert shops == {
        (SHOP_ID, "老王饺子", "granted", merchant.id),
        ("968862", "老王饺子(二店)", "granted", merchant.id),
    }
    assert "ChannelShopsReclaimed" not in capsys.readouterr().out, "new bindings take no shop from anyone"
    assert api.push(eleme_app.new_order("968862", eleme_items((dumplings, 1)), HOME)) == (200, {"message": "ok"})
    assert orders_stored() == 1
    status, replayed = api.back_from_eleme(back, cookie)
    assert (status, replayed["error"]["code"]) == (400, "AUTHORIZATION_EXPIRED"), "a state is used once"


def test_a_merchant_lists_its_shops_and_unbinds_one_whose_orders_then_stop(api, eleme_app):
    mine, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    theirs, _ = merchant_with_products(1, owner_id="usr_rival")
    assert api.grant(eleme_app, mine.id, {SHOP_ID: "一店", "968862": "二店"})[0] == 200
    assert api.bind(theirs.id, "968863")[0] == 200

    status, listed, _ = api.call("GET", f"/merchants/{mine.id}/channels/eleme")
    assert status == 200 and [(shop["shop_id"], shop["shop_name"]) for shop in listed["items"]] == [
        (SHOP_ID, "一店"),
        ("968862", "二店"),
    ]
    status, refused, _ = api.call("GET", f"/merchants/{mine.id}/channels/eleme", user="usr_rival")
    assert (status, refused["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")

    for shop_id in ("968863", "not-a-shop", "9" * 21):  # another merchant's, and no shop id at all
        status, refused, _ = api.call("DELETE", f"/merchants/{mine.id}/channels/eleme/{shop_id}")
        assert (status, refused["error"]["code"]) == (404, "SHOP_NOT_BOUND")
    assert bound_merchant("968863") == theirs.id
    status, _, _ = api.call("DELETE", f"/merchants/{mine.id}/channels/eleme/968862")
    assert status == 204

    assert [shop["shop_id"] for shop in api.call("GET", f"/merchants/{mine.id}/channels/eleme")[1]["items"]] == [
        SHOP_ID
    ]
    status, refused = api.push(eleme_app.new_order("968862", eleme_items((dumplings, 1)), HOME))
    assert (status, refused["error"]["code"]) == (404, "SHOP_NOT_BOUND") and orders_stored() == 0
    status, _, _ = api.call("DELETE", f"/merchants/{mine.id}/channels/eleme/968862")
    assert status == 404, "unbound already"


def test_a_merchants_word_alone_binds_no_shop(api, eleme_app):
    """Binding a shop id by hand is an admin's, after checking; the owner proves it at Ele.me instead. A shop a
    merchant holds on proof is not taken by another's proof or an admin's binding."""
    mine, _ = merchant_with_products(1, owner_id=OWNER)
    theirs, _ = merchant_with_products(1, owner_id="usr_rival")
    status, refused = api.bind(mine.id, user=OWNER, roles="merchant")
    assert (status, refused["error"]["code"]) == (403, "FORBIDDEN")
    assert bound_merchant() is None

    status, binding = api.bind(mine.id)
    assert status == 200 and binding == {**binding, "shop_id": SHOP_ID, "merchant_id": mine.id, "proof": "admin"}
    assert api.bind(mine.id)[0] == 200, "binding again is fine"
    status, refused = api.bind(theirs.id)
    assert (status, refused["error"]["code"]) == (409, "SHOP_BOUND_ELSEWHERE")
    status, refused = api.grant(eleme_app, theirs.id, user="usr_rival")
    assert (status, refused["error"]["code"]) == (409, "SHOP_BOUND_ELSEWHERE")
    assert bound_merchant() == mine.id
    assert api.bind(mine.id, "not-a-number")[0] == 422


def test_a_shop_bound_on_a_merchants_word_goes_to_the_merchant_who_grants_it(api, eleme_app, capsys):
    """A binding from before proof was asked for (a merchant typed a shop id, maybe not theirs) gives way to the
    merchant who grants the shop at Ele.me: the shop's orders go to its owner from then on."""
    from paotui.orders.bindings import binding_key
    from paotui.orders.records import ChannelBindingRecord, OrderRecord

    squatter, _ = merchant_with_products(1, owner_id="usr_rival")
    owner, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    ChannelBindingRecord(
        binding_key("eleme", SHOP_ID),
        merchant_id=squatter.id,
        channel="eleme",
        shop_id=SHOP_ID,
        bound_at="2026-11-01T00:00:00.000Z",
        bound_by="usr_rival",
    ).save()

    status, granted = api.grant(eleme_app, owner.id)

    assert status == 200 and [shop["merchant_id"] for shop in granted["shops"]] == [owner.id]
    assert bound_merchant() == owner.id
    assert '"ChannelShopsReclaimed":[1.0]' in capsys.readouterr().out, "the take-over, counted for operators"
    assert api.push(eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME))[0] == 200
    assert [order.merchant_id for order in OrderRecord.scan()] == [owner.id]


def test_a_shop_name_with_a_control_character_or_a_lone_surrogate_is_bound_cleaned_not_a_crash(api, eleme_app):
    """Ele.me's JSON may name a shop with a ``\\ud800`` escape, which no UTF-8 (so no DynamoDB item) holds."""
    merchant, _ = merchant_with_products(1, owner_id=OWNER)

    status, granted = api.grant(eleme_app, merchant.id, {SHOP_ID: "老王\ud800饺子\n"})

    assert status == 200 and [shop["shop_name"] for shop in granted["shops"]] == ["老王饺子"]


def test_shops_another_merchant_holds_on_proof_are_named_and_the_rest_bound(api, eleme_app):
    mine, _ = merchant_with_products(1, owner_id=OWNER)
    theirs, _ = merchant_with_products(1, owner_id="usr_rival")
    assert api.bind(theirs.id, "968862")[0] == 200

    status, granted = api.grant(eleme_app, mine.id, {SHOP_ID: "一店", "968862": "二店"})

    assert status == 200 and granted["held_elsewhere"] == ["968862"]
    assert [shop["shop_id"] for shop in granted["shops"]] == [SHOP_ID]
    assert (bound_merchant(), bound_merchant("968862")) == (mine.id, theirs.id)


def test_an_authorization_refused_lapsed_or_not_ele_mes_binds_nothing(api, eleme_app, monkeypatch):
    from datetime import timedelta

    from paotui.platform import clock

    merchant, _ = merchant_with_products(1, owner_id=OWNER)
    status, refused, _ = api.authorize(merchant.id, user="usr_rival")
    assert (status, refused["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")

    def started() -> tuple[str, str]:
        _, body, cookie = api.authorize(merchant.id)
        return body["authorize_url"], cookie

    url, cookie = started()
    status, refused = api.back_from_eleme(eleme_app.deny(url), cookie)
    assert (status, refused["error"]["code"]) == (400, "AUTHORIZATION_DENIED")
    url, cookie = started()
    back = eleme_app.grant(url, {SHOP_ID: "老王饺子"})
    forged = back.replace("code=", "code=0")  # a code Ele.me never issued, with a state of ours
    status, refused = api.back_from_eleme(forged, cookie)
    assert (status, refused["error"]["code"]) == (400, "AUTHORIZATION_REFUSED")
    status, refused = api.back_from_eleme(back, cookie)
    assert (status, refused["error"]["code"]) == (400, "AUTHORIZATION_EXPIRED"), "its state went with the forged try"
    status, refused = api.back_from_eleme(back.split("&state=")[0] + "&state=not-one-of-ours", cookie)
    assert (status, refused["error"]["code"]) == (400, "AUTHORIZATION_EXPIRED")
    url, cookie = started()
    late = eleme_app.grant(url, {SHOP_ID: "老王饺子"})
    now = clock.now
    monkeypatch.setattr(clock, "now", lambda: now() + timedelta(minutes=11))
    status, refused = api.back_from_eleme(late, cookie)
    assert (status, refused["error"]["code"]) == (400, "AUTHORIZATION_EXPIRED")
    assert bound_merchant() is None


@pytest.mark.parametrize("browser", ["no cookie", "another authorization's cookie", "a garbled cookie header"])
def test_an_authorization_finished_in_another_browser_binds_nothing(api, eleme_app, browser):
    """A merchant starts an authorization and sends its link to someone else, who grants their own shops at Ele.me:
    Ele.me sends that person's browser back with the merchant's state, but not with the merchant's cookie. Binding
    then would give that person's shops (and orders) to the merchant."""
    squatter, _ = merchant_with_products(1, owner_id="usr_rival")
    status, started, _ = api.authorize(squatter.id, user="usr_rival")
    assert status == 201
    victims_own = api.authorize(merchant_with_products(1, owner_id=OWNER)[0].id)[2]
    cookie = {"no cookie": "", "another authorization's cookie": victims_own, "a garbled cookie header": '"=;;;"'}
    back = eleme_app.grant(started["authorize_url"], {SHOP_ID: "老王饺子"})

    status, refused = api.back_from_eleme(back, cookie[browser])

    assert (status, refused["error"]["code"]) == (400, "AUTHORIZATION_NOT_YOURS")
    assert bound_merchant() is None


def test_ele_me_unreachable_or_our_app_misconfigured_is_502_and_binds_nothing(aws, monkeypatch):
    merchant, _ = merchant_with_products(1, owner_id=OWNER)
    with FakeEleme() as eleme:
        eleme_secret(json.dumps({**json.loads(eleme.secret_json()), "secret": "not-the-apps"}), monkeypatch)
        api = ChannelsApi()
        status, refused = api.grant(eleme, merchant.id)
        assert (status, refused["error"]["code"]) == (502, "CHANNEL_UNAVAILABLE")
        _, started, cookie = api.authorize(merchant.id)
        back = eleme.grant(started["authorize_url"], {SHOP_ID: "老王饺子"})
    status, refused = api.back_from_eleme(back, cookie)  # Ele.me is gone now
    assert (status, refused["error"]["code"]) == (502, "CHANNEL_UNAVAILABLE")
    assert bound_merchant() is None


def test_shop_authorization_is_off_without_the_apps_key(aws, monkeypatch):
    merchant, _ = merchant_with_products(1, owner_id=OWNER)
    with FakeEleme() as eleme:
        eleme_secret(json.dumps({"app_id": eleme.app_id, "secret": eleme.secret}), monkeypatch)
        status, refused, _ = ChannelsApi().authorize(merchant.id)
    assert (status, refused["error"]["code"]) == (404, "CHANNEL_NOT_FOUND")


# --- Ele.me pushes ------------------------------------------------------------------------------------------


def test_a_pushed_order_is_taken_at_the_platforms_prices_and_paid(api, eleme_app, shop):
    merchant, (dumplings, _soup) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 2)), HOME, deliver_fee=510)
    assert api.push(push) == (200, {"message": "ok"})

    from paotui.orders.channels import external_order_id
    from paotui.orders.models import OrderView
    from paotui.orders.service import get_order

    eleme_id = json.loads(json.loads(push.body)["message"])["id"]
    order = OrderView.of(get_order(external_order_id("eleme", eleme_id))).model_dump(mode="json")
    assert (order["channel"], order["external_id"], order["merchant_id"]) == ("eleme", eleme_id, merchant.id)
    assert order["customer_id"] == "eleme:user-62864532"
    assert order["status"] == "PAID" and order["timeline"][-1]["reason"] == "paid on eleme"
    assert order["amounts"] == {**order["amounts"], "items_total": 3780, "delivery_fee": 510, "total": 4290}
    assert order["items"][0] == {**order["items"][0], "product_id": dumplings.id, "unit_price": 1890, "quantity": 2}
    assert (order["address"]["lat"], order["address"]["lng"]) == (HOME["lat"], HOME["lng"])
    commit_paid_stock(order)
    assert stock_of(dumplings) == (8, 0, 8)


def test_a_push_for_a_time_we_do_not_book_is_refused_and_takes_nothing(api, eleme_app, shop):
    """A time more than SCHEDULE_MAX_DAYS ahead is refused as ours are; one the calendar can't hold in UTC (Beijing
    midnight of year 1) is an invalid message, not a 500 Ele.me would redeliver without end."""
    from datetime import datetime, timedelta

    from paotui.platform import clock

    _, (dumplings, _) = shop
    too_far = datetime.now(clock.CHINA).replace(tzinfo=None) + timedelta(days=8)
    for deliver_time, code in ((too_far, "SCHEDULE_TOO_FAR"), (datetime(1, 1, 1), "INVALID_MESSAGE")):
        push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME, deliver_time=deliver_time)
        status, body = api.push(push)
        assert (status, body["error"]["code"]) == (422, code), body
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def test_a_push_for_a_shop_operators_suspended_is_refused_and_takes_nothing(api, eleme_app, shop):
    from paotui.catalog import onboarding

    merchant, (dumplings, _) = shop
    onboarding.suspend(merchant.id, reason="证照过期", by="usr_admin")
    status, body = api.push(eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME))
    assert (status, body["error"]["code"]) == (409, "MERCHANT_SUSPENDED"), body
    status, body, _ = api.phone_order(merchant.id, phone_body(dumplings), key="phone-0001")
    assert (status, body["error"]["code"]) == (409, "MERCHANT_SUSPENDED"), "nor its own phone orders"
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def test_a_push_delivered_five_times_is_one_order(api, eleme_app, shop):
    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    assert [api.push(push) for _ in range(5)] == [(200, {"message": "ok"})] * 5
    assert orders_stored() == 1 and stock_of(dumplings) == (10, 1, 9)


def test_concurrent_deliveries_of_one_push_are_one_order(eleme_app, shop, serialized_moto, fine_thread_switching):
    from paotui.orders import eleme

    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 2)), HOME)
    arrived = serialized_moto.gather("TransactWriteItems", 5)  # every delivery reaches intake before one lands
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: eleme.handle_push(push.body.decode()), range(5)))
    assert answers == [{"message": "ok"}] * 5 and len(arrived) == 5
    assert orders_stored() == 1 and stock_of(dumplings) == (10, 2, 8)


def test_a_forged_or_tampered_push_is_refused_and_changes_nothing(api, eleme_app, shop):
    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    for bad in (eleme_app.forged(push), eleme_app.tampered(push, shopId=1)):
        status, refused = api.push(bad)
        assert (status, refused["error"]["code"]) == (401, "INVALID_SIGNATURE")
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def test_an_unbound_shop_is_404_and_ele_me_retries(api, eleme_app, shop):
    _, (dumplings, _) = shop
    status, refused = api.push(eleme_app.new_order("5550001", eleme_items((dumplings, 1)), HOME))
    assert (status, refused["error"]["code"]) == (404, "SHOP_NOT_BOUND")
    assert orders_stored() == 0


def test_an_item_that_is_not_the_merchants_is_422_and_nothing(api, eleme_app, shop):
    _, (dumplings, _) = shop
    alien = {"extend_code": "prd_not_ours", "quantity": 1, "price": 990, "name": "别家的菜"}
    status, refused = api.push(eleme_app.new_order(SHOP_ID, [*eleme_items((dumplings, 1)), alien], HOME))
    assert (status, refused["error"]["code"]) == (422, "UNKNOWN_PRODUCT")
    assert refused["error"]["details"]["items"] == ["别家的菜"]
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def escaped(eleme_app: FakeEleme, push: Notify, **changes: Any) -> Notify:
    """The push with ``changes`` to its message, its text written as a JSON encoder writes text that is no UTF-8
    (a lone surrogate as its ``\\ud800`` escape, a NUL as ``\\u0000``), and signed as Ele.me signs it."""
    body = json.loads(push.body)
    body["message"] = json.dumps({**json.loads(body["message"]), **changes})
    return eleme_app.forged(dataclasses.replace(push, body=json.dumps(body).encode()), eleme_app.secret)


def test_an_item_named_with_a_lone_surrogate_is_422_not_a_crash_ele_me_retries_forever(api, eleme_app, shop):
    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    group = json.loads(json.loads(push.body)["message"])["groups"][0]
    for name in ("生煎\ud800", "生煎\x00"):
        items = [{**group["items"][0], "name": name}]
        status, refused = api.push(escaped(eleme_app, push, groups=[{**group, "items": items}]))
        assert (status, refused["error"]["code"]) == (422, "INVALID_MESSAGE"), repr(name)
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def test_out_of_stock_is_409_and_nothing(api, eleme_app, shop):
    _, (dumplings, soup) = shop
    status, refused = api.push(eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1), (soup, 4)), HOME))
    assert (status, refused["error"]["code"]) == (409, "OUT_OF_STOCK")
    assert refused["error"]["details"]["product_ids"] == [soup.id]
    assert orders_stored() == 0 and (stock_of(dumplings), stock_of(soup)) == ((10, 0, 10), (3, 0, 3))


def test_a_cancellation_on_ele_me_cancels_our_order(api, eleme_app, shop):
    from paotui.orders.channels import external_order_id
    from paotui.orders.service import get_order

    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    eleme_id = json.loads(json.loads(push.body)["message"])["id"]
    assert api.push(push)[0] == 200
    assert api.push(eleme_app.cancellation(eleme_id, SHOP_ID)) == (200, {"message": "ok"})
    order = get_order(external_order_id("eleme", eleme_id))
    assert (order.status, order.cancel_reason) == ("CANCELLED", "cancelled on Ele.me by the customer")
    assert order.timeline[-1].by == "channel:eleme"
    assert api.push(eleme_app.cancellation(eleme_id, SHOP_ID))[0] == 200, "a redelivery changes nothing"
    assert api.push(push) == (200, {"message": "ok"}) and get_order(order.id).status == "CANCELLED"
    assert api.push(eleme_app.cancellation("404404404", SHOP_ID))[0] == 200, "an order we never took"


def test_a_cancellation_whose_text_is_no_utf8_is_422_not_a_crash_and_records_nothing(api, eleme_app, shop):
    from paotui.orders.channels import cancellation_key
    from paotui.orders.records import ChannelCancellationRecord

    cancellation = eleme_app.cancellation("404404404", SHOP_ID)
    for changes in ({"reason": "不要了\ud800"}, {"reason": "不要了\x00"}, {"orderId": "4044\ud800"}):
        status, refused = api.push(escaped(eleme_app, cancellation, **changes))
        assert (status, refused["error"]["code"]) == (422, "INVALID_MESSAGE"), changes
    assert ChannelCancellationRecord.count(cancellation_key("eleme", "404404404")) == 0


def eleme_id_of(push: Notify) -> str:
    return json.loads(json.loads(push.body)["message"])["id"]


def test_an_order_ele_me_cancelled_before_its_push_arrived_is_acknowledged_and_never_taken(api, eleme_app, shop):
    """Ele.me redelivers refused or lost pushes later (its compensation pull): a cancellation may come first."""
    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    assert api.push(eleme_app.cancellation(eleme_id_of(push), SHOP_ID)) == (200, {"message": "ok"})
    assert api.push(eleme_app.cancellation(eleme_id_of(push), SHOP_ID))[0] == 200, "a redelivered cancellation"
    assert [api.push(push) for _ in range(2)] == [(200, {"message": "ok"})] * 2, "acknowledged, so not redelivered"
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10), "not cooked, not delivered, nothing held"


def test_a_push_refused_for_an_unbound_shop_and_then_cancelled_is_not_taken_once_the_shop_is_bound(api, eleme_app):
    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    assert api.push(push)[0] == 404
    assert api.push(eleme_app.cancellation(eleme_id_of(push), SHOP_ID))[0] == 200
    assert api.grant(eleme_app, merchant.id)[0] == 200
    assert api.push(push) == (200, {"message": "ok"})
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def test_a_cancellation_landing_while_its_push_is_taken_wins(api, eleme_app, shop, serialized_moto):
    """The cancellation comes after intake found no order and before intake's transaction: no order is written."""
    from paotui.orders import eleme

    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    cancellation = eleme_app.cancellation(eleme_id_of(push), SHOP_ID)
    serialized_moto.gather("TransactWriteItems", 1, on_arrival=lambda: eleme.handle_push(cancellation.body.decode()))
    assert api.push(push) == (200, {"message": "ok"})
    assert orders_stored() == 0 and stock_of(dumplings) == (10, 0, 10)


def test_a_push_taken_while_its_cancellation_is_recorded_is_cancelled(api, eleme_app, shop, serialized_moto):
    """The push lands after the cancellation found no order and before it recorded one it doesn't have."""
    from paotui.orders import eleme
    from paotui.orders.channels import external_order_id
    from paotui.orders.service import get_order

    _, (dumplings, _) = shop
    push = eleme_app.new_order(SHOP_ID, eleme_items((dumplings, 1)), HOME)
    serialized_moto.gather("TransactWriteItems", 1, on_arrival=lambda: eleme.handle_push(push.body.decode()))
    assert api.push(eleme_app.cancellation(eleme_id_of(push), SHOP_ID)) == (200, {"message": "ok"})
    order = get_order(external_order_id("eleme", eleme_id_of(push)))
    assert (order.status, order.cancel_reason) == ("CANCELLED", "cancelled on Ele.me by the customer")


def test_other_messages_and_the_url_check_are_acknowledged(api, eleme_app, shop):
    status_change = eleme_app.push(12, {"orderId": "1", "state": "settled", "shopId": int(SHOP_ID)}, SHOP_ID)
    assert api.push(status_change) == (200, {"message": "ok"})
    empty = Notify(status_change.url, status_change.headers, b"{}")
    assert api.push(empty) == (200, {"message": "ok"})
    assert orders_stored() == 0


def test_the_channel_is_off_until_its_secret_is_set(aws, monkeypatch):
    eleme_secret("{}", monkeypatch)
    with FakeEleme() as fake:
        status, refused = ChannelsApi().push(
            fake.new_order(SHOP_ID, [{"extend_code": "p", "quantity": 1, "price": 1}], HOME)
        )
    assert (status, refused["error"]["code"]) == (404, "CHANNEL_NOT_FOUND")


def test_phone_orders_do_not_collide_with_a_customers_keys(api):
    """A merchant's key and a customer's same key are two orders: the ids derive from different owners."""
    from paotui.orders import service
    from tests.integration.builders import CUSTOMER, order_request

    merchant, (dumplings,) = merchant_with_products(10, owner_id=OWNER)
    key = uuid.uuid4().hex
    mine, _ = service.place_order(CUSTOMER.user_id, key, order_request(merchant, (dumplings, 1)))
    status, theirs, _ = api.phone_order(merchant.id, phone_body(dumplings, 1), key)
    assert status == 201 and theirs["id"] != mine.id
