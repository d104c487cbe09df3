"""Rider onboarding against moto, through RidersApi: applications, admins' riders, approval and suspension."""

from __future__ import annotations

import pytest

from tests.integration.builders import SHOP, SignedInApi, answer, make_rider, near, texts_to

ADMIN = {"user": "usr_admin", "roles": "admin"}
ZONE = {"center": SHOP, "radius_m": 3000}
NEW_RIDER = {"phone": "+8613900000777", "name": "赵师傅", "vehicle": "scooter", "capacity": 4, "zone": ZONE}


@pytest.fixture
def api(aws) -> SignedInApi:
    return SignedInApi("RidersApi")


def customer(phone: str = "+8613800000555"):
    from paotui.accounts.service import ensure_user

    return ensure_user(phone, ["customer"])


def roles_of(user_id: str) -> list[str]:
    from paotui.accounts.users import get_user

    return list(get_user(user_id).roles)


def stored(rider_id: str):
    from paotui.riders.records import RiderRecord

    return RiderRecord.get(rider_id, consistent_read=True)


def test_a_customer_applies_once_and_waits_for_approval(api):
    user = customer()
    application = {"name": "小李", "vehicle": "bike", "zone": ZONE}
    response = api.response("POST", "/riders/applications", user=user.id, roles="customer", body=application)
    assert response["statusCode"] == 201
    assert response["multiValueHeaders"]["Idempotent-Replayed"] == ["false"]
    status, view = api.call("POST", "/riders/applications", user=user.id, roles="customer", body=application)
    assert status == 201
    assert (view["id"], view["status"], view["state"], view["online"]) == (user.id, "PENDING", "offline", False)
    assert (view["phone"], view["vehicle"], view["zone"]) == ("+8613800000555", "bike", ZONE)
    replay = api.response("POST", "/riders/applications", user=user.id, roles="customer", body=application)
    assert (replay["statusCode"], replay["multiValueHeaders"]["Idempotent-Replayed"]) == (201, ["true"])
    assert roles_of(user.id) == ["customer"]  # no rider role before approval

    # applied is not approved: the applicant can't go on duty even with the role
    api.call("PUT", "/riders/me/location", user=user.id, roles="rider", body=near(SHOP, 0))
    status, body = api.call("PUT", "/riders/me/availability", user=user.id, roles="rider", body={"online": True})
    assert (status, body["error"]["code"]) == (409, "RIDER_NOT_APPROVED")
    assert stored(user.id).cell is None and stored(user.id).presence is None


def test_applications_refused(api):
    make_rider("usr_rider1", near(SHOP, 0))
    status, body = api.call(
        "POST", "/riders/applications", user="usr_rider1", roles="rider", body={"name": "x", "vehicle": "car"}
    )
    assert (status, body["error"]["code"], body["error"]["details"]) == (409, "ALREADY_A_RIDER", {"status": "APPROVED"})

    from paotui.accounts.records import wechat_key
    from paotui.accounts.users import user_for_identity

    wechat_only = user_for_identity(wechat_key("openid-no-phone"))
    status, body = api.call(
        "POST", "/riders/applications", user=wechat_only.id, roles="customer", body={"name": "x", "vehicle": "car"}
    )
    assert (status, body["error"]["code"]) == (409, "PHONE_REQUIRED")

    user = customer()
    for bad in ({"name": "x", "vehicle": "rocket"}, {"name": "x", "vehicle": "car", "zone": {**ZONE, "radius_m": 10}}):
        status, body = api.call("POST", "/riders/applications", user=user.id, roles="customer", body=bad)
        assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")
    from paotui.riders.service import find_rider

    assert find_rider(wechat_only.id) is None and find_rider(user.id) is None


def test_an_admin_creates_an_approved_rider_for_a_new_phone_once(api):
    response = api.response("POST", "/admin/riders", **ADMIN, body=NEW_RIDER)
    assert response["statusCode"] == 201
    _, view = answer(response)
    assert (view["status"], view["state"], view["capacity"], view["vehicle"]) == ("APPROVED", "offline", 4, "scooter")
    assert roles_of(view["id"]) == ["rider"]
    from paotui.accounts.records import phone_key
    from paotui.accounts.users import find_user

    assert find_user(phone_key(NEW_RIDER["phone"])).id == view["id"]

    again = api.response("POST", "/admin/riders", **ADMIN, body={**NEW_RIDER, "name": "别的名字", "capacity": 2})
    assert (again["statusCode"], again["multiValueHeaders"]["Idempotent-Replayed"]) == (201, ["true"])
    assert (answer(again)[1]["name"], answer(again)[1]["capacity"]) == ("赵师傅", 4)  # returned as it is

    # the new rider works: a location, then online
    api.call("PUT", "/riders/me/location", user=view["id"], roles="rider", body=near(SHOP, 0))
    status, body = api.call("PUT", "/riders/me/availability", user=view["id"], roles="rider", body={"state": "online"})
    assert (status, body["state"], body["online"]) == (200, "online", True)


def test_an_admin_makes_an_existing_customer_a_rider_keeping_their_roles(api):
    user = customer("+8613900000888")
    status, view = api.call("POST", "/admin/riders", **ADMIN, body={**NEW_RIDER, "phone": "+8613900000888"})
    assert (status, view["id"]) == (201, user.id)
    assert sorted(roles_of(user.id)) == ["customer", "rider"]


def test_an_admin_creating_a_rider_for_an_applicant_approves_the_application(api):
    """The role comes with approval, so the admin's rider is the approved applicant, as PATCH would make them."""
    user = customer("+8613900000999")
    api.call("POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小李", "vehicle": "bike"})
    response = api.response("POST", "/admin/riders", **ADMIN, body={**NEW_RIDER, "phone": "+8613900000999"})
    assert (response["statusCode"], response["multiValueHeaders"]["Idempotent-Replayed"]) == (201, ["false"])
    view = answer(response)[1]
    assert (view["id"], view["status"], view["name"], view["vehicle"]) == (user.id, "APPROVED", "小李", "bike")
    assert sorted(roles_of(user.id)) == ["customer", "rider"]

    again = api.response("POST", "/admin/riders", **ADMIN, body={**NEW_RIDER, "phone": "+8613900000999"})
    assert (again["statusCode"], again["multiValueHeaders"]["Idempotent-Replayed"]) == (201, ["true"])
    assert answer(again)[1]["status"] == "APPROVED"


def test_an_admin_creating_a_rider_for_a_declined_applicant_gets_them_as_they_are(api):
    user = customer("+8613900000999")
    api.call("POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小李", "vehicle": "bike"})
    api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "SUSPENDED"})
    status, view = api.call("POST", "/admin/riders", **ADMIN, body={**NEW_RIDER, "phone": "+8613900000999"})
    assert (status, view["status"]) == (201, "SUSPENDED")  # reinstating is PATCH's, not a create's
    assert roles_of(user.id) == ["customer"]


def test_only_admins_onboard_and_bad_bodies_change_nothing(api):
    from paotui.accounts.records import phone_key
    from paotui.accounts.users import find_user

    for roles in ("customer", "rider", "merchant"):
        for method, path, body in (
            ("POST", "/admin/riders", NEW_RIDER),
            ("GET", "/admin/riders", None),
            ("PATCH", "/admin/riders/usr_x", {"status": "APPROVED"}),
        ):
            status, answer_body = api.call(method, path, user="usr_someone", roles=roles, body=body)
            assert (status, answer_body["error"]["code"]) == (403, "FORBIDDEN"), (roles, method, path)
    for bad in ({**NEW_RIDER, "capacity": 11}, {**NEW_RIDER, "vehicle": "e-bike"}, {**NEW_RIDER, "phone": "139"}):
        status, body = api.call("POST", "/admin/riders", **ADMIN, body=bad)
        assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert find_user(phone_key(NEW_RIDER["phone"])) is None
    status, body = api.call("PATCH", "/admin/riders/usr_nobody", **ADMIN, body={"status": "SUSPENDED"})
    assert (status, body["error"]["code"]) == (404, "RIDER_NOT_FOUND")


def test_approval_grants_the_role_and_suspension_takes_the_rider_offline(api):
    user = customer()
    api.call("POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小李", "vehicle": "bike"})
    status, view = api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "APPROVED"})
    assert (status, view["status"]) == (200, "APPROVED")
    assert sorted(roles_of(user.id)) == ["customer", "rider"]

    api.call("PUT", "/riders/me/location", user=user.id, roles="rider", body=near(SHOP, 0))
    status, view = api.call("PUT", "/riders/me/availability", user=user.id, roles="rider", body={"online": True})
    assert (status, view["online"]) == (200, True)
    assert stored(user.id).cell and stored(user.id).presence == "on_duty"

    status, view = api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "SUSPENDED"})
    assert (status, view["status"], view["state"], view["online"]) == (200, "SUSPENDED", "offline", False)
    rider = stored(user.id)
    assert rider.cell is None and rider.presence is None  # out of by-cell and by-presence
    status, body = api.call("PUT", "/riders/me/availability", user=user.id, roles="rider", body={"state": "break"})
    assert (status, body["error"]["code"]) == (409, "RIDER_NOT_APPROVED")
    status, body = api.call("PUT", "/riders/me/availability", user=user.id, roles="rider", body={"online": True})
    assert (status, body["error"]["code"]) == (409, "RIDER_NOT_APPROVED")

    status, view = api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "APPROVED"})
    assert (status, view["status"], view["state"]) == (200, "APPROVED", "offline")  # back, but not online by itself
    assert api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "APPROVED"})[0] == 200
    assert texts_to(user.phone) == ["您的骑手申请已通过审核，请重新登录骑手 App 上线接单。"], (
        "the application's decision texted once; the suspension and reinstatement are not it"
    )


def test_status_moves_outside_the_lifecycle_are_refused_and_change_nothing(api):
    make_rider("usr_rider1", near(SHOP, 0))
    version = int(stored("usr_rider1").version)
    status, body = api.call("PATCH", "/admin/riders/usr_rider1", **ADMIN, body={"status": "PENDING"})
    assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR")  # nobody is sent back to applying
    status, view = api.call("PATCH", "/admin/riders/usr_rider1", **ADMIN, body={"status": "APPROVED"})
    assert (status, view["status"]) == (200, "APPROVED")  # already: nothing to move

    user = customer()
    api.call("POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小李", "vehicle": "bike"})
    status, view = api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "SUSPENDED"})
    assert (status, view["status"]) == (200, "SUSPENDED")  # an application declined
    assert roles_of(user.id) == ["customer"]
    assert texts_to(user.phone) == ["您的骑手申请未通过审核，如有疑问请联系平台。"]
    assert int(stored("usr_rider1").version) == version + 1  # the no-op PATCH only stamped it
    assert texts_to(stored("usr_rider1").phone) == [], "a rider made by an admin applied for nothing"


def test_a_declined_applicant_approved_after_all_is_texted_the_approval_once(api):
    user = customer()
    api.call("POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小李", "vehicle": "bike"})
    path = f"/admin/riders/{user.id}"
    api.call("PATCH", path, **ADMIN, body={"status": "SUSPENDED"})  # declined
    status, view = api.call("PATCH", path, **ADMIN, body={"status": "APPROVED"})  # on a second look
    assert (status, view["status"]) == (200, "APPROVED") and "rider" in roles_of(user.id)
    api.call("PATCH", path, **ADMIN, body={"status": "APPROVED"})  # the operator's second click
    api.call("PATCH", path, **ADMIN, body={"status": "SUSPENDED"})  # a rider's suspension, later
    api.call("PATCH", path, **ADMIN, body={"status": "APPROVED"})  # and reinstatement: not the application's
    assert texts_to(user.phone) == [
        "您的骑手申请未通过审核，如有疑问请联系平台。",
        "您的骑手申请已通过审核，请重新登录骑手 App 上线接单。",
    ]


def test_an_admin_changes_vehicle_capacity_and_zone_and_removes_the_zone(api):
    make_rider("usr_rider1", near(SHOP, 0))
    status, view = api.call(
        "PATCH", "/admin/riders/usr_rider1", **ADMIN, body={"vehicle": "car", "capacity": 6, "zone": ZONE}
    )
    assert (status, view["vehicle"], view["capacity"], view["zone"]) == (200, "car", 6, ZONE)
    status, view = api.call("PATCH", "/admin/riders/usr_rider1", **ADMIN, body={"zone": None})
    assert (status, view["zone"]) == (200, None)
    assert stored("usr_rider1").zone is None


def test_admins_list_riders_by_status_page_by_page(api):
    for n in range(3):
        make_rider(f"usr_rider{n}", near(SHOP, 0))
    for n in range(2):
        user = customer(f"+861380000060{n}")
        api.call(
            "POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小李", "vehicle": "bike"}
        )

    status, page = api.call("GET", "/admin/riders", **ADMIN, query={"status": "PENDING"})
    assert status == 200 and {r["status"] for r in page["items"]} == {"PENDING"} and len(page["items"]) == 2

    seen, cursor = [], None
    while True:
        query = {"status": "APPROVED", "limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = api.call("GET", "/admin/riders", **ADMIN, query=query)
        assert status == 200 and len(page["items"]) <= 2
        seen += [rider["id"] for rider in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["usr_rider0", "usr_rider1", "usr_rider2"]

    status, page = api.call("GET", "/admin/riders", **ADMIN)
    assert len(page["items"]) == 5
    status, body = api.call("GET", "/admin/riders", **ADMIN, query={"status": "GONE"})
    assert status == 422


def test_a_record_from_before_the_lifecycle_reads_as_approved_and_goes_online(api):
    from paotui.riders.records import RiderRecord

    make_rider("usr_old", near(SHOP, 0), online=False)
    RiderRecord("usr_old").update(actions=[RiderRecord.status.remove(), RiderRecord.state.remove()])
    status, view = api.call("GET", "/admin/riders", **ADMIN, query={"status": "APPROVED"})
    assert [(r["id"], r["status"], r["state"]) for r in view["items"]] == [("usr_old", "APPROVED", "offline")]
    status, view = api.call("PUT", "/riders/me/availability", user="usr_old", roles="rider", body={"online": True})
    assert (status, view["status"], view["state"]) == (200, "APPROVED", "online")


def test_an_approval_whose_text_failed_texts_when_approved_again(api, monkeypatch):
    from paotui.notify import texts

    class Down:
        def send(self, phone: str, message: str, *, data=None) -> None:
            raise ConnectionError("SNS unreachable")

    user, working = customer("+8613800000566"), texts.get_sms_sender
    api.call("POST", "/riders/applications", user=user.id, roles="customer", body={"name": "小王", "vehicle": "ebike"})
    monkeypatch.setattr(texts, "get_sms_sender", Down)
    assert (
        api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "APPROVED"})[1]["status"] == "APPROVED"
    )
    assert texts_to(user.phone) == [], "approved all the same"
    monkeypatch.setattr(texts, "get_sms_sender", working)
    assert api.call("PATCH", f"/admin/riders/{user.id}", **ADMIN, body={"status": "APPROVED"})[0] == 200
    assert texts_to(user.phone) == ["您的骑手申请已通过审核，请重新登录骑手 App 上线接单。"]
