"""Money over HTTP: WeChat Pay and Alipay through their local fakes, refunds, and a payment racing the timeout.

The fakes sign like the providers; ``POST /dev/pay/<channel>/<trade>`` is the
payer paying on their phone, after which the provider's signed callback
reaches ``/payments/notify/<channel>`` as it would in AWS.
"""

from __future__ import annotations

import pytest

from paotui_local.harness import wait_for
from tests.e2e.conftest import module_cloud

pytestmark = pytest.mark.e2e


# Time enough to pay before the payment timeout on a busy machine, short enough to see it fire.
cloud = module_cloud({"PAYMENT_TIMEOUT_SECONDS": "15"})


def _order_for(cloud, customer, quantity: int = 1) -> tuple[dict, dict]:
    seed = cloud.seed()
    merchant = seed["merchants"][0]
    address = seed["customers"][0]["address"]
    placed = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][1]["id"], "quantity": quantity}], address
    )
    assert placed.status_code == 201, placed.text
    return placed.json(), merchant


def _money(user, order_id: str) -> dict:
    response = user.get(f"/orders/{order_id}/payments")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_wechat_customer_pays_with_wechat_pay_and_a_rejected_order_is_refunded(cloud):
    customer = cloud.login_with_wechat()
    order, merchant = _order_for(cloud, customer)
    pay = customer.post(f"/orders/{order['id']}/pay", json={"channel": "wechat"})
    assert pay.status_code == 200, pay.text
    params = pay.json()["params"]
    assert params["signType"] == "RSA" and params["package"].startswith("prepay_id=") and params["paySign"]
    assert customer.order(order["id"])["status"] == "PENDING_PAYMENT"

    assert cloud.pay_at_provider("wechat", order["id"])["acknowledged"] is True
    assert customer.order(order["id"])["status"] == "PAID"

    owner = cloud.login(merchant["phone"])
    rejected = owner.post(f"/orders/{order['id']}/cancel", json={"reason": "售罄"})
    assert rejected.status_code == 200, rejected.text
    refunds = wait_for(
        lambda: [r for r in _money(customer, order["id"])["refunds"] if r["status"] == "SUCCEEDED"] or None,
        what="the cancellation refund",
    )
    assert [(r["amount"], r["channel"]) for r in refunds] == [(order["amounts"]["total"], "wechat")]


def test_an_sms_customer_cannot_use_wechat_pay(cloud):
    customer = cloud.login(cloud.seed()["customers"][1]["phone"])
    order, _ = _order_for(cloud, customer)
    refused = customer.post(f"/orders/{order['id']}/pay", json={"channel": "wechat"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "WECHAT_LOGIN_REQUIRED"


def test_alipay_then_a_partial_refund_by_the_merchant_once_per_key(cloud):
    customer = cloud.login(cloud.seed()["customers"][0]["phone"])
    order, merchant = _order_for(cloud, customer, quantity=2)
    pay = customer.post(f"/orders/{order['id']}/pay", json={"channel": "alipay"})
    assert pay.status_code == 200 and pay.json()["params"]["qr_code"], pay.text
    cloud.pay_at_provider("alipay", order["id"])
    assert customer.order(order["id"])["status"] == "PAID"

    owner = cloud.login(merchant["phone"])
    headers = {"Idempotency-Key": f"refund-{order['id']}"}
    body = {"amount": 100, "reason": "少放一双筷子"}
    first = owner.post(f"/orders/{order['id']}/refunds", json=body, headers=headers)
    again = owner.post(f"/orders/{order['id']}/refunds", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["refund_id"] == again.json()["refund_id"] and first.json()["status"] == "SUCCEEDED"
    too_much = owner.post(
        f"/orders/{order['id']}/refunds",
        json={"amount": order["amounts"]["total"], "reason": "x"},
        headers={"Idempotency-Key": f"refund-2-{order['id']}"},
    )
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "REFUND_EXCEEDS_PAYMENT"
    customer_tries = customer.post(f"/orders/{order['id']}/refunds", json=body, headers={"Idempotency-Key": "k" * 10})
    assert customer_tries.status_code == 403
    money = _money(customer, order["id"])
    assert [(p["channel"], p["refunded"]) for p in money["payments"]] == [("alipay", 100)]


def test_a_payment_whose_callback_is_lost_is_found_by_the_timeout_and_the_order_goes_on(cloud):
    """The payer pays just before the deadline and WeChat's callback never comes: closing the trade finds it paid."""
    customer = cloud.login_with_wechat()
    order, _ = _order_for(cloud, customer)
    assert customer.post(f"/orders/{order['id']}/pay", json={"channel": "wechat"}).status_code == 200
    cloud.pay_at_provider("wechat", order["id"], notify=False)
    timeout = int(cloud.timers["PAYMENT_TIMEOUT_SECONDS"])
    paid = wait_for(
        lambda: customer.order(order["id"])["status"] == "PAID" or None,
        what="the timeout's query",
        timeout=timeout + 30,
    )
    assert paid
    timeline = customer.order(order["id"])["timeline"]
    assert [entry["status"] for entry in timeline] == ["PENDING_PAYMENT", "PAID"]
    assert [p["status"] for p in _money(customer, order["id"])["payments"]] == ["SUCCEEDED"]


def test_money_arriving_after_a_cancellation_is_refunded_and_the_order_stays_cancelled(cloud):
    """The customer cancels with Alipay's payment code still on screen, then pays it anyway."""
    customer = cloud.login(cloud.seed()["customers"][0]["phone"])
    order, _ = _order_for(cloud, customer)
    assert customer.post(f"/orders/{order['id']}/pay", json={"channel": "alipay"}).status_code == 200
    cancelled = customer.post(f"/orders/{order['id']}/cancel", json={"reason": "不想要了"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED", cancelled.text
    cloud.pay_at_provider("alipay", order["id"])  # an unscanned Alipay code stays payable after the close
    money = wait_for(
        lambda: (m := _money(customer, order["id"]))["refunds"] and m["refunds"][0]["status"] == "SUCCEEDED" and m,
        what="the late payment's refund",
    )
    assert [p["status"] for p in money["payments"]] == ["SUCCEEDED"]
    assert money["refunds"][0]["amount"] == order["amounts"]["total"]
    assert customer.order(order["id"])["status"] == "CANCELLED"
