"""Rider push without AWS: platform message shapes, device ids, token formats, senders, inbox cursors, timers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from cfnlint.decode import cfn_yaml

from paotui.notify import inbox, push
from paotui.notify.channels import CHANNELS, Platform, PushMessage, channel_for
from paotui.notify.devices import device_id
from paotui.platform.errors import Unprocessable
from paotui.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = PushMessage.of(
    "新订单", "取货：老王生煎", {"type": "offer", "offer_id": "ofr_1", "fee": 650, "bundle_id": None}
)


def test_a_message_leaves_out_unset_data():
    assert MESSAGE.data == {"type": "offer", "offer_id": "ofr_1", "fee": 650}


def test_fcm_gets_a_notification_and_string_data_under_gcm():
    sent = json.loads(channel_for("fcm").sns_message(MESSAGE))
    assert set(sent) == {"default", "GCM"}
    assert sent["default"] == "取货：老王生煎"
    assert json.loads(sent["GCM"]) == {
        "notification": {"title": "新订单", "body": "取货：老王生煎"},
        "data": {"type": "offer", "offer_id": "ofr_1", "fee": "650"},
    }


@pytest.mark.parametrize(("platform", "key"), [("apns", "APNS"), ("apns_sandbox", "APNS_SANDBOX")])
def test_apns_gets_an_alert_with_the_data_beside_it(platform, key):
    sent = json.loads(channel_for(platform).sns_message(MESSAGE))
    assert set(sent) == {"default", key}
    assert json.loads(sent[key]) == {
        "aps": {"alert": {"title": "新订单", "body": "取货：老王生煎"}, "sound": "default"},
        "type": "offer",
        "offer_id": "ofr_1",
        "fee": 650,
    }


def test_every_platform_the_api_accepts_has_a_channel():
    assert set(CHANNELS) == set(get_args(Platform))


def test_a_device_id_is_stable_per_platform_and_token():
    assert device_id("fcm", "token-a") == device_id("fcm", "token-a")
    assert device_id("fcm", "token-a").startswith("dev_")
    assert len({device_id("fcm", "token-a"), device_id("fcm", "token-b"), device_id("apns", "token-a")}) == 3


@pytest.mark.parametrize(
    ("platform", "token"),
    [
        ("apns", "zz" * 32),  # not hex
        ("apns", "ab" * 31),  # too short
        ("apns", "a" * 65),  # odd length
        ("fcm", "short"),
        ("fcm", "has/slash" * 5),
    ],
)
def test_a_token_of_the_wrong_shape_is_refused_before_sns_is_asked(platform, token):
    settings = Settings(fcm_platform_application_arn="arn:fcm", apns_platform_application_arn="arn:apns")
    with pytest.raises(Unprocessable) as refused:
        CHANNELS[platform](settings).endpoint_for(token)
    assert refused.value.code == "PUSH_TOKEN_INVALID"


def test_a_platform_without_an_application_is_not_configured():
    with pytest.raises(Unprocessable) as refused:
        CHANNELS["apns_sandbox"](Settings()).endpoint_for("ab" * 32)
    assert (refused.value.code, refused.value.details) == ("PUSH_PLATFORM_NOT_CONFIGURED", {"platform": "apns_sandbox"})


def test_push_sender_kinds_name_their_outlets(monkeypatch):
    from paotui.platform.settings import get_settings

    expected = {
        "sns": (push.to_devices,),
        "outbox": (push.to_outbox,),
        "sns+outbox": (push.to_devices, push.to_outbox),
    }
    try:
        for kind, outlets in expected.items():
            monkeypatch.setenv("PUSH_SENDER", kind)
            get_settings.cache_clear()
            assert push.get_push_sender().outlets == outlets
        monkeypatch.setenv("PUSH_SENDER", "carrier-pigeon")
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="carrier-pigeon"):
            push.get_push_sender()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_an_inbox_cursor_is_opaque_and_checked():
    entry = "msg#2026-03-01T04:00:30.000Z#msg_1"
    assert inbox._entry_of(inbox._cursor_of(entry)) == entry
    for forged in ("not base64!", inbox._cursor_of("read"), inbox._cursor_of("once#offer_sms:ofr_1")):
        with pytest.raises(Unprocessable) as refused:
            inbox._entry_of(forged)
        assert refused.value.code == "INVALID_CURSOR"


def test_the_sms_fallback_comes_before_the_offer_expires_by_default_and_locally():
    from paotui_local.cloud import LOCAL_PARAMETERS

    parameters = cfn_yaml.load(str(ROOT / "template.yaml"))["Parameters"]
    fallback, ttl = parameters["OfferSmsFallbackSeconds"], parameters["OfferTtlSeconds"]
    assert int(fallback["Default"]) == Settings.model_fields["offer_sms_fallback_seconds"].default
    assert int(fallback["Default"]) < int(ttl["Default"])
    assert fallback["MaxValue"] <= 900  # SQS DelaySeconds
    assert int(LOCAL_PARAMETERS["OfferSmsFallbackSeconds"]) < int(LOCAL_PARAMETERS["OfferTtlSeconds"])
