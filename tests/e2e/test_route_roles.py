"""Every route of template.yaml, tried by every role: who is let through, who gets 401 or 403.

The routes come from template.yaml itself, so a route added without a line in
WHO_MAY below fails this test. Ids in paths name nothing, so an allowed caller
gets past the role check and learns only that the thing doesn't exist (404) or
that its body is wrong (4xx); nothing is changed. Admins pass every role
check. Public routes (no authorizer) are reached by everyone; what protects
them (signatures, codes) is tested with their features.
"""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from paotui_local.functions import DEFAULT_TEMPLATE

pytestmark = pytest.mark.e2e

ANYONE_SIGNED_IN = frozenset({"customer", "merchant", "rider"})
CUSTOMER, MERCHANT, RIDER = frozenset({"customer"}), frozenset({"merchant"}), frozenset({"rider"})
ADMIN = frozenset()  # admins only: admins pass every check, nobody else passes
PUBLIC = None

WHO_MAY: dict[tuple[str, str], frozenset[str] | None] = {
    ("POST", "/auth/otp"): PUBLIC,
    ("POST", "/auth/login"): PUBLIC,
    ("POST", "/auth/wechat"): PUBLIC,
    ("POST", "/auth/refresh"): PUBLIC,
    ("POST", "/auth/phone"): ANYONE_SIGNED_IN,
    ("POST", "/auth/logout"): ANYONE_SIGNED_IN,
    ("GET", "/me/addresses"): CUSTOMER,
    ("POST", "/me/addresses"): CUSTOMER,
    ("PATCH", "/me/addresses/{addressId}"): CUSTOMER,
    ("DELETE", "/me/addresses/{addressId}"): CUSTOMER,
    ("GET", "/merchants"): PUBLIC,
    ("GET", "/merchants/{merchantId}"): PUBLIC,
    ("GET", "/merchants/{merchantId}/products"): PUBLIC,
    ("GET", "/merchants/{merchantId}/slots"): PUBLIC,
    ("GET", "/merchants/{merchantId}/licences"): PUBLIC,
    ("PUT", "/merchants/{merchantId}/licences"): MERCHANT,
    ("GET", "/merchants/{merchantId}/licences/renewal"): MERCHANT,
    ("POST", "/admin/merchants/{merchantId}/licences/renewal/decision"): ADMIN,
    ("POST", "/quotes"): PUBLIC,
    ("GET", "/merchants/mine"): MERCHANT,
    ("PATCH", "/merchants/{merchantId}"): MERCHANT,
    ("PUT", "/merchants/{merchantId}/categories"): MERCHANT,
    ("POST", "/merchants/{merchantId}/products"): MERCHANT,
    ("PATCH", "/merchants/{merchantId}/products/{productId}"): MERCHANT,
    ("DELETE", "/merchants/{merchantId}/products/{productId}"): MERCHANT,
    ("GET", "/merchants/{merchantId}/stock"): MERCHANT,
    ("PUT", "/merchants/{merchantId}/stock"): MERCHANT,
    ("POST", "/merchants/{merchantId}/products/{productId}/restock"): MERCHANT,
    ("GET", "/merchants/{merchantId}/products/{productId}/ledger"): MERCHANT,
    ("POST", "/merchants/{merchantId}/images"): MERCHANT,
    ("PUT", "/merchants/{merchantId}/products/{productId}/images"): MERCHANT,
    ("GET", "/merchants/{merchantId}/delivery"): MERCHANT,
    ("PUT", "/merchants/{merchantId}/delivery"): MERCHANT,
    ("GET", "/merchants/{merchantId}/delivery/places"): MERCHANT,
    ("GET", "/merchants/{merchantId}/printer"): MERCHANT,
    ("PUT", "/merchants/{merchantId}/printer"): MERCHANT,
    ("DELETE", "/merchants/{merchantId}/printer"): MERCHANT,
    ("POST", "/orders/{orderId}/kitchen-ticket"): ANYONE_SIGNED_IN,  # the order's shop: the service says
    ("POST", "/merchants/applications"): ANYONE_SIGNED_IN,
    ("GET", "/merchants/applications/mine"): ANYONE_SIGNED_IN,
    ("POST", "/merchants/applications/documents"): ANYONE_SIGNED_IN,
    ("GET", "/admin/merchant-applications"): ADMIN,
    ("POST", "/admin/merchant-applications/{applicantId}/decision"): ADMIN,
    ("POST", "/admin/merchants"): ADMIN,
    ("GET", "/admin/merchants"): ADMIN,
    ("PATCH", "/admin/merchants/{merchantId}"): ADMIN,
    ("GET", "/console"): PUBLIC,  # the console's page and scripts; what they call is authorized
    ("GET", "/console/{name}"): PUBLIC,
    ("GET", "/merchants/{merchantId}/alerts"): MERCHANT,
    ("POST", "/merchants/{merchantId}/alerts/read"): MERCHANT,
    ("GET", "/merchants/{merchantId}/analytics"): MERCHANT,
    ("GET", "/merchants/{merchantId}/settlement"): MERCHANT,
    ("GET", "/merchants/{merchantId}/settlement/lines"): MERCHANT,
    ("GET", "/admin/settlement"): ADMIN,
    ("POST", "/admin/merchants/{merchantId}/payouts"): ADMIN,
    ("POST", "/admin/merchants/{merchantId}/payouts/{payoutId}/reversal"): ADMIN,
    ("PUT", "/admin/merchants/{merchantId}/commission"): ADMIN,
    ("GET", "/riders/me/cash"): RIDER,
    ("GET", "/admin/riders/{riderId}/cash"): ADMIN,
    ("POST", "/admin/riders/{riderId}/cash-handins"): ADMIN,
    ("POST", "/merchants/{merchantId}/orders"): MERCHANT,
    ("PUT", "/merchants/{merchantId}/channels/eleme"): ADMIN,  # merchants prove their shops through Ele.me
    ("POST", "/merchants/{merchantId}/channels/eleme/authorizations"): MERCHANT,
    ("GET", "/channels/eleme/authorized"): PUBLIC,
    ("GET", "/merchants/{merchantId}/channels/eleme"): MERCHANT,
    ("DELETE", "/merchants/{merchantId}/channels/eleme/{shopId}"): MERCHANT,
    ("POST", "/channels/eleme/push"): PUBLIC,
    ("POST", "/carriers/dada/callback"): PUBLIC,
    ("POST", "/orders"): CUSTOMER,
    ("GET", "/orders"): ANYONE_SIGNED_IN,
    ("GET", "/orders/{orderId}"): ANYONE_SIGNED_IN,
    ("POST", "/orders/{orderId}/cancel"): ANYONE_SIGNED_IN,
    ("POST", "/orders/{orderId}/cancel-request"): ANYONE_SIGNED_IN,
    ("POST", "/orders/{orderId}/transitions"): ANYONE_SIGNED_IN,
    ("POST", "/orders/{orderId}/proof-photos"): RIDER,
    ("POST", "/orders/{orderId}/delivery-retry"): CUSTOMER,
    ("GET", "/me/coupons"): CUSTOMER,
    ("POST", "/errands/quotes"): CUSTOMER,
    ("POST", "/errands"): CUSTOMER,
    ("POST", "/orders/{orderId}/pay"): CUSTOMER,
    ("POST", "/orders/{orderId}/refunds"): ANYONE_SIGNED_IN,
    ("GET", "/orders/{orderId}/payments"): ANYONE_SIGNED_IN,
    ("POST", "/payments/notify/{channel}"): PUBLIC,
    ("PUT", "/riders/me/location"): RIDER,
    ("PUT", "/riders/me/availability"): RIDER,
    ("GET", "/riders/me/offers"): RIDER,
    ("GET", "/riders/me/route"): RIDER,
    ("POST", "/offers/{offerId}/accept"): RIDER,
    ("POST", "/offers/{offerId}/reject"): RIDER,
    ("POST", "/riders/applications"): ANYONE_SIGNED_IN,
    ("POST", "/admin/riders"): ADMIN,
    ("GET", "/admin/riders"): ADMIN,
    ("PATCH", "/admin/riders/{riderId}"): ADMIN,
    ("GET", "/orders/{orderId}/track"): ANYONE_SIGNED_IN,
    ("POST", "/riders/me/devices"): RIDER,
    ("GET", "/riders/me/devices"): RIDER,
    ("DELETE", "/riders/me/devices/{deviceId}"): RIDER,
    ("GET", "/riders/me/inbox"): RIDER,
    ("POST", "/riders/me/inbox/read"): RIDER,
    ("GET", "/riders/me/kpis"): RIDER,
    ("GET", "/riders/me/earnings"): RIDER,
    ("GET", "/admin/incentives"): ADMIN,
    ("PUT", "/admin/incentives"): ADMIN,
    ("GET", "/admin/riders/leaderboard"): ADMIN,
    ("GET", "/admin/incidents"): ADMIN,
    ("POST", "/admin/incidents/{incidentId}/resolve"): ADMIN,
    ("GET", "/admin/analytics"): ADMIN,
    ("POST", "/orders/{orderId}/rating"): CUSTOMER,
    ("POST", "/orders/{orderId}/complaints"): CUSTOMER,
    ("POST", "/orders/{orderId}/complaint/decision"): ADMIN,
}
"""Who may call each authorized route (admins always may); None: no authorizer."""

POINT = {"lat": 31.2304, "lng": 121.4737}
ADDRESS = {**POINT, "detail": "人民广场 1 号楼", "contact_name": "陈女士", "contact_phone": "+8613800000399"}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/auth/phone"): {"phone": "+8613800000398", "code": "000000"},
    ("POST", "/me/addresses"): {
        "contact_name": "陈女士",
        "contact_phone": "+8613800000399",
        "detail": "1 号楼",
        "location": POINT,
    },
    ("PATCH", "/me/addresses/{addressId}"): {"detail": "2 号楼"},
    ("PATCH", "/merchants/{merchantId}"): {"prep_minutes": 12},
    ("PUT", "/merchants/{merchantId}/categories"): [{"name": "面食"}],
    ("POST", "/merchants/{merchantId}/products"): {"name": "拌面", "price": 1200, "stock": 5},
    ("PATCH", "/merchants/{merchantId}/products/{productId}"): {"version": 1, "price": 1300},
    ("PUT", "/merchants/{merchantId}/stock"): [{"product_id": "prd_none", "stock": 3}],
    ("POST", "/merchants/{merchantId}/products/{productId}/restock"): {"qty": 1},
    ("POST", "/merchants/{merchantId}/images"): {"content_type": "image/png"},
    ("PUT", "/merchants/{merchantId}/products/{productId}/images"): {"images": [], "version": 1},
    ("PUT", "/merchants/{merchantId}/delivery"): {
        "areas": [{"name": "全城", "radius_m": 3000, "fees": {"base_fee": 500, "base_distance_m": 3000}}]
    },
    ("POST", "/merchants/{merchantId}/orders"): {
        "items": [{"product_id": "prd_none", "quantity": 1}],
        "address": ADDRESS,
        "channel": "phone",
        "payment": "cash_on_delivery",
    },
    ("PUT", "/merchants/{merchantId}/channels/eleme"): {"shop_id": "999000111"},
    ("POST", "/merchants/{merchantId}/alerts/read"): {"up_to": "2026-01-01T00:00:00Z"},
    ("POST", "/orders"): {
        "merchant_id": "mer_none",
        "items": [{"product_id": "prd_none", "quantity": 1}],
        "address": ADDRESS,
    },
    ("POST", "/orders/{orderId}/cancel"): {"reason": "test"},
    ("POST", "/orders/{orderId}/cancel-request"): {"approve": False},
    ("POST", "/orders/{orderId}/transitions"): {"to": "CONFIRMED"},
    ("POST", "/orders/{orderId}/proof-photos"): {"content_type": "image/jpeg"},
    ("POST", "/orders/{orderId}/delivery-retry"): {"note": "test"},
    ("POST", "/errands/quotes"): {"type": "send", "pickup": POINT, "dropoff": {"lat": 31.24, "lng": 121.48}},
    ("POST", "/errands"): {
        "type": "send",
        "item": "文件",
        "pickup": {**POINT, "detail": "A 座", "contact_name": "王", "contact_phone": "+8613800000397"},
        "dropoff": {
            "lat": 31.24,
            "lng": 121.48,
            "detail": "B 座",
            "contact_name": "李",
            "contact_phone": "+8613800000396",
        },
    },
    ("POST", "/orders/{orderId}/pay"): {"channel": "sandbox"},
    ("POST", "/orders/{orderId}/refunds"): {"amount": 100, "reason": "test"},
    ("PUT", "/merchants/{merchantId}/printer"): {"sn": "960238952", "key": "kx9b3m2q"},
    ("PUT", "/merchants/{merchantId}/licences"): {},  # nothing to renew: 422 once past the role checks
    ("POST", "/admin/merchants/{merchantId}/licences/renewal/decision"): {"approve": False, "reason": "roles test"},
    ("POST", "/merchants/applications"): {
        "name": "测试 小店",
        "phone": "+8621000000001",
        "address": "上海市黄浦区南京东路 1 号",
        "location": {"lat": 31.2304, "lng": 121.4737},
    },
    ("POST", "/merchants/applications/documents"): {"content_type": "image/png"},
    ("POST", "/admin/merchant-applications/{applicantId}/decision"): {"approve": False, "reason": "test"},
    ("PATCH", "/admin/merchants/{merchantId}"): {"suspended": False},
    ("POST", "/admin/merchants/{merchantId}/payouts"): {"amount": 100, "reference": "roles test"},
    ("POST", "/admin/merchants/{merchantId}/payouts/{payoutId}/reversal"): {"reason": "roles test"},
    ("PUT", "/admin/merchants/{merchantId}/commission"): {"commission_bp": 800},
    ("POST", "/admin/riders/{riderId}/cash-handins"): {"amount": 100},
    ("POST", "/admin/merchants"): {
        "owner_phone": "+8613800000396",
        "name": "测试 登记店",
        "phone": "+8621000000002",
        "address": "上海市黄浦区南京东路 2 号",
        "location": {"lat": 31.2304, "lng": 121.4737},
    },
    ("PUT", "/riders/me/location"): POINT,
    ("PUT", "/riders/me/availability"): {"online": True},
    ("POST", "/riders/applications"): {"name": "申请 测试", "vehicle": "bike"},  # the seeded rider: 409
    ("POST", "/admin/riders"): {"phone": "+8613800000395", "name": "骑手 测试", "vehicle": "ebike"},
    ("PATCH", "/admin/riders/{riderId}"): {"status": "SUSPENDED"},
    ("POST", "/riders/me/devices"): {"platform": "fcm", "token": "roles-test-device-token-0001"},
    ("POST", "/riders/me/inbox/read"): {"up_to": "2026-01-01T00:00:00.000Z"},
    ("PUT", "/admin/incentives"): {"version": 999_999},  # an old version: 409, nothing saved
    ("POST", "/admin/incidents/{incidentId}/resolve"): {"note": "test"},
    ("POST", "/orders/{orderId}/rating"): {"stars": 5},
    ("POST", "/orders/{orderId}/complaints"): {"reason": "test"},
    ("POST", "/orders/{orderId}/complaint/decision"): {"upheld": False},
}
QUERIES: dict[tuple[str, str], dict[str, str]] = {  # the required query parameters, so that a call is complete
    ("GET", "/merchants/{merchantId}/delivery/places"): {"address": "上海市黄浦区人民广场"},
    ("GET", "/merchants/{merchantId}/settlement/lines"): {"day": "2026-11-25"},
}
IDS = {
    "merchantId": "mer_none",
    "productId": "prd_none",
    "orderId": "ord_00000000000000000000000000000000",
    "addressId": "adr_none",
    "offerId": "ofr_none",
    "riderId": "usr_none",
    "deviceId": "dev_none",
    "incidentId": "inc_none",
    "applicantId": "usr_none",
    "channel": "sandbox",
    "shopId": "999000111",
    "payoutId": "pout_none",
}
GATEWAY_CODES = {"UNAUTHENTICATED", "FORBIDDEN"}


def declared_routes() -> list[tuple[str, str, bool]]:
    template = cfn_yaml.load(str(DEFAULT_TEMPLATE))
    routes = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "Api":
                spec = event["Properties"]
                authorized = spec.get("Auth", {}).get("Authorizer") != "NONE"
                routes.append((spec["Method"].upper(), spec["Path"], authorized))
    return sorted(routes, key=lambda route: route[1] == "/auth/logout")  # logging out ends the session: last


def test_every_route_has_its_callers_written_down():
    declared = {(method, path): authorized for method, path, authorized in declared_routes()}
    assert set(declared) == set(WHO_MAY)
    assert {route for route, authorized in declared.items() if not authorized} == {
        route for route, roles in WHO_MAY.items() if roles is PUBLIC
    }


def test_every_route_lets_in_exactly_the_roles_it_should(cloud):
    seed = cloud.seed()
    users = {  # by the role they sign in for; a user may hold more (a merchant's owner is a customer too)
        "customer": cloud.login(seed["customers"][-1]["phone"]),
        "merchant": cloud.login(seed["merchants"][1]["phone"]),
        "rider": cloud.login(seed["riders"][-1]["phone"]),
        "admin": cloud.login(seed["admin"]["phone"]),
    }
    wrong = []
    for method, template_path, authorized in declared_routes():
        if not authorized:
            continue
        path = template_path.format(**IDS)
        body, query = BODIES.get((method, template_path)), QUERIES.get((method, template_path))
        anonymous = cloud.http.request(method, cloud.url(path), json=body, params=query, timeout=15)
        if anonymous.status_code != 401:
            wrong.append((method, template_path, "anonymous", anonymous.status_code))
        for role, user in users.items():
            response = user.request(
                method,
                path,
                json=body,
                params=query,
                headers={"Idempotency-Key": f"roles-{role}-{method}-{path}"[:128]},
            )
            payload = response.json() if response.content else None
            code = (payload.get("error") or {}).get("code") if isinstance(payload, dict) else None
            refused = response.status_code == 403 or (response.status_code == 401 and code in GATEWAY_CODES)
            allowed = "admin" in user.roles or bool(user.roles & WHO_MAY[(method, template_path)])
            if refused == allowed:
                wrong.append((method, template_path, role, response.status_code, code))
    assert wrong == []
