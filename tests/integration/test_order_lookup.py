"""Operators look orders up the way a call to support names them: by the customer's phone, or by the reference
people read out (GET /orders?role=admin&phone= / &ref=), through OrdersApi's handler against moto."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paotui.orders.transitions import Status
from tests.integration.builders import SignedInApi, merchant_with_products, order_request

PHONE = "+8613900001111"


@pytest.fixture
def api(aws):
    return SignedInApi("OrdersApi")


def admin(api, **query: str) -> tuple[int, dict]:
    return api.call("GET", "/orders", user="usr_admin", roles="admin", query={"role": "admin", **query})


def every_page(api, **query: str) -> list[str]:
    ids, cursor = [], None
    while True:
        status, body = admin(api, **query, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids


def signed_up(phone: str) -> str:
    from paotui.accounts.records import phone_key
    from paotui.accounts.users import user_for_identity

    return user_for_identity(phone_key(phone), phone=phone).id


def orders_of(customer_id: str, count: int, label: str) -> list:
    from paotui.orders import service

    merchant, (product,) = merchant_with_products(20)
    return [
        service.place_order(customer_id, f"key-{label}-{n:04d}", order_request(merchant, (product, 1)))[0]
        for n in range(count)
    ]


def test_an_operator_finds_a_customers_orders_by_their_phone_newest_first(api):
    from paotui.orders import service
    from paotui.platform import clock

    theirs = orders_of(signed_up(PHONE), 3, "caller")
    orders_of(signed_up("+8613900002222"), 2, "someone-else")
    service.system_transition(theirs[0].id, Status.CANCELLED, expected={Status.PENDING_PAYMENT}, reason="test")

    newest_first = sorted(theirs, key=lambda o: o.created_at, reverse=True)
    assert every_page(api, phone=PHONE) == [o.id for o in newest_first]
    assert every_page(api, phone=PHONE, limit="1") == [o.id for o in newest_first]
    assert every_page(api, phone=PHONE, status="CANCELLED") == [theirs[0].id]
    yesterday = clock.china_date(clock.now() - timedelta(days=1))
    assert every_page(api, phone=PHONE, to=yesterday) == []
    assert every_page(api, phone="+8613900009999") == []  # nobody signs in with it


def test_after_a_wechat_account_is_merged_into_the_phones_its_orders_are_found_by_the_phone(api):
    from paotui.accounts import merging
    from paotui.accounts.records import wechat_key
    from paotui.accounts.users import get_user, user_for_identity

    by_phone = signed_up(PHONE)
    wechat_only = user_for_identity(wechat_key("o-wechat-only")).id
    (before,) = orders_of(wechat_only, 1, "wechat")
    assert every_page(api, phone=PHONE) == []
    merging.merge(get_user(wechat_only), get_user(by_phone))  # the customer bound the phone in the mini-program
    assert every_page(api, phone=PHONE) == [before.id]


def test_an_operator_finds_an_order_by_its_reference_however_it_is_written(api):
    from paotui.platform.ids import short_ref

    order, other = orders_of(signed_up(PHONE), 2, "ref")
    ref = short_ref(order.id)
    assert every_page(api, ref=ref) == [order.id]
    assert every_page(api, ref=ref.lower()) == [order.id]
    assert every_page(api, ref=f"#{ref}") == [order.id]
    assert admin(api, ref=ref)[1]["items"][0]["status"] == "PENDING_PAYMENT"  # the order itself, not its keys
    assert every_page(api, ref=ref, status="PAID") == []
    assert short_ref(other.id) != ref


def test_two_orders_sharing_a_reference_are_both_found_newest_first_page_by_page(api):
    from paotui.orders.records import OrderRecord
    from paotui.platform import clock
    from paotui.platform.ids import short_ref

    (order,) = orders_of(signed_up(PHONE), 1, "shared")
    twin = OrderRecord.from_raw_data(OrderRecord.get(order.id).serialize())  # one in 16 million: made here
    twin.id = "ord_" + "0" * 26 + order.id[-6:]
    twin.created_at = clock.iso(clock.now() + timedelta(seconds=1))
    twin.save()
    assert every_page(api, ref=short_ref(order.id), limit="1") == [twin.id, order.id]


def test_lookups_are_for_operators_and_one_at_a_time(api):
    from paotui.platform.ids import short_ref

    (order,) = orders_of(signed_up(PHONE), 1, "who")
    ref = short_ref(order.id)
    for role in ("customer", "merchant", "rider"):
        status, body = api.call("GET", "/orders", user="usr_x", roles=role, query={"role": role, "phone": PHONE})
        assert (status, body["error"]["code"]) == (422, "INVALID_FILTER"), role
    status, _ = api.call("GET", "/orders", user="usr_owner", roles="merchant", query={"role": "admin", "ref": ref})
    assert status == 403
    assert admin(api, phone=PHONE, ref=ref)[1]["error"]["code"] == "INVALID_FILTER"
    for bad in ({"phone": "13900001111"}, {"phone": "+86 139"}, {"ref": "AB12"}, {"ref": "GHIJKL"}):
        status, body = admin(api, **bad)
        assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR"), bad
    _, page = admin(api, phone=PHONE, limit="1")
    assert page["next_cursor"] is None
    orders_of(signed_up(PHONE), 1, "who-again")
    _, page = admin(api, phone=PHONE, limit="1")
    status, body = admin(api, ref=ref, cursor=page["next_cursor"])  # a phone's cursor is not a reference's
    assert (status, body["error"]["code"]) == (400, "INVALID_CURSOR")


def test_orders_from_before_the_index_are_given_their_reference_once_and_nothing_else_changes(api, capsys):
    import json

    from paotui.orders import ref_backfill
    from paotui.orders.records import OrderRecord
    from paotui.platform.ids import short_ref

    old, new = orders_of(signed_up(PHONE), 2, "before")
    OrderRecord.get(old.id).update(actions=[OrderRecord.ref.remove()])  # as placed before the index
    before = OrderRecord.get(old.id).to_simple_dict(force=True)
    assert every_page(api, ref=short_ref(old.id)) == []

    assert ref_backfill.main([]) == 0
    assert json.loads(capsys.readouterr().out) == {"given": 1, "already": 0}
    assert every_page(api, ref=short_ref(old.id)) == [old.id]
    assert every_page(api, ref=short_ref(new.id)) == [new.id]
    after = OrderRecord.get(old.id).to_simple_dict(force=True)
    assert after == {**before, "ref": short_ref(old.id)}  # the version and every move as they were
    assert ref_backfill.backfill() == {"given": 0, "already": 0}


def test_an_order_given_its_reference_meanwhile_is_left_as_it_is(api, monkeypatch):
    from paotui.orders import ref_backfill
    from paotui.orders.records import OrderRecord

    (order,) = orders_of(signed_up(PHONE), 1, "meanwhile")
    OrderRecord.get(order.id).update(actions=[OrderRecord.ref.remove()])
    scan = OrderRecord.scan

    def scanned_then_given_one(*args, **kwargs):
        for record in scan(*args, **kwargs):
            OrderRecord.get(record.id).update(actions=[OrderRecord.ref.set("SET-BY")])  # another run, first
            yield record

    monkeypatch.setattr(OrderRecord, "scan", scanned_then_given_one)
    assert ref_backfill.backfill() == {"given": 0, "already": 1}
    assert OrderRecord.get(order.id).ref == "SET-BY"
