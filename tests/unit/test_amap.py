"""AMap's geocoding protocol without the network: the request signature, the secret, and reading its answers."""

from __future__ import annotations

import pytest

from paotui.catalog.amap import AMapConfig, Geocode, _geocode, signature


def test_the_signature_is_the_md5_of_the_sorted_pairs_then_the_private_key():
    params = {"output": "JSON", "key": "a1b2c3", "address": "北京市朝阳区阜通东大街6号"}
    # md5("address=北京市朝阳区阜通东大街6号&key=a1b2c3&output=JSON" + "priv"), over UTF-8, lower-case hex
    assert signature(params, "priv") == "2a5b56cec64919484c8dc20b5b37c369"
    assert signature({**params, "sig": "stale"}, "priv") == signature(params, "priv"), "sig itself is not signed"


def test_the_secret_turns_geocoding_on_or_leaves_it_off():
    assert AMapConfig.from_secret("{}") is None
    config = AMapConfig.from_secret('{"key": "k", "private_key": "p"}')
    assert (config.key, config.private_key, config.base_url) == ("k", "p", "https://restapi.amap.com")
    assert "k" not in repr(config) and "p'" not in repr(config), "keys stay out of logs"
    for bad in ('{"private_key": "p"}', '{"key": "k", "secret": "s"}', '{"key": ""}', "[1]"):
        with pytest.raises(ValueError):
            AMapConfig.from_secret(bad)


def test_an_answer_reads_as_places_and_empty_fields_as_empty_text():
    item = {
        "formatted_address": "上海市黄浦区福州路",
        "district": "黄浦区",
        "street": [],
        "location": "121.479800,31.234700",
        "level": "道路",
    }
    assert _geocode(item) == Geocode("上海市黄浦区福州路", 31.2347, 121.4798, "道路", "黄浦区")
    assert _geocode({**item, "district": []}).district == ""
    assert _geocode({**item, "location": []}) is None, "a geocode without a position is dropped"
    assert _geocode({**item, "location": "121.4"}) is None
