"""Dada's protocol without a network: request and callback signatures, the status table, callbacks as sent, and
how the carrier service walks our transition table to follow a carrier's status."""

from __future__ import annotations

import hashlib
import json

import pytest
from pydantic import ValidationError

from paotui.carriers.dada import (
    STATUSES,
    DadaCallback,
    DadaCarrier,
    DadaConfig,
    callback_signature,
    request_signature,
    signed_params,
)
from paotui.carriers.service import carrier_path, is_behind
from paotui.orders.transitions import Actor, Status, may_move
from paotui.platform.errors import Unauthorized

CONFIG = DadaConfig(app_key="dada1a2b3c", app_secret="s3cr3t-of-the-app", source_id="73753")
BODY = json.dumps({"order_id": "ord_0001"}, separators=(",", ":"))


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


# --- requests ---------------------------------------------------------------------------------------------------


def test_a_request_is_signed_over_its_sorted_parameters_between_two_copies_of_the_secret():
    params = signed_params(CONFIG, BODY, 1574927842)
    assert set(params) == {"app_key", "timestamp", "format", "v", "source_id", "body", "signature"}
    material = f"app_keydada1a2b3cbody{BODY}formatjsonsource_id73753timestamp1574927842v1.0"
    assert params["signature"] == md5_upper(f"s3cr3t-of-the-app{material}s3cr3t-of-the-app")


def test_a_tampered_request_or_another_secret_does_not_verify():
    params = signed_params(CONFIG, BODY, 1574927842)
    assert request_signature(params, CONFIG.app_secret) == params["signature"]
    tampered = {**params, "body": BODY.replace("0001", "0002")}
    assert request_signature(tampered, CONFIG.app_secret) != params["signature"]
    assert request_signature(params, "not-the-secret") != params["signature"]


def test_the_secret_configures_the_adapter_and_an_empty_one_leaves_it_off():
    assert DadaConfig.from_secret("{}") is None
    config = DadaConfig.from_secret(json.dumps({"app_key": "k", "app_secret": "hush-hush", "source_id": "1"}))
    assert (config.base_url, config.source_id) == ("https://newopen.imdada.cn", "1")
    assert "hush-hush" not in repr(config)  # the secret stays out of logs
    for bad in ({"app_key": "k", "app_secret": "s"}, {"app_key": "k", "app_secret": "s", "source_id": "1", "x": 1}):
        with pytest.raises(ValueError):
            DadaConfig.from_secret(json.dumps(bad))


# --- callbacks --------------------------------------------------------------------------------------------------


def sent(**fields) -> dict:
    """A callback as Dada POSTs it: numbers where Dada writes numbers."""
    body = {
        "client_id": 282367157362,
        "order_id": "ord_0001",
        "order_status": 2,
        "cancel_reason": "",
        "cancel_from": 0,
        "update_time": 1700000000,
        "dm_id": 666,
        "dm_name": "达达骑士",
        "dm_mobile": "13700000001",
        "finish_code": "",
        **fields,
    }
    if "signature" not in fields:
        body["signature"] = callback_signature(str(body["client_id"]), body["order_id"], str(body["update_time"]))
    return body


def test_the_callback_signature_is_the_md5_of_three_values_sorted_and_joined_with_no_secret():
    expected = hashlib.md5(b"1700000000282367157362ord_0001").hexdigest()
    assert callback_signature("282367157362", "ord_0001", "1700000000") == expected


def test_a_callback_as_sent_parses_and_verifies():
    callback = DadaCallback.model_validate(sent())
    assert (callback.client_id, callback.dm_id) == ("282367157362", "666")  # ids as text
    notice = DadaCarrier(CONFIG).notice(callback)
    assert (notice.order_id, notice.code, notice.order_no, notice.cancel_reason) == (
        "ord_0001",
        2,
        "282367157362",
        None,
    )
    upper = DadaCallback.model_validate(sent(signature=callback.signature.upper()))
    assert DadaCarrier(CONFIG).notice(upper).code == 2


@pytest.mark.parametrize(
    "change",
    [
        {"order_id": "ord_0002"},  # the signature was for another order
        {"update_time": 1700000001},
        {"client_id": 282367157363},
        {"signature": "0" * 32},  # signed by someone who isn't Dada
    ],
)
def test_a_tampered_or_forged_callback_is_refused(change):
    genuine = sent()
    callback = DadaCallback.model_validate({**genuine, **change})
    with pytest.raises(Unauthorized) as refused:
        DadaCarrier(CONFIG).notice(callback)
    assert refused.value.code == "INVALID_SIGNATURE"


def test_the_status_is_not_signed_which_is_why_a_callback_is_only_a_notice():
    """Dada signs neither the status nor the rider: a verified callback names an order; the carrier service asks
    Dada itself (status/query, signed with our secret) what happened to it."""
    claimed = DadaCallback.model_validate({**sent(), "order_status": 4})
    assert DadaCarrier(CONFIG).notice(claimed).code == 4


@pytest.mark.parametrize("missing", ["order_id", "order_status", "update_time", "signature"])
def test_a_callback_without_what_identifies_it_is_invalid(missing):
    body = sent()
    del body[missing]
    with pytest.raises(ValidationError):
        DadaCallback.model_validate(body)


def test_a_callback_without_a_dada_order_number_is_signed_over_an_empty_one():
    body = sent(client_id=None, signature=callback_signature("", "ord_0001", "1700000000"))
    assert DadaCarrier(CONFIG).notice(DadaCallback.model_validate(body)).order_no is None


# --- statuses ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ours", "gives_up"),
    [
        (1, Status.CONFIRMED, False),  # 待接单
        (2, Status.ASSIGNED, False),  # 待取货
        (100, Status.PICKING_UP, False),  # 骑士到店
        (3, Status.DELIVERING, False),  # 配送中
        (4, Status.DELIVERED, False),  # 已完成
        (5, Status.CANCELLED, False),  # 已取消
        (9, Status.RETURNING, False),  # 妥投异常之物品返回中
        (10, Status.RETURNED, False),  # 妥投异常之物品返回完成
        (7, None, True),  # 已过期
        (1000, None, True),  # 创建达达运单失败
        (8, None, False),  # 指派单
    ],
)
def test_dada_statuses_map_onto_ours_as_design_section_5_says(code, ours, gives_up):
    from paotui.carriers.dada import GAVE_UP

    assert STATUSES[code][1] is ours
    assert (code in GAVE_UP) is gives_up


@pytest.mark.parametrize(
    ("current", "target", "path"),
    [
        (Status.CONFIRMED, Status.ASSIGNED, [Status.ASSIGNED]),
        (Status.ASSIGNED, Status.DELIVERING, [Status.PICKING_UP, Status.DELIVERING]),  # 骑士到店 is optional
        (
            Status.CONFIRMED,
            Status.DELIVERED,
            [Status.ASSIGNED, Status.PICKING_UP, Status.DELIVERING, Status.DELIVERED],
        ),
        (Status.DELIVERING, Status.RETURNING, [Status.DELIVERY_FAILED, Status.RETURNING]),
        (Status.DELIVERING, Status.RETURNED, [Status.DELIVERY_FAILED, Status.RETURNING, Status.RETURNED]),
        (Status.PICKING_UP, Status.CANCELLED, [Status.CANCELLED]),
        (Status.DELIVERED, Status.DELIVERED, []),
    ],
)
def test_a_carrier_status_is_followed_one_table_edge_at_a_time(current, target, path):
    assert carrier_path(current, target) == path


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.DELIVERED, Status.DELIVERING),  # a late 配送中
        (Status.DELIVERING, Status.ASSIGNED),
        (Status.ASSIGNED, Status.CONFIRMED),  # Dada's rider gave it up: we don't go back
        (Status.RETURNING, Status.DELIVERING),
        (Status.CANCELLED, Status.ASSIGNED),  # our cancellation hasn't reached Dada yet
    ],
)
def test_news_older_than_ours_moves_nothing_and_is_no_exception(current, target):
    assert carrier_path(current, target) == []
    assert is_behind(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.DELIVERING, Status.CANCELLED),  # Dada cancelled what its rider is carrying
        (Status.CANCELLED, Status.DELIVERED),  # delivered an order we cancelled
        (Status.PAID, Status.ASSIGNED),  # never handed over: not the carrier's to move
    ],
)
def test_a_status_the_carrier_may_not_bring_us_to_is_an_exception(current, target):
    assert carrier_path(current, target) == []
    assert not is_behind(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.PENDING_PAYMENT, Status.PAID),
        (Status.PAID, Status.CONFIRMED),
        (Status.PAID, Status.CANCELLED),  # not the carrier's before it is handed over
        (Status.DELIVERY_FAILED, Status.DELIVERING),  # Dada has no "delivering again"
    ],
)
def test_a_carrier_moves_only_what_it_delivers(current, target):
    assert not may_move(current, target, Actor.CARRIER)
