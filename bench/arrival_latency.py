"""Time from a rider going on duty to the offer push of an order that was waiting for one, over the local cloud.

An order confirmed while nobody near its store is on duty waits in its zone's
pool until a round finds it a rider: its watchdog's next try, an offer TTL
(30 s) after the last, or, since ``rider.online``, the round a rider's
arrival asks for. Starts the local cloud as `make run` does, then for each of
N orders: every rider off duty; the order placed, paid and confirmed; its
first round over (no rider: the order in its pool, DispatchQueue empty); one
rider goes online. Measured from just before that request to the `sent_at`
of the offer push in the rider's outbox, split at the offer's round
(``expires_at`` less the TTL): arrival → round (RidersApi's announcement,
DispatchQueue, the worker's reads) and round → push. The rider accepts and
delivers, and goes off duty again.

    .venv/bin/python bench/arrival_latency.py [--orders 30]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from offer_latency import CLOUD_TIMERS, OFFER_TTL_SECONDS, report
from paotui_local.harness import Cloud, User, start_cloud, wait_for


def arrival(
    cloud: Cloud, merchant: dict, spec: dict, customer: User, owner: User, riders: list[User]
) -> tuple[float, float, float]:
    """One order left waiting with every rider off duty, then the first rider on duty: (arrival → push, arrival →
    round, round → push) in seconds. The rider then accepts and delivers it."""
    rider = riders[0]
    for each in riders:
        each.put("/riders/me/availability", json={"online": False}).raise_for_status()
    product = merchant["products"][0]
    order_id = customer.place_order(
        merchant["id"], [{"product_id": product["id"], "quantity": 1}], spec["address"]
    ).json()["id"]
    customer.post(f"/orders/{order_id}/pay", json={"channel": "sandbox"}).raise_for_status()
    owner.post(f"/orders/{order_id}/transitions", json={"to": "CONFIRMED"}).raise_for_status()
    wait_for(lambda: order_id in cloud.pooled() and cloud.dispatch_idle(), what="the order waiting")

    def pushed() -> dict | None:
        return next(
            (m for m in cloud.outbox(rider.id) if m["channel"] == "push" and m["data"].get("order_id") == order_id),
            None,
        )

    started = datetime.now().astimezone()
    rider.put("/riders/me/availability", json={"online": True}).raise_for_status()
    push = wait_for(pushed, what="the offer push", timeout=OFFER_TTL_SECONDS + 10)
    sent = datetime.fromisoformat(push["sent_at"].replace("Z", "+00:00"))
    planned = datetime.fromisoformat(push["data"]["expires_at"]) - timedelta(seconds=OFFER_TTL_SECONDS)
    rider.post(f"/offers/{push['data']['offer_id']}/accept").raise_for_status()
    rider.deliver(order_id, code=customer.order(order_id)["delivery_code"])
    return (sent - started).total_seconds(), (planned - started).total_seconds(), (sent - planned).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()

    with start_cloud(timers=CLOUD_TIMERS) as cloud:
        seed = cloud.seed()
        merchant, spec = seed["merchants"][0], seed["customers"][0]
        customer, owner = cloud.login(spec["phone"]), cloud.login(merchant["phone"])
        riders = [cloud.login(r["phone"]) for r in seed["riders"]]
        measured = [arrival(cloud, merchant, spec, customer, owner, riders) for _ in range(args.orders)]
    latencies, to_round, to_push = (list(leg) for leg in zip(*measured, strict=True))
    if min(to_round) < 0:
        sys.exit("an offer's round began before its rider came online: not the arrival's round")
    report("arrival_latency", latencies, {"arrival_to_round": to_round, "round_to_push": to_push})


if __name__ == "__main__":
    main()
