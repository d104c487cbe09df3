"""Keyword search over merchant and product names, for ``GET /merchants?q=``.

There is no search index: the keyword filters the merchants already found
near the point (a few dozen at most, bounded by the widest delivery radius),
so a substring test is cheap enough and works for Chinese, which has no
spaces to split words on. A merchant's products are read only when its own
name does not match.
"""

from __future__ import annotations

import unicodedata

from paotui.catalog.records import MerchantRecord, ProductRecord


def folded(text: str) -> str:
    """``text`` for comparing: full-width forms made plain (ＫＦＣ → KFC) and case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def matches(merchant: MerchantRecord, keyword: str) -> bool:
    """The merchant's name, or the name of a product it has on sale, contains ``keyword``."""
    wanted = folded(keyword)
    if wanted in folded(merchant.name):
        return True
    return any(product.on_sale and wanted in folded(product.name) for product in ProductRecord.query(merchant.id))
