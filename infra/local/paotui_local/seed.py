"""The demo fixture stage `local` starts with (API.md "Running locally").

Two merchants around People's Square in Shanghai, riders online next to the
first one, an admin and two customers with addresses in delivery range. Made
through the domain services, exactly as an operator's tools would.
"""

from __future__ import annotations

from typing import Any

ADMIN_PHONE = "+8613800000000"

MERCHANTS = [
    {
        "phone": "+8613800000101",
        "name": "老王生煎 Lao Wang Shengjian",
        "address": "上海市黄浦区南京东路 100 号",
        "location": {"lat": 31.2335, "lng": 121.4760},
        "products": [("生煎包 (4只)", 1800, 50), ("牛肉粉丝汤", 1600, 30), ("咖喱牛肉汤", 1500, 5)],
    },
    {
        "phone": "+8613800000102",
        "name": "小杨烧烤 Xiao Yang BBQ",
        "address": "上海市静安区南京西路 500 号",
        "location": {"lat": 31.2290, "lng": 121.4590},
        "products": [("羊肉串 x10", 3000, 40), ("烤鸡翅 x4", 2400, 25)],
    },
]

DELIVERY = {
    "radius_m": 5000,
    "base_fee": 500,
    "base_distance_m": 3000,
    "tiers": [{"up_to_m": 5000, "fee_per_km": 100}],
    "min_order": 0,
}

RIDERS = [
    {"phone": "+8613800000201", "name": "骑手 张三", "location": {"lat": 31.2340, "lng": 121.4770}},
    {"phone": "+8613800000202", "name": "骑手 李四", "location": {"lat": 31.2325, "lng": 121.4745}},
    {"phone": "+8613800000203", "name": "骑手 王五", "location": {"lat": 31.2350, "lng": 121.4790}},
]

CUSTOMERS = [
    {
        "phone": "+8613800000301",
        "address": {
            "lat": 31.2304,
            "lng": 121.4737,
            "detail": "人民广场 1 号楼 1201",
            "contact_name": "陈女士",
            "contact_phone": "+8613800000301",
        },
    },
    {
        "phone": "+8613800000302",
        "address": {
            "lat": 31.2380,
            "lng": 121.4850,
            "detail": "外滩 18 号 5 楼",
            "contact_name": "刘先生",
            "contact_phone": "+8613800000302",
        },
    },
]


def seed() -> dict[str, Any]:
    """Create the fixture and return it in the /dev/seed shape."""
    from paotui.accounts.service import ensure_user
    from paotui.catalog.service import add_product, create_merchant
    from paotui.riders.service import create_rider

    ensure_user(ADMIN_PHONE, ["admin"], name="运营 Ops")
    merchants = []
    for spec in MERCHANTS:
        owner = ensure_user(spec["phone"], ["merchant"], name=spec["name"])
        merchant = create_merchant(
            owner_id=owner.id,
            name=spec["name"],
            phone=spec["phone"],
            location=spec["location"],
            address=spec["address"],
            delivery=DELIVERY,
            prep_minutes=10,
        )
        products = [add_product(merchant.id, name, price, stock)[0] for name, price, stock in spec["products"]]
        merchants.append(
            {
                "id": merchant.id,
                "phone": spec["phone"],
                "name": spec["name"],
                "location": spec["location"],
                "products": [
                    {"id": p.id, "name": p.name, "price": int(p.price), "stock": int(p.stock)} for p in products
                ],
            }
        )
    riders = []
    for spec in RIDERS:
        user = ensure_user(spec["phone"], ["rider"], name=spec["name"])
        create_rider(user.id, spec["name"], spec["phone"], spec["location"], capacity=3, vehicle="ebike", online=True)
        riders.append({"id": user.id, "phone": spec["phone"], "location": spec["location"]})
    customers = []
    for spec in CUSTOMERS:
        ensure_user(spec["phone"], ["customer"])
        customers.append({"phone": spec["phone"], "address": spec["address"]})
    return {"admin": {"phone": ADMIN_PHONE}, "merchants": merchants, "riders": riders, "customers": customers}
