"""A provider's config read from its secret's JSON (``paotui.platform.secrets``), shared by the payment channels,
Dada and AMap."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from paotui.platform.secrets import config_from_secret, optional_config_from_secret


@dataclass(frozen=True)
class ShopConfig:
    key: str
    base_url: str = "https://provider.example"


def test_a_secret_becomes_the_config_and_empty_leaves_the_provider_off():
    assert config_from_secret(ShopConfig, '{"key": "k"}', "Shop") == ShopConfig("k")
    assert optional_config_from_secret(ShopConfig, "{}", "Shop") is None
    assert (
        optional_config_from_secret(ShopConfig, '{"key": "k", "base_url": "http://x"}', "Shop").base_url == "http://x"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"key": "k", "base_ulr": "http://x"}', "unexpected keys ['base_ulr']"),  # a misspelt optional key
        ("[1]", "not an object"),
        ('{"base_url": "http://x"}', "missing 1 required"),
    ],
)
def test_anything_else_is_refused_naming_the_provider(text: str, says: str):
    for read in (config_from_secret, optional_config_from_secret):
        with pytest.raises(ValueError, match="^Shop secret: ") as refused:
            read(ShopConfig, text, "Shop")
        assert says in str(refused.value)
