"""Kitchen tickets on the shop's cloud printer, against moto and a fake Feieyun that checks signatures as Feieyun does:
CatalogApi's ``/merchants/{merchantId}/printer`` and PrintWorker."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.integration.builders import (
    LAMBDA_CONTEXT,
    SignedInApi,
    confirmed_order,
    load_handler,
    merchant_with_products,
    order_event,
    provider_secret,
    sqs_event,
)
from paotui_local.fakes.feie import DEMO_PRINTERS, FakeFeie

OWNER = {"user": "usr_owner", "roles": "merchant"}
OTHER_OWNER = {"user": "usr_rival", "roles": "merchant"}
(SN, KEY), (SECOND_SN, SECOND_KEY) = DEMO_PRINTERS.items()


@pytest.fixture
def feie(aws, monkeypatch):
    """A fresh Feieyun, the platform's account in FeieSecret as an operator sets it."""
    with FakeFeie() as fake:
        provider_secret(monkeypatch, "FEIE_SECRET_ARN", fake.secret_json())
        yield fake


@pytest.fixture
def catalog_api(aws):
    return SignedInApi("CatalogApi")


@pytest.fixture
def print_worker(aws):
    return load_handler("PrintWorker")


def printer(api, merchant_id: str, method: str = "GET", who: dict = OWNER, **body):
    return api.call(method, f"/merchants/{merchant_id}/printer", **who, body=body or None)


def bound(api, merchant, sn: str = SN, key: str = KEY, who: dict = OWNER, **fields):
    status, view = printer(api, merchant.id, "PUT", who, sn=sn, key=key, **fields)
    assert status == 200, view
    return view


def test_a_shop_binds_its_printer_with_the_key_on_its_label_and_it_prints_a_page_saying_so(
    feie, catalog_api, monkeypatch
):
    merchant, _ = merchant_with_products()
    assert printer(catalog_api, merchant.id)[1]["error"]["code"] == "PRINTER_NOT_BOUND"

    status, refused = printer(catalog_api, merchant.id, "PUT", sn=SN, key="wrongkey")
    assert (status, refused["error"]["code"]) == (422, "PRINTER_REFUSED")
    assert refused["error"]["details"]["provider_message"] == "识别码不正确"
    assert SN not in feie.account and printer(catalog_api, merchant.id)[0] == 404

    view = bound(catalog_api, merchant, label="后厨", copies=2)
    assert (view["sn"], view["label"], view["copies"], view["state"]) == (SN, "后厨", 2, "ready")
    assert feie.account[SN] == f"{merchant.name} 后厨"
    (page,) = feie.printed(SN)
    assert "打印机已绑定" in page.content and merchant.name in page.content

    feie.out_of_paper.add(SN)
    assert printer(catalog_api, merchant.id)[1]["state"] == "needs_attention"
    feie.down = True
    assert printer(catalog_api, merchant.id)[1]["state"] == "unknown", "the binding shows while Feieyun can't say"
    provider_secret(monkeypatch, "FEIE_SECRET_ARN", "{}")  # an operator switched cloud printing off
    assert printer(catalog_api, merchant.id)[1]["state"] == "unknown"


def test_no_two_shops_hold_one_printer_and_a_refused_claim_is_given_back(feie, catalog_api):
    mine, _ = merchant_with_products()
    theirs, _ = merchant_with_products(owner_id="usr_rival")
    status, refused = printer(catalog_api, theirs.id, "PUT", OTHER_OWNER, sn=SN, key="wrongkey")
    assert status == 422
    bound(catalog_api, mine)  # their refused try left no claim in the way

    status, taken = printer(catalog_api, theirs.id, "PUT", OTHER_OWNER, sn=SN, key=KEY)
    assert (status, taken["error"]["code"]) == (409, "PRINTER_TAKEN")
    assert printer(catalog_api, theirs.id, who=OTHER_OWNER)[0] == 404
    assert printer(catalog_api, mine.id, "PUT", OTHER_OWNER, sn=SN, key=KEY)[0] == 403, "not their shop"
    assert printer(catalog_api, mine.id, "DELETE", OTHER_OWNER)[0] == 403
    assert SN in feie.account and printer(catalog_api, mine.id)[1]["sn"] == SN


def test_the_bound_printer_changes_its_copies_without_its_key_and_another_printer_replaces_it(feie, catalog_api):
    merchant, _ = merchant_with_products()
    first = bound(catalog_api, merchant)
    status, changed = printer(catalog_api, merchant.id, "PUT", sn=SN, label="前台", copies=3)
    assert status == 200 and (changed["label"], changed["copies"]) == ("前台", 3)
    assert changed["bound_at"] == first["bound_at"] and len(feie.printed(SN)) == 1, "no new page, no new binding"

    status, missing = printer(catalog_api, merchant.id, "PUT", sn=SECOND_SN)
    assert (status, missing["error"]["code"]) == (422, "PRINTER_KEY_REQUIRED")
    bound(catalog_api, merchant, sn=SECOND_SN, key=SECOND_KEY)
    assert set(feie.account) == {SECOND_SN}, "the printer before left the account"

    other, _ = merchant_with_products(owner_id="usr_rival")
    bound(catalog_api, other, who=OTHER_OWNER)  # and its claim was given back: another shop may bind it


def test_a_printer_is_unbound_once_and_unbinding_again_changes_nothing(feie, catalog_api):
    merchant, _ = merchant_with_products()
    bound(catalog_api, merchant)
    feie.down = True
    status, down = printer(catalog_api, merchant.id, "DELETE")
    assert (status, down["error"]["code"]) == (502, "PRINTER_CLOUD_UNAVAILABLE")
    assert printer(catalog_api, merchant.id)[1]["sn"] == SN, "still bound"
    feie.down = False
    assert printer(catalog_api, merchant.id, "DELETE")[0] == 204
    assert printer(catalog_api, merchant.id, "DELETE")[0] == 204
    assert SN not in feie.account and printer(catalog_api, merchant.id)[0] == 404


def test_a_bind_cut_short_is_finished_by_binding_again(feie, catalog_api):
    merchant, _ = merchant_with_products()
    feie.down = True
    status, _ = printer(catalog_api, merchant.id, "PUT", sn=SN, key=KEY)
    assert status == 502
    feie.down = False
    feie.account[SN] = "added, its answer lost"  # Feieyun took the printer; the shop never heard
    bound(catalog_api, merchant)
    assert printer(catalog_api, merchant.id)[1]["sn"] == SN


def test_binding_is_refused_clearly_while_the_platform_has_no_feieyun_account(aws, catalog_api, monkeypatch):
    provider_secret(monkeypatch, "FEIE_SECRET_ARN", "{}")
    merchant, _ = merchant_with_products()
    status, off = printer(catalog_api, merchant.id, "PUT", sn=SN, key=KEY)
    assert (status, off["error"]["code"]) == (503, "PRINTING_OFF")


def test_bad_printer_numbers_keys_and_copies_are_refused_and_change_nothing(feie, catalog_api):
    merchant, _ = merchant_with_products()
    for body in ({"sn": "96-023", "key": KEY}, {"sn": SN, "key": "kx 9b"}, {"sn": SN, "key": KEY, "copies": 9}):
        status, refused = printer(catalog_api, merchant.id, "PUT", **body)
        assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR"), body
    assert feie.calls == [] and printer(catalog_api, merchant.id)[0] == 404


# --- kitchen tickets ------------------------------------------------------------------------------------------------


def confirmed_with_printer(catalog_api, **fields):
    order, merchant = confirmed_order()
    bound(catalog_api, merchant, **fields)
    return order, merchant


def tickets(feie):
    return [job for job in feie.printed(SN) if "打印机已绑定" not in job.content]


def kitchen_print(order_id: str) -> dict | None:
    from paotui.orders.records import OrderRecord

    record = OrderRecord.get(order_id, consistent_read=True)
    return record.kitchen_print.as_dict() if record.kitchen_print else None


def test_a_confirmed_order_prints_its_ticket_once_whatever_the_queue_delivers(feie, catalog_api, print_worker):
    order, merchant = confirmed_with_printer(catalog_api, copies=2)
    event = order_event(order, "CONFIRMED", "PAID", event_id="evt-confirmed")
    assert print_worker(sqs_event(event, event), LAMBDA_CONTEXT) == {"batchItemFailures": []}
    again = order_event(order, "CONFIRMED", "ASSIGNED", event_id="evt-confirmed-again")  # put back to riders
    assert print_worker(sqs_event(again), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    (ticket,) = tickets(feie)
    assert ticket.copies == 2
    assert f"<CB>#{order.id[-6:].upper()}</CB>" in ticket.content and merchant.name in ticket.content
    state = kitchen_print(order.id)
    assert (state["state"], state["attempts"], state["job_id"]) == ("sent", 1, ticket.id)

    orders_api = SignedInApi("OrdersApi")
    status, seen = orders_api.call("GET", f"/orders/{order.id}", **OWNER)
    assert status == 200 and seen["kitchen_print"] == {
        "state": "sent",
        "attempts": 1,
        "reason": None,
        "reprints": None,
        "at": state["at"],
    }
    as_customer = orders_api.call("GET", f"/orders/{order.id}", user=order.customer_id, roles="customer")[1]
    assert as_customer["kitchen_print"] is None, "the kitchen's ticket is the shop's business"


def test_a_ticket_feieyun_could_not_take_is_tried_again_and_one_it_refuses_is_not(feie, catalog_api, print_worker):
    order, _ = confirmed_with_printer(catalog_api)
    feie.down = True
    event = sqs_event(order_event(order, "CONFIRMED", "PAID", event_id="evt-down"))
    with pytest.raises(BatchProcessingError):  # a batch that failed whole: the queue delivers it again
        print_worker(event, LAMBDA_CONTEXT)
    assert kitchen_print(order.id)["state"] == "printing"
    feie.down = False
    assert print_worker(event, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    assert len(tickets(feie)) == 1 and kitchen_print(order.id)["attempts"] == 2

    refused, _ = confirmed_with_printer(catalog_api, sn=SECOND_SN, key=SECOND_KEY)
    feie.refuse_prints = True
    assert print_worker(sqs_event(order_event(refused, "CONFIRMED", "PAID")), LAMBDA_CONTEXT) == {
        "batchItemFailures": []
    }
    state = kitchen_print(refused.id)
    assert state["state"] == "failed" and "未添加" in state["reason"]


def test_orders_of_shops_without_a_printer_or_without_a_kitchen_print_nothing(feie, print_worker):
    from paotui.printing.kitchen import print_ticket

    order, _ = confirmed_order()
    assert print_ticket(order.id) == "no_printer" and kitchen_print(order.id) is None
    assert print_ticket("ord_missing") == "no_order"
    assert feie.calls == []


def test_two_tries_at_once_print_one_ticket(feie, catalog_api):
    from paotui.orders.records import OrderRecord
    from paotui.printing import kitchen

    order, _ = confirmed_with_printer(catalog_api)
    first = OrderRecord.get(order.id, consistent_read=True)
    second = OrderRecord.get(order.id, consistent_read=True)
    assert kitchen._claim(first, SN) is True
    assert kitchen._claim(second, SN) is False, "the other try read the ticket before the claim"


def test_the_shop_prints_a_ticket_again_and_a_try_still_waiting_then_prints_nothing(feie, catalog_api, print_worker):
    order, _ = confirmed_with_printer(catalog_api)
    orders_api = SignedInApi("OrdersApi")
    path = f"/orders/{order.id}/kitchen-ticket"
    feie.down = True
    event = sqs_event(order_event(order, "CONFIRMED", "PAID", event_id="evt-lost"))
    with pytest.raises(BatchProcessingError):
        print_worker(event, LAMBDA_CONTEXT)
    status, down = orders_api.call("POST", path, **OWNER)
    assert (status, down["error"]["code"]) == (502, "PRINTER_CLOUD_UNAVAILABLE")
    feie.down = False

    status, again = orders_api.call("POST", path, **OWNER)
    assert status == 200 and again["kitchen_print"]["state"] == "sent" and again["kitchen_print"]["reprints"] == 1
    (reprinted,) = tickets(feie)
    assert reprinted.copies == 1 and f"#{order.id[-6:].upper()}" in reprinted.content
    assert print_worker(event, LAMBDA_CONTEXT) == {"batchItemFailures": []}  # the redelivered try
    assert len(tickets(feie)) == 1, "the reprint stands for the ticket the queue still held"
    assert orders_api.call("POST", path, **OWNER)[1]["kitchen_print"]["reprints"] == 2
    assert len(tickets(feie)) == 2


def test_only_the_orders_shop_reprints_and_only_what_the_kitchen_has(feie, catalog_api):
    from tests.integration.builders import placed_order

    orders_api = SignedInApi("OrdersApi")
    order, _ = confirmed_with_printer(catalog_api)
    for who in ({"user": order.customer_id, "roles": "customer"}, {"user": "usr_rival", "roles": "merchant"}):
        status, refused = orders_api.call("POST", f"/orders/{order.id}/kitchen-ticket", **who)
        assert (status, refused["error"]["code"]) == (403, "NOT_YOUR_ORDER")
    assert orders_api.call("POST", f"/orders/{order.id}/kitchen-ticket", user="usr_ops", roles="admin")[0] == 200

    unconfirmed, _ = placed_order("reprint-unpaid-0001", 1)
    status, early = orders_api.call("POST", f"/orders/{unconfirmed.id}/kitchen-ticket", **OWNER)
    assert (status, early["error"]["code"]) == (409, "NOT_IN_THE_KITCHEN")
    no_printer, _ = confirmed_order()
    status, none = orders_api.call("POST", f"/orders/{no_printer.id}/kitchen-ticket", **OWNER)
    assert (status, none["error"]["code"]) == (409, "PRINTER_NOT_BOUND")
    assert orders_api.call("POST", "/orders/ord_missing/kitchen-ticket", **OWNER)[0] == 404
