"""The merchant console's alerts through CatalogApi: the owner reads one shop's order alerts and low stock out of
their inbox, marks them read per shop, and nobody else reads them."""

from __future__ import annotations

import pytest

from tests.integration.builders import LAMBDA_CONTEXT, answer, api_event, load_handler, merchant_with_products

OWNER, OTHER = "usr_owner", "usr_other"


@pytest.fixture
def console(aws, monkeypatch):
    """Two shops of OWNER and one of OTHER, with alerts: two for the first shop, one for the second."""
    from paotui.notify.merchant_alerts import tell_merchant
    from paotui.notify.push import get_push_sender
    from paotui.notify.service import notify_low_stock
    from paotui.notify.templates import Message

    first, (soup,) = merchant_with_products(3, owner_id=OWNER)
    second, _ = merchant_with_products(3, owner_id=OWNER)
    others, _ = merchant_with_products(3, owner_id=OTHER)
    order_alert = {"type": "order_alert", "order_id": "ord_1", "kind": "PAID"}
    tell_merchant(first.id, Message("新订单", "您有新订单 000001"), data=order_alert, event_id="evt-1")
    tell_merchant(second.id, Message("新订单", "您有新订单 000002"), data=order_alert, event_id="evt-2")
    get_push_sender().send(OWNER, "支付成功", "as a customer", data={"type": "order_alert"})  # no merchant: not shown
    notify_low_stock(soup.to_simple_dict(), 1, 2, event_id="evt-3")
    catalog = load_handler("CatalogApi")

    def call(method: str, merchant, *, who: str = OWNER, roles: str = "merchant", body=None, query=None):
        path = f"/merchants/{merchant.id if hasattr(merchant, 'id') else merchant}/alerts"
        event = api_event(
            method,
            path + ("/read" if method == "POST" else ""),
            body=body,
            query=query,
            authorizer={"user_id": who, "roles": roles},
        )
        return answer(catalog(event, LAMBDA_CONTEXT))

    return call, first, second, others


def test_the_owner_reads_one_shops_alerts_newest_first(console):
    call, first, second, _ = console
    status, page = call("GET", first)
    assert status == 200, page
    assert [(item["title"], item["data"]["type"], item["read"]) for item in page["items"]] == [
        ("库存不足", "low_stock", False),
        ("新订单", "order_alert", False),
    ]
    assert {item["data"]["merchant_id"] for item in page["items"]} == {first.id}
    assert page["next_cursor"] is None
    assert [item["body"] for item in call("GET", second)[1]["items"]] == ["您有新订单 000002"]


def test_alerts_page_with_a_cursor(console, monkeypatch):
    from paotui.platform.settings import get_settings

    call, first, _, _ = console
    monkeypatch.setenv("INBOX_PAGE_SIZE", "1")
    get_settings.cache_clear()
    _, page = call("GET", first)
    assert [item["data"]["type"] for item in page["items"]] == ["low_stock"] and page["next_cursor"]
    _, rest = call("GET", first, query={"cursor": page["next_cursor"]})
    assert [item["data"]["type"] for item in rest["items"]] == ["order_alert"] and rest["next_cursor"] is None


def test_reading_one_shops_alerts_leaves_the_others_unread_and_the_mark_never_moves_back(console):
    call, first, second, _ = console
    newest = call("GET", first)[1]["items"][0]["sent_at"]

    assert call("POST", first, body={"up_to": newest}) == (200, {"read_up_to": newest})

    assert all(item["read"] for item in call("GET", first)[1]["items"])
    assert not any(item["read"] for item in call("GET", second)[1]["items"])
    assert call("POST", first, body={"up_to": "2020-01-01T00:00:00Z"}) == (200, {"read_up_to": newest})


@pytest.mark.parametrize(
    ("who", "roles", "status", "code"),
    [
        (OTHER, "merchant", 403, "NOT_YOUR_MERCHANT"),
        ("usr_admin", "admin", 403, "NOT_YOUR_MERCHANT"),  # the owner's inbox, not an admin's to read
        (OWNER, "customer", 403, "FORBIDDEN"),
    ],
)
def test_only_the_owner_reads_or_marks_them(console, who, roles, status, code):
    call, first, _, _ = console
    for method, body in (("GET", None), ("POST", {"up_to": "2030-01-01T00:00:00Z"})):
        got_status, error = call(method, first, who=who, roles=roles, body=body)
        assert (got_status, error["error"]["code"]) == (status, code)
    assert not any(item["read"] for item in call("GET", first)[1]["items"]), "nothing was marked"


def test_refusals_change_nothing(console):
    call, first, _, _ = console
    assert call("GET", "mer_missing")[1]["error"]["code"] == "MERCHANT_NOT_FOUND"
    assert call("GET", first, query={"cursor": "bm90LWEtY3Vyc29y"}) == (
        422,
        {"error": {"code": "INVALID_CURSOR", "message": "That cursor is not one this inbox gave out.", "details": {}}},
    )
    for body in ({}, {"up_to": "yesterday"}, {"up_to": "2030-01-01T00:00:00Z", "all": True}, {"up_to": "2030-01-01"}):
        assert call("POST", first, body=body)[0] == 422, body
    assert not any(item["read"] for item in call("GET", first)[1]["items"])


def test_a_page_reads_at_most_the_scan_budget_and_goes_on_from_there(console, monkeypatch):
    from paotui.platform.settings import get_settings

    call, first, _, _ = console
    monkeypatch.setenv("INBOX_SCAN_MAX_ITEMS", "2")
    get_settings.cache_clear()
    seen, cursor, pages = [], None, 0
    while True:
        _, page = call("GET", first, query={"cursor": cursor} if cursor else None)
        seen += [item["data"]["type"] for item in page["items"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if not cursor:
            break
    assert seen == ["low_stock", "order_alert"] and pages == 3, "short pages, nothing lost"
