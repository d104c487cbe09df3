"""WeChat subscribe messages from NotifyWorker against moto, with WeChat's API as a LocalRoute: the access token
fetched once and replaced once when refused, a refused subscription texted instead, an outage retried."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    Dropped,
    LocalRoute,
    alert_event,
    load_handler,
    make_order,
    order_event,
    sqs_event,
)

OPENID = "oCUSTOMER0123456789"


class WeChatApi:
    """Plays ``stable_token`` and ``subscribe/send``; ``send_answers`` are the errcodes of the next sends (then 0)."""

    def __init__(self, *, token_lifetime: int = 7200):
        self.token_lifetime = token_lifetime
        self.token_requests: list[dict] = []
        self.sends: list[tuple[str, dict]] = []  # (access token used, body)
        self.send_answers: list[int] = []

    def __call__(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        url = urlsplit(path)
        request = json.loads(body)
        if url.path == "/cgi-bin/stable_token":
            self.token_requests.append(request)
            answer = {"access_token": f"token-{len(self.token_requests)}", "expires_in": self.token_lifetime}
        else:
            self.sends.append((parse_qs(url.query)["access_token"][0], request))
            errcode = self.send_answers.pop(0) if self.send_answers else 0
            answer = {"errcode": errcode, "errmsg": "ok" if errcode == 0 else "refused"}
        return 200, "text/plain", json.dumps(answer).encode()


@pytest.fixture
def wechat(aws, monkeypatch):
    from paotui.accounts.records import IdentityRecord, wechat_key
    from paotui.platform.settings import get_settings

    api = WeChatApi()
    route = LocalRoute(api)
    secret = boto3.client("secretsmanager").create_secret(Name="wechat", SecretString="app-secret")["ARN"]
    monkeypatch.setenv("WECHAT_API_BASE", route.base_url)
    monkeypatch.setenv("WECHAT_APPID", "wxtest")
    monkeypatch.setenv("WECHAT_SECRET_ARN", secret)
    monkeypatch.setenv("WECHAT_SUBSCRIBE_TEMPLATES", '{"*": "tmpl-order", "late": ""}')
    get_settings.cache_clear()
    IdentityRecord(wechat_key(OPENID), user_id="usr_customer", created_at="2026-11-25T00:00:00.000Z").save()
    yield api
    route.close()


def texts() -> list[dict]:
    from paotui.notify.outbox import read

    return read(HOME["contact_phone"])


def test_a_wechat_customer_gets_subscribe_messages_with_one_access_token(wechat):
    worker = load_handler("NotifyWorker")
    order = make_order(status="DELIVERING")
    batch = sqs_event(order_event(order, "PAID", "PENDING_PAYMENT"), order_event(order, "DELIVERED", "DELIVERING"))

    assert worker(batch, LAMBDA_CONTEXT)["batchItemFailures"] == []

    assert wechat.token_requests == [{"grant_type": "client_credential", "appid": "wxtest", "secret": "app-secret"}]
    assert [token for token, _ in wechat.sends] == ["token-1", "token-1"]
    paid = wechat.sends[0][1]
    assert {key: paid[key] for key in ("touser", "template_id", "page", "miniprogram_state", "lang")} == {
        "touser": OPENID,
        "template_id": "tmpl-order",
        "page": f"pages/order/detail?id={order.id}",
        "miniprogram_state": "formal",
        "lang": "zh_CN",
    }
    assert paid["data"]["phrase2"] == {"value": "已支付"} and paid["data"]["character_string1"] == {"value": "H_0001"}
    assert texts() == [], "nothing texted"


def test_a_message_without_a_template_is_texted(wechat):
    worker = load_handler("NotifyWorker")
    order = make_order(status="DELIVERING")
    assert worker(sqs_event(alert_event(order, "late", {"promised_at": order.created_at})), LAMBDA_CONTEXT) == {
        "batchItemFailures": []
    }
    assert wechat.sends == []
    (text,) = texts()
    assert "未能在承诺的" in text["body"]


def test_an_access_token_wechat_refuses_is_replaced_once(wechat):
    wechat.send_answers = [40001]
    worker = load_handler("NotifyWorker")
    order = make_order(status="PAID")

    assert worker(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert len(wechat.token_requests) == 2
    assert [token for token, _ in wechat.sends] == ["token-1", "token-2"]


def test_a_token_refused_twice_fails_the_event_for_a_retry_which_sends_once(wechat):
    wechat.send_answers = [42001, 42001]
    worker = load_handler("NotifyWorker")
    order = make_order(status="PAID")
    event = order_event(order, "PAID", "PENDING_PAYMENT")

    with pytest.raises(BatchProcessingError):  # the whole batch failed: Lambda retries it
        worker(sqs_event(event), LAMBDA_CONTEXT)
    assert texts() == [], "an error that may pass is retried, not texted around"
    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []  # SQS delivers it again
    assert len(wechat.sends) == 3 and texts() == []


def test_a_token_that_expires_is_fetched_again():
    from paotui.notify.wechat_subscribe import WeChatSubscribeClient

    api = WeChatApi(token_lifetime=300)  # no longer than the refresh margin: stale as soon as fetched
    route = LocalRoute(api)
    try:
        client = WeChatSubscribeClient(route.base_url, "wxexpiring", lambda: "s", refresh_margin_seconds=300)
        client.send({"touser": OPENID})
        client.send({"touser": OPENID})
    finally:
        route.close()
    assert [token for token, _ in api.sends] == ["token-1", "token-2"]


@pytest.mark.parametrize(
    "dropped", [Dropped(), Dropped.midway(b'{"access_token": "tok')], ids=["no-answer", "cut-short"]
)
def test_a_connection_wechat_drops_is_a_failed_send_for_a_retry(dropped):
    from paotui.notify.wechat_subscribe import WeChatSendFailed, WeChatSubscribeClient

    route = LocalRoute(lambda _path, _headers, _body: dropped)
    try:
        with pytest.raises(WeChatSendFailed, match="WeChat unreachable"):
            WeChatSubscribeClient(route.base_url, "wxdropped", lambda: "s", timeout=2).send({"touser": OPENID})
    finally:
        route.close()


def test_a_customer_who_refused_the_subscription_is_texted_instead(wechat):
    wechat.send_answers = [43101]
    worker = load_handler("NotifyWorker")
    order = make_order(status="PAID")

    assert worker(sqs_event(order_event(order, "PAID", "PENDING_PAYMENT")), LAMBDA_CONTEXT)["batchItemFailures"] == []
    (text,) = texts()
    assert text["body"] == f"【跑腿】订单 {order.id[-6:].upper()} 已支付，等待商家接单。"


def test_a_failed_delivery_goes_by_subscribe_message_and_by_sms(wechat):
    worker = load_handler("NotifyWorker")
    order = make_order(status="DELIVERY_FAILED")
    detail = {"reason": "buyer_refused", "contact_until": "2026-11-25T04:40:00.000Z", "attempt": 1}

    assert worker(sqs_event(alert_event(order, "delivery_failed", detail)), LAMBDA_CONTEXT)["batchItemFailures"] == []
    ((_, sent),) = wechat.sends
    assert sent["data"]["phrase2"] == {"value": "配送异常"} and sent["data"]["thing3"] == {
        "value": "请在12:40前联系骑手"
    }
    (text,) = texts()
    assert "您拒收了订单" in text["body"]


def test_a_wechat_outage_is_retried_and_nothing_goes_twice(wechat):
    wechat.send_answers = [-1]  # system busy
    worker = load_handler("NotifyWorker")
    order = make_order(status="DELIVERY_FAILED")
    event = alert_event(order, "delivery_failed", {"reason": "unreachable", "contact_until": order.created_at})

    with pytest.raises(BatchProcessingError):
        worker(sqs_event(event), LAMBDA_CONTEXT)
    assert len(texts()) == 1, "texted first, whatever WeChat does"
    assert worker(sqs_event(event), LAMBDA_CONTEXT)["batchItemFailures"] == []
    assert len(wechat.sends) == 2, "the failed send, then the retry's"
    assert len(texts()) == 1, "the SMS went once"
