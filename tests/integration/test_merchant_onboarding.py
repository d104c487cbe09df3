"""Opening shops against moto, through CatalogApi: a user applies (入驻申请), operators approve or decline, and
register shops by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.integration.builders import LAMBDA_CONTEXT, SHOP, SignedInApi, answer, api_event, texts_to

ADMIN = {"user": "usr_admin", "roles": "admin"}
SHOP_FORM = {
    "name": "阿婆馄饨",
    "phone": "+862163210000",
    "address": "上海市黄浦区福州路 88 号",
    "location": {"lat": SHOP["lat"], "lng": SHOP["lng"]},
    "note": "小吃，营业执照 91310101MA1FP0000X",
}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
KINDS = ("business_licence", "food_permit")


def in_days(days: int) -> str:
    """The China day ``days`` from today, as a licence's date reads."""
    from paotui.platform import clock

    return (clock.china_day(clock.now()) + timedelta(days=days)).isoformat()


@pytest.fixture
def api(aws) -> SignedInApi:
    import boto3

    from paotui.platform.settings import get_settings

    boto3.client("s3").create_bucket(Bucket=get_settings().shop_documents_bucket)
    return SignedInApi("CatalogApi")


def user(phone: str | None = "+8613800000556"):
    from paotui.accounts.service import ensure_user
    from paotui.accounts.users import user_for_identity

    return ensure_user(phone, ["customer"]) if phone else user_for_identity("wechat#no-phone")


def roles_of(user_id: str) -> list[str]:
    from paotui.accounts.users import get_user

    return list(get_user(user_id).roles)


def apply(api, applicant, form: dict = SHOP_FORM, *, documents: tuple[str, ...] = KINDS):
    """Apply with ``form`` and a licence freshly uploaded for each of ``documents``' kinds."""
    body = {**form, "documents": {kind: uploaded(api, applicant) for kind in documents}} if documents else form
    return api.call("POST", "/merchants/applications", user=applicant.id, roles="customer", body=body)


def uploaded(api, applicant, content: bytes = PNG, content_type: str = "image/png") -> str:
    """A document id whose file the browser has posted (here: put straight into the upload key)."""
    import boto3

    status, grant = api.call(
        "POST",
        "/merchants/applications/documents",
        user=applicant.id,
        roles="customer",
        body={"content_type": content_type},
    )
    assert status == 201, grant
    boto3.client("s3").put_object(Bucket=_bucket(), Key=grant["fields"]["key"], Body=content)
    return grant["document_id"]


def _bucket() -> str:
    from paotui.platform.settings import get_settings

    return get_settings().shop_documents_bucket


def _keys(prefix: str) -> list[str]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=_bucket(), Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def without_links(application: dict) -> dict:
    """The application as read, but for its documents' links, which are signed afresh at each read."""
    return {**application, "documents": [{**d, "url": None} for d in application["documents"]]}


def decide(api, applicant_id: str, **decision):
    """The operator's decision; approving reads a food permit valid for two years unless ``decision`` says."""
    if decision.get("approve"):
        decision.setdefault("food_permit_valid_until", in_days(730))
    return api.call("POST", f"/admin/merchant-applications/{applicant_id}/decision", **ADMIN, body=decision)


def test_a_user_applies_changes_the_application_and_an_operator_approves_it_into_an_open_shop(api):
    applicant = user()
    status, application = apply(api, applicant)
    assert status == 201
    assert (application["status"], application["applicant_phone"], application["merchant_id"]) == (
        "PENDING",
        "+8613800000556",
        None,
    )
    status, changed = apply(api, applicant, {**SHOP_FORM, "name": "阿婆鲜肉馄饨"})
    assert status == 200 and changed["created_at"] == application["created_at"], "the same application, changed"
    pending = api.call("GET", "/admin/merchant-applications", **ADMIN, query={"status": "PENDING"})[1]["items"]
    assert [item["name"] for item in pending if item["applicant_id"] == applicant.id] == ["阿婆鲜肉馄饨"]

    status, approved = decide(api, applicant.id, approve=True)
    assert status == 200 and approved["status"] == "APPROVED" and approved["decided_by"] == "usr_admin"
    assert "merchant" in roles_of(applicant.id)
    merchant_id = approved["merchant_id"]
    status, shop = api.call("GET", f"/merchants/{merchant_id}", user=applicant.id, roles="customer")
    assert status == 200
    assert (shop["name"], shop["phone"], shop["address"], shop["paused"]) == (
        "阿婆鲜肉馄饨",
        "+862163210000",
        "上海市黄浦区福州路 88 号",
        False,
    )
    mine = api.call("GET", "/merchants/mine", user=applicant.id, roles="customer,merchant")[1]
    assert [m["id"] for m in mine] == [merchant_id], "the owner runs it in the console"
    nearby = api.call("GET", "/merchants", user=applicant.id, roles="customer", query=SHOP_QUERY)[1]
    assert merchant_id in [card["id"] for card in nearby["items"]], "customers find it"

    status, again = decide(api, applicant.id, approve=True)
    assert (status, without_links(again)) == (200, without_links(approved)), "deciding again answers the decision"
    status, refused = decide(api, applicant.id, approve=False, reason="改主意")
    assert (status, refused["error"]["code"]) == (409, "ALREADY_DECIDED")
    status, again = apply(api, applicant)
    assert (status, again["error"]["code"]) == (409, "ALREADY_A_MERCHANT")
    assert again["error"]["details"]["merchant_id"] == merchant_id


SHOP_QUERY = {"lat": str(SHOP["lat"]), "lng": str(SHOP["lng"])}


def test_a_declined_applicant_reads_why_and_applies_again(api):
    applicant = user("+8613800000557")
    apply(api, applicant)
    status, missing = decide(api, applicant.id, approve=False)
    assert (status, missing["error"]["code"]) == (422, "VALIDATION_ERROR"), "declining needs a reason"
    status, declined = decide(api, applicant.id, approve=False, reason="营业执照不清晰，请重新上传")
    assert (status, declined["status"]) == (200, "DECLINED")
    status, mine = api.call("GET", "/merchants/applications/mine", user=applicant.id, roles="customer")
    assert (mine["status"], mine["reason"]) == ("DECLINED", "营业执照不清晰，请重新上传")
    assert "merchant" not in roles_of(applicant.id)

    status, renewed = apply(api, applicant)
    assert status == 201 and renewed["status"] == "PENDING" and renewed["reason"] is None
    assert decide(api, applicant.id, approve=True)[1]["status"] == "APPROVED"
    assert decide(api, applicant.id, approve=True)[0] == 200, "the operator's second click"
    assert texts_to("+8613800000557") == [
        "您的店铺「阿婆馄饨」未通过审核：营业执照不清晰，请重新上传。您可修改后重新申请。",
        "您的店铺「阿婆馄饨」已通过审核，请重新登录商家后台开始营业。",
    ], "each decision texted once"


def test_a_decision_stands_when_its_text_fails_and_deciding_again_texts_it(api, monkeypatch):
    from paotui.notify import texts

    class Down:
        def send(self, phone: str, message: str, *, data=None) -> None:
            raise ConnectionError("SNS unreachable")

    applicant, working = user("+8613800000559"), texts.get_sms_sender
    apply(api, applicant)
    monkeypatch.setattr(texts, "get_sms_sender", Down)
    assert decide(api, applicant.id, approve=True)[1]["status"] == "APPROVED"
    assert texts_to("+8613800000559") == []
    monkeypatch.setattr(texts, "get_sms_sender", working)
    assert decide(api, applicant.id, approve=True)[0] == 200
    assert texts_to("+8613800000559") == ["您的店铺「阿婆馄饨」已通过审核，请重新登录商家后台开始营业。"]


def test_applying_needs_a_phone_and_a_complete_shop_and_operators_decide(api):
    nobody = user(None)
    status, refused = apply(api, nobody)
    assert (status, refused["error"]["code"]) == (409, "PHONE_REQUIRED")
    applicant = user("+8613800000558")
    for broken in ({**SHOP_FORM, "phone": "63210000"}, {**SHOP_FORM, "name": ""}, {**SHOP_FORM, "location": None}):
        assert apply(api, applicant, broken)[0] == 422
    status, none = api.call("GET", "/merchants/applications/mine", user=applicant.id, roles="customer")
    assert (status, none["error"]["code"]) == (404, "APPLICATION_NOT_FOUND"), "nothing was stored"
    apply(api, applicant)
    as_customer = api.call(
        "POST",
        f"/admin/merchant-applications/{applicant.id}/decision",
        user=applicant.id,
        roles="customer",
        body={"approve": True},
    )
    assert as_customer[0] == 403
    assert decide(api, "usr_nobody", approve=True)[0] == 404


def test_an_approval_retried_after_a_crash_makes_one_shop_showing_the_licences_it_was_approved_by(api, monkeypatch):
    from paotui.catalog import onboarding
    from paotui.catalog.records import MerchantRecord

    applicant = user("+8613800000559")
    apply(api, applicant)

    def crash(*_args, **_kwargs):
        raise RuntimeError("the function timed out")

    with monkeypatch.context() as patched:  # the shop made, the application not yet marked
        patched.setattr(onboarding.MerchantApplicationRecord, "update", crash)
        with pytest.raises(RuntimeError):
            valid_until = {"food_permit": date.fromisoformat(in_days(365))}
            onboarding.decide(applicant.id, approve=True, reason=None, by="usr_admin", valid_until=valid_until)
    permit = uploaded(api, applicant)  # the applicant puts in another permit before the operator clicks again
    assert apply(api, applicant, {**SHOP_FORM, "documents": {"food_permit": permit}}, documents=())[0] == 200
    status, approved = decide(api, applicant.id, approve=True)
    assert status == 200
    owned = list(MerchantRecord.by_owner.query(applicant.id))
    assert [merchant.id for merchant in owned] == [approved["merchant_id"]]
    shown = [(d["kind"], d["document_id"]) for d in anyone(api, f"/merchants/{approved['merchant_id']}/licences")[1]]
    assert shown == [(d["kind"], d["document_id"]) for d in approved["documents"]], "what it was approved by"
    assert shown[1] == ("food_permit", permit)


def mine(api, applicant) -> dict:
    return api.call("GET", "/merchants/applications/mine", user=applicant.id, roles="customer")[1]


def test_an_approval_needs_both_licences_which_the_applicant_may_add_one_at_a_time(api):
    import requests

    applicant = user("+8613800000561")
    status, application = apply(api, applicant, documents=())
    assert (status, application["documents"]) == (201, [])
    status, refused = decide(api, applicant.id, approve=True)
    assert (status, refused["error"]["code"]) == (409, "DOCUMENTS_MISSING")
    assert refused["error"]["details"] == {"missing": ["business_licence", "food_permit"]}

    licence = uploaded(api, applicant)
    half = apply(api, applicant, {**SHOP_FORM, "documents": {"business_licence": licence}}, documents=())[1]
    assert [document["kind"] for document in half["documents"]] == ["business_licence"]
    assert decide(api, applicant.id, approve=True)[1]["error"]["details"] == {"missing": ["food_permit"]}
    permit = uploaded(api, applicant, b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg")
    whole = apply(api, applicant, {**SHOP_FORM, "documents": {"food_permit": permit}}, documents=())[1]
    assert [(d["kind"], d["document_id"], d["content_type"]) for d in whole["documents"]] == [
        ("business_licence", licence, "image/png"),
        ("food_permit", permit, "image/jpeg"),
    ], "a kind left out keeps the licence given before"
    assert _keys("uploads/") == [] and len(_keys(f"documents/{applicant.id}/")) == 2, "kept, the uploads gone"
    assert requests.get(whole["documents"][0]["url"], timeout=5).content == PNG, "the link reads the licence"

    listed = api.call("GET", "/admin/merchant-applications", **ADMIN, query={"status": "PENDING"})[1]["items"]
    (seen,) = [item for item in listed if item["applicant_id"] == applicant.id]
    assert [d["document_id"] for d in seen["documents"]] == [licence, permit], "operators see them"
    assert decide(api, applicant.id, approve=True)[1]["status"] == "APPROVED"


def test_bad_licences_are_422_and_change_nothing(api):
    from paotui.platform.settings import get_settings

    applicant, other = user("+8613800000562"), user("+8613800000563")
    apply(api, applicant, documents=())
    before = mine(api, applicant)
    good = uploaded(api, applicant)
    refusals = {
        "doc_" + "0" * 26: "DOCUMENT_NOT_UPLOADED",
        uploaded(api, other): "DOCUMENT_NOT_UPLOADED",  # another user's upload: looked up under the caller
        uploaded(api, applicant, b"GIF89a not allowed"): "INVALID_DOCUMENT",
        uploaded(api, applicant, PNG + b"\x00" * get_settings().document_max_bytes): "DOCUMENT_TOO_LARGE",
    }
    for document_id, code in refusals.items():
        changed = {**SHOP_FORM, "name": "改了名", "documents": {"business_licence": good, "food_permit": document_id}}
        status, refused = apply(api, applicant, changed, documents=())
        assert (status, refused["error"]["code"]) == (422, code)
        assert refused["error"]["details"]["kind"] == "food_permit"
    for broken in ({"business_licence": "../elsewhere"}, {"permit": good}):
        assert apply(api, applicant, {**SHOP_FORM, "documents": broken}, documents=())[0] == 422
    grant = {"content_type": "image/gif"}
    call = api.call("POST", "/merchants/applications/documents", user=applicant.id, roles="customer", body=grant)
    assert call[0] == 422

    assert mine(api, applicant) == before, "the application as it was"
    assert _keys("documents/") == [], "nothing copied"
    assert _keys(f"uploads/{applicant.id}/") == [f"uploads/{applicant.id}/{good}"], "the bad uploads deleted"


def test_a_replaced_licence_stays_on_record_and_a_failed_write_leaves_its_upload_to_retry(api, monkeypatch):
    from paotui.catalog.records import MerchantApplicationRecord

    applicant = user("+8613800000564")
    first = apply(api, applicant)[1]
    kept = _keys(f"documents/{applicant.id}/")
    licence = uploaded(api, applicant)
    again = {**SHOP_FORM, "documents": {"business_licence": licence}}

    def throttled(*_args, **_kwargs):
        raise RuntimeError("ProvisionedThroughputExceededException")

    with monkeypatch.context() as patched:  # the copy made, the application not written
        patched.setattr(MerchantApplicationRecord, "save", throttled)
        with pytest.raises(RuntimeError):
            apply(api, applicant, again, documents=())
    assert _keys(f"documents/{applicant.id}/") == kept, "its copy deleted"
    assert _keys("uploads/") == [f"uploads/{applicant.id}/{licence}"], "the upload there for the retry"

    status, replaced = apply(api, applicant, again, documents=())
    assert status == 200
    ids = {d["kind"]: d["document_id"] for d in replaced["documents"]}
    assert ids == {"business_licence": licence, "food_permit": first["documents"][1]["document_id"]}
    now = _keys(f"documents/{applicant.id}/")
    assert len(now) == 3 and set(kept) < set(now), "the replaced licence stays on record"
    assert _keys("uploads/") == []


def test_two_requests_applying_with_one_upload_at_once_leave_the_winners_copy(api, monkeypatch):
    """A double submit: both check and copy the same upload, one writes, the other finds the application changed
    (409). The loser deletes only its own copy: the winner's application still reads its licence."""
    import requests

    from paotui.catalog import onboarding
    from paotui.catalog.records import MerchantApplicationRecord

    applicant = user("+8613800000565")
    apply(api, applicant, documents=())
    licence = uploaded(api, applicant)
    shop = {**SHOP_FORM, "documents": {"business_licence": licence}}
    save, raced = MerchantApplicationRecord.save, []

    def the_other_lands_first(record, *args, **kwargs):
        if not raced:
            raced.append(True)
            onboarding.apply(applicant.id, shop)
        return save(record, *args, **kwargs)

    monkeypatch.setattr(MerchantApplicationRecord, "save", the_other_lands_first)
    status, lost = apply(api, applicant, shop, documents=())
    assert (status, lost["error"]["code"]) == (409, "APPLICATION_CHANGED")
    (document,) = mine(api, applicant)["documents"]
    assert requests.get(document["url"], timeout=5).content == PNG


def anyone(api, path: str) -> tuple[int, object]:
    """A call without signing in, as a customer's mini-program browses."""
    return answer(api.handler(api_event("GET", path, authorizer=None), LAMBDA_CONTEXT))


def test_a_shop_shows_the_licences_it_was_approved_by_to_anyone_and_its_owner_renews_them_once_reviewed(api):
    import requests

    applicant = user("+8613800000566")
    application = apply(api, applicant)[1]
    until = in_days(400)
    merchant_id = decide(api, applicant.id, approve=True, food_permit_valid_until=until)[1]["merchant_id"]
    path = f"/merchants/{merchant_id}/licences"
    status, shown = anyone(api, path)
    assert status == 200
    licence, permit_before = (d["document_id"] for d in application["documents"])
    assert [(d["kind"], d["document_id"], d["valid_until"]) for d in shown] == [
        ("business_licence", licence, None),
        ("food_permit", permit_before, until),
    ], "what the application was approved by, dated as the operator read it (the licence 长期: no date)"
    assert requests.get(shown[1]["url"], timeout=5).content == PNG
    listed = api.call("GET", "/admin/merchants", **ADMIN, query={"name": "阿婆"})[1]["items"]
    (shop,) = [item for item in listed if item["id"] == merchant_id]
    assert [d["kind"] for d in shop["licences"]] == ["business_licence", "food_permit"], "operators see them"
    assert shop["licence_renewal"] is None

    owner = {"user": applicant.id, "roles": "customer,merchant"}
    status, none = api.call("GET", f"{path}/renewal", **owner)
    assert (status, none["error"]["code"]) == (404, "RENEWAL_NOT_FOUND")
    permit = uploaded(api, applicant, b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg")
    status, renewal = api.call("PUT", path, **owner, body={"food_permit": permit})
    assert (status, renewal["status"], renewal["submitted_by"]) == (200, "PENDING", applicant.id)
    assert [(d["kind"], d["document_id"], d["content_type"]) for d in renewal["documents"]] == [
        ("food_permit", permit, "image/jpeg")
    ]
    on_file = [(d["kind"], d["document_id"]) for d in anyone(api, path)[1]]
    assert on_file == [("business_licence", licence), ("food_permit", permit_before)], "until an operator approves"
    assert api.call("GET", f"{path}/renewal", **owner)[1]["documents"][0]["document_id"] == permit

    waiting = api.call("GET", "/admin/merchants", **ADMIN, query={"renewal_pending": "true"})[1]["items"]
    (shop,) = [item for item in waiting if item["id"] == merchant_id]
    assert shop["licence_renewal"]["status"] == "PENDING", "operators find the shops whose renewal waits"
    decision = f"/admin/merchants/{merchant_id}/licences/renewal/decision"
    status, refused = api.call("POST", decision, **ADMIN, body={"approve": True})
    assert (status, refused["error"]["code"]) == (422, "VALID_UNTIL_REQUIRED"), "the permit's date, as it reads"
    later = {"approve": True, "food_permit_valid_until": in_days(1800)}
    status, approved = api.call("POST", decision, **ADMIN, body=later)
    assert (status, approved["status"], approved["decided_by"]) == (200, "APPROVED", "usr_admin")
    assert [(d["kind"], d["document_id"], d["valid_until"]) for d in anyone(api, path)[1]] == [
        ("business_licence", licence, None),
        ("food_permit", permit, in_days(1800)),
    ], "the renewed permit on file, the licence left out as it was"
    status, again = api.call("POST", decision, **ADMIN, body=later)
    assert (status, without_links(again)) == (200, without_links(approved)), "the second click: the decision"
    status, other = api.call("POST", decision, **ADMIN, body={"approve": False, "reason": "看不清"})
    assert (status, other["error"]["code"]) == (409, "ALREADY_DECIDED")
    waiting = api.call("GET", "/admin/merchants", **ADMIN, query={"renewal_pending": "true"})[1]["items"]
    assert merchant_id not in [item["id"] for item in waiting]

    stranger = user("+8613800000567")
    theirs = uploaded(api, stranger)
    refused = api.call("PUT", path, user=stranger.id, roles="merchant", body={"food_permit": theirs})
    assert (refused[0], refused[1]["error"]["code"]) == (403, "NOT_YOUR_MERCHANT")
    assert api.call("PUT", path, user=stranger.id, roles="customer", body={"food_permit": theirs})[0] == 403
    assert api.call("GET", f"{path}/renewal", user=stranger.id, roles="merchant")[0] == 403
    assert api.call("POST", decision, user=applicant.id, roles="merchant", body=later)[0] == 403
    status, missing = api.call("PUT", path, **owner, body={"food_permit": theirs})
    assert (status, missing["error"]["code"]) == (422, "DOCUMENT_NOT_UPLOADED"), "another user's upload"
    status, nothing = api.call("PUT", path, **owner, body={})
    assert (status, nothing["error"]["code"]) == (422, "NOTHING_TO_RENEW")
    assert api.call("GET", f"{path}/renewal", **owner)[1]["status"] == "APPROVED", "unchanged"
    assert anyone(api, "/merchants/mer_none/licences")[0] == 404


def test_a_declined_renewal_keeps_the_licences_on_file_and_its_owner_reads_why_and_sends_another(api):
    applicant = user("+8613800000569")
    apply(api, applicant)
    merchant_id = decide(api, applicant.id, approve=True)[1]["merchant_id"]
    path = f"/merchants/{merchant_id}/licences"
    on_file = [d["document_id"] for d in anyone(api, path)[1]]
    owner = {"user": applicant.id, "roles": "merchant"}
    licence = uploaded(api, applicant)
    api.call("PUT", path, **owner, body={"business_licence": licence})
    permit = uploaded(api, applicant)
    both = api.call("PUT", path, **owner, body={"food_permit": permit})[1]
    assert [d["document_id"] for d in both["documents"]] == [licence, permit], "added one at a time"

    decision = f"/admin/merchants/{merchant_id}/licences/renewal/decision"
    status, refused = api.call("POST", decision, **ADMIN, body={"approve": False})
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR"), "declining needs a reason"
    yesterday = {"approve": True, "food_permit_valid_until": in_days(-1)}
    status, lapsed = api.call("POST", decision, **ADMIN, body=yesterday)
    assert (status, lapsed["error"]["code"]) == (422, "LICENCE_EXPIRED")
    assert lapsed["error"]["details"] == {"kind": "food_permit", "valid_until": in_days(-1)}
    status, declined = api.call("POST", decision, **ADMIN, body={"approve": False, "reason": "许可证照片模糊"})
    assert (status, declined["status"], declined["reason"]) == (200, "DECLINED", "许可证照片模糊")
    assert api.call("GET", f"{path}/renewal", **owner)[1]["reason"] == "许可证照片模糊", "the owner reads why"
    assert [d["document_id"] for d in anyone(api, path)[1]] == on_file, "on file: unchanged"

    clearer = uploaded(api, applicant)
    status, renewal = api.call("PUT", path, **owner, body={"food_permit": clearer})
    assert (status, renewal["status"], renewal["reason"]) == (200, "PENDING", None)
    assert [d["document_id"] for d in renewal["documents"]] == [clearer], "a new renewal, not the declined one"
    today = {"approve": True, "food_permit_valid_until": in_days(0)}
    status, approved = api.call("POST", decision, **ADMIN, body=today)
    assert (status, approved["documents"][0]["valid_until"]) == (200, in_days(0)), "valid through its last day"
    assert api.call("POST", "/admin/merchants/mer_none/licences/renewal/decision", **ADMIN, body=today)[0] == 404


def test_a_renewal_changed_by_its_owner_while_an_operator_decides_is_refused_to_read_again(api, monkeypatch):
    from paotui.catalog import licences
    from paotui.catalog.lookup import get_merchant

    applicant = user("+8613800000571")
    apply(api, applicant)
    merchant_id = decide(api, applicant.id, approve=True)[1]["merchant_id"]
    path = f"/merchants/{merchant_id}/licences"
    owner = {"user": applicant.id, "roles": "merchant"}
    api.call("PUT", path, **owner, body={"food_permit": uploaded(api, applicant)})
    as_read = get_merchant(merchant_id)  # the operator's page
    newer = uploaded(api, applicant)
    api.call("PUT", path, **owner, body={"food_permit": newer})
    monkeypatch.setattr(licences, "get_merchant", lambda _id: as_read)
    with pytest.raises(Exception, match="changed the renewal") as refused:
        licences.decide(
            merchant_id,
            approve=True,
            reason=None,
            valid_until={"food_permit": date.fromisoformat(in_days(1))},
            by="usr_admin",
        )
    assert refused.value.code == "RENEWAL_CHANGED"
    monkeypatch.undo()
    renewal = api.call("GET", f"{path}/renewal", **owner)[1]
    assert (renewal["status"], renewal["documents"][0]["document_id"]) == ("PENDING", newer), "nothing decided"


def test_an_owner_adding_to_a_renewal_an_operator_just_decided_is_refused_to_read_it_again(api):
    from paotui.catalog import licences
    from paotui.catalog.lookup import get_merchant

    applicant = user("+8613800000572")
    apply(api, applicant)
    merchant_id = decide(api, applicant.id, approve=True)[1]["merchant_id"]
    path = f"/merchants/{merchant_id}/licences"
    api.call("PUT", path, user=applicant.id, roles="merchant", body={"business_licence": uploaded(api, applicant)})
    as_read = get_merchant(merchant_id)  # the owner's page, the renewal pending
    decision = {"approve": False, "reason": "执照已注销"}
    assert (
        api.call("POST", f"/admin/merchants/{merchant_id}/licences/renewal/decision", **ADMIN, body=decision)[0] == 200
    )
    with pytest.raises(Exception, match="changed meanwhile") as refused:
        licences.submit(as_read, applicant.id, {"food_permit": uploaded(api, applicant)})
    assert refused.value.code == "LICENCES_CHANGED"
    renewal = api.call("GET", f"{path}/renewal", user=applicant.id, roles="merchant")[1]
    assert (renewal["status"], renewal["reason"]) == ("DECLINED", "执照已注销"), "the decision stands, to be read"


def test_an_approval_needs_the_permits_date_and_refuses_a_lapsed_one_changing_nothing(api):
    from paotui.catalog.records import MerchantRecord

    applicant = user("+8613800000570")
    apply(api, applicant)
    path = f"/admin/merchant-applications/{applicant.id}/decision"
    status, refused = api.call("POST", path, **ADMIN, body={"approve": True})
    assert (status, refused["error"]["code"]) == (422, "VALID_UNTIL_REQUIRED")
    for kind in ("food_permit", "business_licence"):
        body = {"approve": True, "food_permit_valid_until": in_days(30), f"{kind}_valid_until": in_days(-3)}
        status, refused = api.call("POST", path, **ADMIN, body=body)
        assert (status, refused["error"]["code"]) == (422, "LICENCE_EXPIRED")
        assert refused["error"]["details"]["kind"] == kind
    status, refused = api.call("POST", path, **ADMIN, body={"approve": True, "food_permit_valid_until": "31/12/2030"})
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert mine(api, applicant)["status"] == "PENDING"
    assert list(MerchantRecord.by_owner.query(applicant.id)) == [], "no shop made"

    body = {"approve": True, "food_permit_valid_until": in_days(90), "business_licence_valid_until": in_days(3000)}
    status, approved = api.call("POST", path, **ADMIN, body=body)
    assert status == 200
    assert [d["valid_until"] for d in approved["documents"]] == [in_days(3000), in_days(90)]
    assert [d["valid_until"] for d in mine(api, applicant)["documents"]] == [in_days(3000), in_days(90)]


def test_a_shop_registered_by_hand_gets_its_licences_from_its_owner_and_a_stale_renewal_is_refused(api):
    from paotui.catalog import licences
    from paotui.catalog.lookup import get_merchant

    body = {**{k: SHOP_FORM[k] for k in ("name", "phone", "address", "location")}, "owner_phone": "+8613800000568"}
    merchant_id = api.call("POST", "/admin/merchants", **ADMIN, body=body)[1]["id"]
    path = f"/merchants/{merchant_id}/licences"
    assert anyone(api, path) == (200, []), "the operator saw them in person; none on file yet"
    owner_id = get_merchant(merchant_id).owner_id
    owner = user("+8613800000568")
    stale = get_merchant(merchant_id)
    status, added = api.call(
        "PUT",
        path,
        user=owner_id,
        roles="merchant",
        body={"business_licence": uploaded(api, owner), "food_permit": uploaded(api, owner)},
    )
    assert (status, len(added["documents"])) == (200, 2)

    late = uploaded(api, owner)
    with pytest.raises(Exception, match="changed meanwhile") as raced:
        licences.submit(stale, owner_id, {"food_permit": late})  # read before the owner's first renewal
    assert raced.value.code == "LICENCES_CHANGED"
    renewal = api.call("GET", f"{path}/renewal", user=owner_id, roles="merchant")[1]
    assert [d["document_id"] for d in renewal["documents"]] == [d["document_id"] for d in added["documents"]]
    assert len(_keys(f"documents/{owner_id}/")) == 2, "the losing renewal's copy deleted"
    assert _keys(f"uploads/{owner_id}/") == [f"uploads/{owner_id}/{late}"], "its upload left to retry"


def test_an_operator_registers_a_shop_once_under_its_idempotency_key(api):
    body = {
        "owner_phone": "+8613800000560",
        "name": "老李面馆",
        "phone": "+862163220000",
        "address": "上海市黄浦区福州路 90 号",
        "location": {"lat": SHOP["lat"], "lng": SHOP["lng"]},
        "prep_minutes": 20,
    }

    def register(sent: dict, key: str | None = "register-0001"):
        headers = {"Idempotency-Key": key} if key else None
        event = api_event("POST", "/admin/merchants", body=sent, authorizer=ADMIN_CONTEXT, headers=headers)
        response = api.handler(event, LAMBDA_CONTEXT)
        return answer(response), response["multiValueHeaders"].get("Idempotent-Replayed", [None])[0]

    (status, shop), replayed = register(body)
    assert (status, replayed, shop["prep_minutes"]) == (201, "false", 20)
    (status, again), replayed = register(body)
    assert (status, replayed, again["id"]) == (201, "true", shop["id"])
    (status, reused), _ = register({**body, "name": "老李拉面"})
    assert (status, reused["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    (status, short), _ = register(body, key="short")
    assert (status, short["error"]["code"]) == (400, "INVALID_IDEMPOTENCY_KEY")

    from paotui.accounts.records import phone_key
    from paotui.accounts.users import find_user

    owner = find_user(phone_key("+8613800000560"))
    assert owner is not None and "merchant" in owner.roles
    mine = api.call("GET", "/merchants/mine", user=owner.id, roles="merchant")[1]
    assert [m["id"] for m in mine] == [shop["id"]]
    assert api.call("POST", "/admin/merchants", user=owner.id, roles="merchant", body=body)[0] == 403


ADMIN_CONTEXT = {"user_id": "usr_admin", "roles": "admin"}


def test_a_suspended_shop_takes_no_order_is_not_found_and_its_owner_reads_why(api):
    from tests.integration.builders import HOME, merchant_with_products, order_request

    from paotui.catalog.service import nearby_merchants
    from paotui.orders import service

    merchant, (product,) = merchant_with_products(10)
    path = f"/admin/merchants/{merchant.id}"
    status, refused = api.call("PATCH", path, **ADMIN, body={"suspended": True})
    assert (status, refused["error"]["code"]) == (422, "VALIDATION_ERROR"), "suspending needs a reason"
    status, shop = api.call("PATCH", path, **ADMIN, body={"suspended": True, "reason": "食品安全抽检不合格"})
    assert status == 200 and shop["suspended"] and shop["open"] is False and shop["paused"] is False
    assert (shop["suspension_reason"], shop["suspended_by"]) == ("食品安全抽检不合格", "usr_admin")

    found, _ = nearby_merchants(HOME["lat"], HOME["lng"], limit=50)
    assert merchant.id not in [near.merchant.id for near in found], "customers don't find it"
    where = {"lat": HOME["lat"], "lng": HOME["lng"]}
    quote = {"merchant_id": merchant.id, "items": [{"product_id": product.id, "quantity": 1}], "address": where}
    status, quoted = api.call("POST", "/quotes", user="usr_c", roles="customer", body=quote)
    assert (status, quoted["error"]["code"]) == (409, "MERCHANT_SUSPENDED")
    with pytest.raises(Exception, match="suspended"):
        service.place_order("usr_c", "suspended-0001", order_request(merchant, (product, 1)))
    unpaused = api.call(
        "PATCH", f"/merchants/{merchant.id}", user="usr_owner", roles="merchant", body={"paused": False}
    )
    assert unpaused[0] == 200, "the owner's switch is theirs; it doesn't lift a suspension"
    (mine,) = api.call("GET", "/merchants/mine", user="usr_owner", roles="merchant")[1]
    assert (mine["suspended"], mine["open"], mine["suspension_reason"]) == (True, False, "食品安全抽检不合格")
    public = api.call("GET", f"/merchants/{merchant.id}", user="usr_c", roles="customer")[1]
    assert public["suspended"] and "suspension_reason" not in public, "the reason is the owner's and operators'"

    listed = api.call("GET", "/admin/merchants", **ADMIN, query={"suspended": "true", "name": "老王"})[1]["items"]
    assert merchant.id in [item["id"] for item in listed]
    status, back = api.call("PATCH", path, **ADMIN, body={"suspended": False})
    assert status == 200 and not back["suspended"] and back["suspension_reason"] is None
    assert api.call("POST", "/quotes", user="usr_c", roles="customer", body=quote)[0] == 200
    assert api.call("PATCH", "/admin/merchants/mer_none", **ADMIN, body={"suspended": False})[0] == 404
    as_owner = api.call("PATCH", path, user="usr_owner", roles="merchant", body={"suspended": False})
    assert as_owner[0] == 403
