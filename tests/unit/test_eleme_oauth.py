"""Ele.me's shop authorization, the parts that need no network (orders.eleme_oauth): the authorize URL and the
signature of an API call, as Ele.me's documents lay them out."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

from paotui.orders.eleme import ElemeConfig
from paotui.orders.eleme_oauth import authorize_url, call_signature

APP = ElemeConfig(app_id="27394562", secret="eleme-test-secret", key="JMKi2sJbGu", base_url="https://sandbox.example/")


def test_the_authorize_url_asks_for_a_code_for_our_app_with_every_scope():
    url = authorize_url(APP, "https://api.example/channels/eleme/authorized", "st/ate+1")

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "sandbox.example", "/authorize")
    assert {key: values for key, values in parse_qs(parts.query).items()} == {
        "response_type": ["code"],
        "client_id": ["JMKi2sJbGu"],
        "redirect_uri": ["https://api.example/channels/eleme/authorized"],
        "state": ["st/ate+1"],
        "scope": ["all"],
    }


def test_a_call_is_signed_over_the_action_token_and_every_param_and_meta_as_json_sorted_by_key():
    metas = {"timestamp": 1700000000, "app_key": "JMKi2sJbGu"}
    params = {"shopId": 968861, "name": "老王"}
    laid_out = (
        'eleme.shop.getShoptoken-1app_key="JMKi2sJbGu"name="老王"shopId=968861timestamp=1700000000eleme-test-secret'
    )

    signature = call_signature("eleme.shop.getShop", "token-1", metas, params, APP.secret)

    assert signature == hashlib.md5(laid_out.encode()).hexdigest().upper()
