"""A shop's food permit past its date, against moto: the shop sells nothing until a renewal is approved, and its owner
is texted ahead (PermitReminderJob)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    SignedInApi,
    load_handler,
    merchant_with_products,
    order_request,
    texts_to,
)

ADMIN = {"user": "usr_admin", "roles": "admin"}
OWNER_PHONE = "+8613800000601"


def in_days(days: int) -> str:
    from paotui.platform import clock

    return (clock.china_day(clock.now()) + timedelta(days=days)).isoformat()


def shop_with_permit(valid_until: str | None, *, name: str = "老王生煎", phone: str = OWNER_PHONE):
    """A shop with a product, whose owner has ``phone`` and whose food permit on file is valid until ``valid_until``."""
    from paotui.accounts.service import ensure_user
    from paotui.catalog.records import MerchantRecord, ShopDocumentMap

    owner = ensure_user(phone, ["merchant"])
    merchant, (product,) = merchant_with_products(10, owner_id=owner.id)
    permit = ShopDocumentMap(
        kind="food_permit",
        id="doc_01HZZZZZZZZZZZZZZZZZZZZZZZ",
        key="documents/x/permit.png",
        content_type="image/png",
        uploaded_at="2026-01-01T00:00:00.000Z",
        valid_until=valid_until,
    )
    merchant.update(actions=[MerchantRecord.name.set(name), MerchantRecord.licences.set([permit])])
    return merchant, product


def test_a_shop_whose_food_permit_lapsed_takes_no_order_shows_closed_and_sells_again_once_a_renewal_is_approved(aws):
    import boto3

    from paotui.catalog.service import nearby_merchants
    from paotui.orders import service
    from paotui.platform.settings import get_settings

    api = SignedInApi("CatalogApi")
    merchant, product = shop_with_permit(in_days(-1))
    where = {"lat": HOME["lat"], "lng": HOME["lng"]}
    quote = {"merchant_id": merchant.id, "items": [{"product_id": product.id, "quantity": 1}], "address": where}
    status, refused = api.call("POST", "/quotes", user="usr_c", roles="customer", body=quote)
    assert (status, refused["error"]["code"]) == (409, "FOOD_PERMIT_EXPIRED")
    with pytest.raises(Exception, match="food permit has lapsed"):
        service.place_order("usr_c", "lapsed-0001", order_request(merchant, (product, 1)))
    shown = api.call("GET", f"/merchants/{merchant.id}", user="usr_c", roles="customer")[1]
    assert (shown["open"], shown["food_permit_lapsed"]) == (False, True), "shown closed, and why"
    found, _ = nearby_merchants(HOME["lat"], HOME["lng"], limit=50)
    assert merchant.id not in [near.merchant.id for near in found], "customers don't find it"

    bucket = get_settings().shop_documents_bucket
    boto3.client("s3").create_bucket(Bucket=bucket)
    status, grant = api.call(
        "POST",
        "/merchants/applications/documents",
        user=merchant.owner_id,
        roles="merchant",
        body={"content_type": "image/png"},
    )
    boto3.client("s3").put_object(Bucket=bucket, Key=grant["fields"]["key"], Body=b"\x89PNG\r\n\x1a\n" + bytes(64))
    owner = {"user": merchant.owner_id, "roles": "merchant"}
    assert (
        api.call("PUT", f"/merchants/{merchant.id}/licences", **owner, body={"food_permit": grant["document_id"]})[0]
        == 200
    )
    assert api.call("POST", "/quotes", user="usr_c", roles="customer", body=quote)[0] == 409, "sent: not yet reviewed"
    decision = {"approve": True, "food_permit_valid_until": in_days(365)}
    path = f"/admin/merchants/{merchant.id}/licences/renewal/decision"
    assert api.call("POST", path, **ADMIN, body=decision)[0] == 200
    assert api.call("POST", "/quotes", user="usr_c", roles="customer", body=quote)[0] == 200, "sells again"
    found, _ = nearby_merchants(HOME["lat"], HOME["lng"], limit=50)
    assert merchant.id in [near.merchant.id for near in found]


def test_a_permit_valid_through_today_or_with_no_date_on_file_sells(aws):
    api = SignedInApi("CatalogApi")
    for valid_until in (in_days(0), None):
        merchant, product = shop_with_permit(valid_until)
        where = {"lat": HOME["lat"], "lng": HOME["lng"]}
        quote = {"merchant_id": merchant.id, "items": [{"product_id": product.id, "quantity": 1}], "address": where}
        assert api.call("POST", "/quotes", user="usr_c", roles="customer", body=quote)[0] == 200


def remind() -> dict:
    return load_handler("PermitReminderJob")({}, LAMBDA_CONTEXT)


def test_owners_are_texted_30_and_7_days_ahead_and_when_the_permit_lapsed_each_once(aws):
    shops = {
        days: shop_with_permit(in_days(days), name=f"店{days}", phone=f"+86138000007{index:02d}")[0]
        for index, days in enumerate((45, 30, 12, 7, 0, -1, -40))
    }
    assert remind() == {"sent": 6}
    texts = {days: texts_to(f"+86138000007{index:02d}") for index, days in enumerate(shops)}
    assert texts[45] == [], "not due yet"
    for days in (30, 12, 7, 0):
        (text,) = texts[days]
        assert f"将于 {in_days(days)} 到期" in text and f"「店{days}」" in text
    for days in (-1, -40):
        (text,) = texts[days]
        assert f"已于 {in_days(days)} 到期，店铺已暂停接单" in text
    assert remind() == {"sent": 0}, "each once: the next morning texts nothing new"
    assert all(len(sent) <= 1 for sent in texts.values())


def test_a_missed_reminder_is_not_sent_late_and_a_renewed_permit_is_reminded_afresh(aws):
    from paotui.catalog.records import MerchantRecord

    merchant, _ = shop_with_permit(in_days(30))
    remind()
    merchant.refresh()
    permit = merchant.licences[0]
    permit.valid_until = in_days(5)  # the 7-day reminder due: the 30-day one was sent, it is not sent again
    merchant.update(actions=[MerchantRecord.licences.set([permit])])
    remind()
    assert [("将于" in text, in_days(5) in text) for text in texts_to(OWNER_PHONE)] == [(True, False), (True, True)]
    permit.valid_until = in_days(25)  # renewed: a new permit, a new reminder
    merchant.update(actions=[MerchantRecord.licences.set([permit])])
    remind()
    assert len(texts_to(OWNER_PHONE)) == 3


def test_an_owner_whose_renewal_waits_is_not_reminded_ahead_but_is_told_when_it_lapses(aws):
    from paotui.catalog.records import LicenceRenewalMap, MerchantRecord

    soon, _ = shop_with_permit(in_days(6), phone="+8613800000611")
    lapsed, _ = shop_with_permit(in_days(-2), phone="+8613800000612")
    for merchant in (soon, lapsed):
        renewal = LicenceRenewalMap(
            status="PENDING",
            documents=[merchant.licences[0]],
            submitted_at="2026-11-01T00:00:00.000Z",
            submitted_by=merchant.owner_id,
        )
        merchant.update(actions=[MerchantRecord.licence_renewal.set(renewal)])
    assert remind() == {"sent": 1}
    assert texts_to("+8613800000611") == []
    assert len(texts_to("+8613800000612")) == 1


def test_a_text_that_fails_fails_the_run_after_the_others_and_the_retry_sends_only_it(aws, monkeypatch):
    from paotui.notify import sms

    shop_with_permit(in_days(3), phone="+8613800000621")
    shop_with_permit(in_days(3), phone="+8613800000622")
    real = sms.OutboxSmsSender.send

    def down_for_one(self, phone, message, *, data=None):
        if phone == "+8613800000621":
            raise ConnectionError("SMS gateway down")
        return real(self, phone, message, data=data)

    with monkeypatch.context() as patched:
        patched.setattr(sms.OutboxSmsSender, "send", down_for_one)
        with pytest.raises(RuntimeError, match="reminders"):
            remind()
    assert (len(texts_to("+8613800000621")), len(texts_to("+8613800000622"))) == (0, 1)
    assert remind() == {"sent": 1}, "Lambda's retry: only the one that failed"
    assert (len(texts_to("+8613800000621")), len(texts_to("+8613800000622"))) == (1, 1)
