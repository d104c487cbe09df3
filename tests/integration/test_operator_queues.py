"""Operators' work queues, against moto: shop applications and rider applications waiting, shops whose licence
renewal waits. Each comes from an index, oldest first, in full pages however many decided items lie around them."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.builders import SHOP, SignedInApi, make_rider, near

ADMIN = {"user": "usr_admin", "roles": "admin"}


def walk(api: SignedInApi, path: str, query: dict, *, limit: int = 2) -> list[list[dict]]:
    """Every page of a list, following its cursor."""
    pages, cursor = [], None
    while True:
        status, page = api.call(
            "GET", path, **ADMIN, query={**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        )
        assert status == 200, page
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return pages


def applications(count: int, *, decided_between: int) -> list[str]:
    """``count`` pending shop applications, made one after another with ``decided_between`` decided ones around
    each; the pending applicants' ids, oldest first."""
    from paotui.catalog.records import MerchantApplicationRecord
    from paotui.platform.dynamo import LatLngMap

    pending = []
    for n in range(count * (decided_between + 1)):
        status = "PENDING" if n % (decided_between + 1) == decided_between else "DECLINED"
        applicant = f"usr_applicant{n:03d}"
        MerchantApplicationRecord(
            applicant,
            applicant_phone="+8613800000001",
            status=status,
            name=f"店{n}",
            phone="+862163210000",
            address="上海市黄浦区福州路 88 号",
            location=LatLngMap(lat=SHOP["lat"], lng=SHOP["lng"]),
            created_at=f"2026-11-01T00:{n // 60:02d}:{n % 60:02d}.000Z",
            updated_at="2026-11-01T00:00:00.000Z",
        ).save()
        if status == "PENDING":
            pending.append(applicant)
    return pending


def test_pending_shop_applications_come_oldest_first_in_full_pages_among_many_decided(aws):
    api = SignedInApi("CatalogApi")
    pending = applications(5, decided_between=20)
    pages = walk(api, "/admin/merchant-applications", {"status": "PENDING"})
    assert [len(page) for page in pages] == [2, 2, 1], "full pages: no page of nothing while more follow"
    assert [item["applicant_id"] for page in pages for item in page] == pending, "oldest first, each once"
    everything = walk(api, "/admin/merchant-applications", {}, limit=50)
    assert sum(len(page) for page in everything) == 105, "all of them: a scan"


def test_rider_applications_and_suspended_riders_come_from_the_index_and_the_approved_from_a_scan(aws):
    from paotui.riders.records import RiderRecord

    api = SignedInApi("RidersApi")
    for n in range(6):
        make_rider(f"usr_rider{n}", near(SHOP, n))
        status = "PENDING" if n in (1, 3, 4) else "APPROVED"
        RiderRecord(f"usr_rider{n}").update(
            actions=[RiderRecord.status.set(status), RiderRecord.created_at.set(f"2026-11-0{n + 1}T00:00:00.000Z")]
        )
    RiderRecord("usr_rider5").update(actions=[RiderRecord.status.remove()])  # older than the lifecycle: approved
    pages = walk(api, "/admin/riders", {"status": "PENDING"})
    assert [[rider["id"] for rider in page] for page in pages] == [["usr_rider1", "usr_rider3"], ["usr_rider4"]]
    assert all(rider["name"] for page in pages for rider in page), "whole riders, read through the keys-only index"
    approved = walk(api, "/admin/riders", {"status": "APPROVED"})
    assert sorted(rider["id"] for page in approved for rider in page) == ["usr_rider0", "usr_rider2", "usr_rider5"]
    assert walk(api, "/admin/riders", {"status": "SUSPENDED"}) == [[]]


def test_shops_whose_licence_renewal_waits_come_oldest_first_and_leave_the_queue_once_decided(aws):
    from tests.integration.builders import merchant_with_products

    from paotui.catalog import licences
    from paotui.catalog.records import LicenceRenewalMap, MerchantRecord, ShopDocumentMap

    api = SignedInApi("CatalogApi")
    shops = []
    for n in range(6):
        merchant, _ = merchant_with_products(1)
        if n % 2:
            shops.append(merchant.id)
            document = ShopDocumentMap(
                kind="business_licence",
                id=f"doc_{n}",
                key=f"documents/x/{n}",
                content_type="image/png",
                uploaded_at="x",
            )
            since = f"2026-11-0{n}T00:00:00.000Z"
            renewal = LicenceRenewalMap(
                status="PENDING", documents=[document], submitted_at=since, submitted_by="usr_owner"
            )
            merchant.update(
                actions=[
                    MerchantRecord.licence_renewal.set(renewal),
                    MerchantRecord.awaiting_review.set(licences.AWAITING_LICENCES),
                    MerchantRecord.awaiting_since.set(since),
                ]
            )
    pages = walk(api, "/admin/merchants", {"renewal_pending": "true"})
    assert [[shop["id"] for shop in page] for page in pages] == [shops[:2], shops[2:]]
    assert all(shop["licence_renewal"]["status"] == "PENDING" for page in pages for shop in page)
    path = f"/admin/merchants/{shops[0]}/licences/renewal/decision"
    assert api.call("POST", path, **ADMIN, body={"approve": True})[0] == 200, "a business licence needs no date"
    waiting = walk(api, "/admin/merchants", {"renewal_pending": "true"}, limit=10)
    assert [shop["id"] for shop in waiting[0]] == shops[1:]
    others = walk(api, "/admin/merchants", {"renewal_pending": "false"}, limit=10)
    assert shops[0] in [shop["id"] for page in others for shop in page]
    assert not {shop["id"] for page in others for shop in page} & set(shops[1:])


def forged(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        forged({"applicant_id": {"S": "usr_x"}}),  # not the index's key
        forged({"applicant_id": {"S": "usr_x"}, "status": {"S": "DECLINED"}, "created_at": {"S": "2026"}}),
        forged({"applicant_id": {"S": ""}, "status": {"S": "PENDING"}, "created_at": {"S": "2026"}}),
        forged({"applicant_id": {"N": "1"}, "status": {"S": "PENDING"}, "created_at": {"S": "2026"}}),
        forged(["applicant_id"]),
    ],
)
def test_a_cursor_not_issued_for_the_queue_is_400_and_reads_nothing(aws, cursor):
    api = SignedInApi("CatalogApi")
    query = {"status": "PENDING", "cursor": cursor}
    status, refused = api.call("GET", "/admin/merchant-applications", **ADMIN, query=query)
    assert (status, refused["error"]["code"]) == (400, "INVALID_CURSOR")
