"""Flows more than one e2e module drives over HTTP; modules import from here, never from each other."""

from __future__ import annotations

from paotui_local.harness import wait_for


def deliver(cloud, seed) -> tuple[dict, object, dict]:
    """A customer's order, paid and confirmed, accepted and delivered by the seeded rider offered it:
    (the delivered order, the rider, the accepted offer)."""
    merchant, spec = seed["merchants"][0], seed["customers"][0]
    customer, owner = cloud.login(spec["phone"]), cloud.login(merchant["phone"])
    riders = [cloud.login(rider["phone"]) for rider in seed["riders"]]
    placed = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][0]["id"], "quantity": 1}], spec["address"]
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["promised_at"] > order["created_at"]
    assert customer.post(f"/orders/{order['id']}/pay", json={"channel": "sandbox"}).status_code == 200
    assert owner.post(f"/orders/{order['id']}/transitions", json={"to": "CONFIRMED"}).status_code == 200

    def offered():
        return next(((r, o) for r in riders for o in r.offers() if o["order_id"] == order["id"]), None)

    rider, offer = wait_for(offered, what="an offer to a seeded rider")
    assert rider.post(f"/offers/{offer['id']}/accept").status_code == 200
    code = customer.order(order["id"]).get("delivery_code")
    address = {"lat": spec["address"]["lat"], "lng": spec["address"]["lng"]}
    for move in (
        {"to": "PICKING_UP", "position": merchant["location"]},
        {"to": "DELIVERING", "items_checked": True},
        {"to": "DELIVERED", "position": address, **({"proof": {"code": code}} if code else {})},
    ):
        moved = rider.post(f"/orders/{order['id']}/transitions", json=move)
        assert moved.status_code == 200, moved.text
    return customer.order(order["id"]), rider, offer
