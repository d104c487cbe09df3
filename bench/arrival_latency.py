"""Time from a rider becoming available to the offer push of an order that was waiting for one, over the local cloud.

An order confirmed while no rider near its store can take it waits in its
zone's pool until a round finds it a rider: its watchdog's next try, an offer
TTL (30 s) after the last, or the round a rider's arrival asks for. Starts the
local cloud as `make run` does, then for each of N orders, as ``--when`` says:

- ``online`` (``rider.online``): every rider off duty; the order placed, paid
  and confirmed; its first round over (no rider: the order in its pool,
  DispatchQueue empty); one rider goes online. Measured from just before that
  request.
- ``freed`` (an order's DELIVERED): one rider on duty takes three orders,
  their capacity; the order confirmed then waits; the rider picks the three up
  and hands them over. Measured from just before the first hand-over (the
  engine plans a busy rider once their route ends within its queue horizon,
  which may be before the last one).

Measured to the `sent_at` of the offer push in the rider's outbox, split at
the offer's round (``expires_at`` less the TTL): availability → round (the
announcement, DispatchQueue, the worker's reads) and round → push. The rider
accepts and delivers, and goes off duty again.

    .venv/bin/python bench/arrival_latency.py [--when online|freed] [--orders 30]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

from offer_latency import CLOUD_TIMERS, OFFER_TTL_SECONDS, report
from paotui_local.harness import Cloud, User, start_cloud, wait_for


@dataclass
class Scene:
    """The seeded cloud: the first merchant, a customer, the merchant's owner and the riders (the first one works)."""

    cloud: Cloud
    merchant: dict
    spec: dict
    customer: User
    owner: User
    riders: list[User]
    placed: count

    def confirmed_order(self) -> str:
        """An order placed, paid and confirmed at the merchant, its product taken in turn (so the stock lasts)."""
        products = self.merchant["products"][:2]
        product = products[next(self.placed) % len(products)]
        order_id = self.customer.place_order(
            self.merchant["id"], [{"product_id": product["id"], "quantity": 1}], self.spec["address"]
        ).json()["id"]
        self.customer.post(f"/orders/{order_id}/pay", json={"channel": "sandbox"}).raise_for_status()
        self.owner.post(f"/orders/{order_id}/transitions", json={"to": "CONFIRMED"}).raise_for_status()
        return order_id

    def waiting(self, *order_ids: str) -> None:
        """Until the orders are in their zone's pool and no dispatch run is under way."""
        wait_for(lambda: set(order_ids) <= self.cloud.pooled() and self.cloud.dispatch_idle(), what="orders waiting")

    def offered(self, rider: User, order_id: str) -> dict:
        return wait_for(lambda: next((o for o in rider.offers() if o["order_id"] == order_id), None), what="an offer")

    def off_duty(self) -> None:
        for rider in self.riders:
            rider.put("/riders/me/availability", json={"online": False}).raise_for_status()

    def delivered(self, rider: User, order_id: str) -> None:
        rider.hand_over(order_id, code=self.customer.order(order_id)["delivery_code"])


def comes_online(scene: Scene) -> tuple[datetime, str]:
    """Every rider off duty, an order left waiting, then the first rider on duty: (when, the order)."""
    scene.off_duty()
    order_id = scene.confirmed_order()
    scene.waiting(order_id)
    started = datetime.now().astimezone()
    scene.riders[0].put("/riders/me/availability", json={"online": True}).raise_for_status()
    return started, order_id


def comes_free(scene: Scene) -> tuple[datetime, str]:
    """The first rider alone on duty takes three orders (their capacity), a fourth is left waiting, then the rider
    delivers the three: (when the first hand-over began, the fourth)."""
    rider = scene.riders[0]
    scene.off_duty()
    carried = [scene.confirmed_order() for _ in range(3)]
    scene.waiting(*carried)
    rider.put("/riders/me/availability", json={"online": True}).raise_for_status()
    for order_id in carried:
        rider.post(f"/offers/{scene.offered(rider, order_id)['id']}/accept").raise_for_status()
    order_id = scene.confirmed_order()
    scene.waiting(order_id)
    for carried_id in carried:
        rider.pick_up(carried_id)
    started = datetime.now().astimezone()
    for carried_id in carried:
        scene.delivered(rider, carried_id)
    return started, order_id


SETUPS = {"online": comes_online, "freed": comes_free}


def measure(scene: Scene, when: str) -> tuple[float, float, float]:
    """One order's wait: (availability → push, availability → round, round → push) in seconds. The rider then
    accepts and delivers it."""
    rider = scene.riders[0]
    started, order_id = SETUPS[when](scene)

    def pushed() -> dict | None:
        return next(
            (
                m
                for m in scene.cloud.outbox(rider.id)
                if m["channel"] == "push" and m["data"].get("order_id") == order_id
            ),
            None,
        )

    push = wait_for(pushed, what="the offer push", timeout=OFFER_TTL_SECONDS + 10)
    sent = datetime.fromisoformat(push["sent_at"].replace("Z", "+00:00"))
    planned = datetime.fromisoformat(push["data"]["expires_at"]) - timedelta(seconds=OFFER_TTL_SECONDS)
    rider.post(f"/offers/{push['data']['offer_id']}/accept").raise_for_status()
    rider.deliver(order_id, code=scene.customer.order(order_id)["delivery_code"])
    return (sent - started).total_seconds(), (planned - started).total_seconds(), (sent - planned).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--when", choices=sorted(SETUPS), default="online")
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()

    with start_cloud(timers=CLOUD_TIMERS) as cloud:
        seed = cloud.seed()
        merchant, spec = seed["merchants"][0], seed["customers"][0]
        scene = Scene(
            cloud=cloud,
            merchant=merchant,
            spec=spec,
            customer=cloud.login(spec["phone"]),
            owner=cloud.login(merchant["phone"]),
            riders=[cloud.login(r["phone"]) for r in seed["riders"]],
            placed=count(),
        )
        measured = [measure(scene, args.when) for _ in range(args.orders)]
    latencies, to_round, to_push = (list(leg) for leg in zip(*measured, strict=True))
    if min(to_round) < 0:
        sys.exit("an offer's round began before the rider was available: not the round their availability asked for")
    name = "arrival_latency" if args.when == "online" else "freed_latency"
    report(name, latencies, {"availability_to_round": to_round, "round_to_push": to_push})


if __name__ == "__main__":
    main()
