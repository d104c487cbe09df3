"""Time from a merchant's CONFIRMED to the rider's offer push, over the running local cloud.

Starts the local cloud as `make run` does (pollers at their default
interval), then for each of N orders: place, pay, confirm, and measure from
just before the confirm request to the `sent_at` of the push in the rider's
outbox; then the rider accepts and delivers, so riders stay free. The
offer's round began at its ``expires_at`` less the offer TTL, which splits
the time into confirm → round (Orders stream, EventRouter, DispatchQueue, the
worker's first reads) and round → push (the round, its writes, the Offers
stream, EventRouter, NotifyQueue, NotifyWorker).

    .venv/bin/python bench/offer_latency.py [--orders 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from paotui_local.harness import start_cloud

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
OFFER_TTL_SECONDS = 30
"""An offer expires this long after its round began (``expires_at``), which splits the latency in two legs."""
CLOUD_TIMERS = {"OFFER_TTL_SECONDS": str(OFFER_TTL_SECONDS), "PAYMENT_TIMEOUT_SECONDS": "300"}
"""The cloud the latency benches start: offers of that TTL, and no payment timeout while orders are paid."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(seconds: list[float]) -> dict[str, int]:
    return {
        "p50_ms": round(statistics.median(seconds) * 1000),
        "p95_ms": round(percentile(seconds, 0.95) * 1000),
        "max_ms": round(max(seconds) * 1000),
    }


def report(name: str, latencies: list[float], legs: dict[str, list[float]]) -> None:
    """Summarise the latencies and their legs, write them to ``bench/out/<name>.json`` and print them."""
    result = {"orders": len(latencies), **summary(latencies), **{leg: summary(times) for leg, times in legs.items()}}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    args = parser.parse_args()

    with start_cloud(timers=CLOUD_TIMERS) as cloud:
        seed = cloud.seed()
        riders = {r["id"]: cloud.login(r["phone"]) for r in seed["riders"]}
        spec = seed["customers"][0]
        customer = cloud.login(spec["phone"])
        plan = [(m, p) for m in seed["merchants"] for p in m["products"] for _ in range(p["stock"])]
        merchants = {m["id"]: cloud.login(m["phone"]) for m in seed["merchants"]}
        latencies, to_round, to_push = [], [], []
        for merchant, product in plan[: args.orders]:
            order_id = customer.place_order(
                merchant["id"], [{"product_id": product["id"], "quantity": 1}], spec["address"]
            ).json()["id"]
            customer.post(f"/orders/{order_id}/pay", json={"channel": "sandbox"}).raise_for_status()
            started = datetime.now().astimezone()
            merchants[merchant["id"]].post(
                f"/orders/{order_id}/transitions", json={"to": "CONFIRMED"}
            ).raise_for_status()
            push, rider_id = None, None
            deadline = time.monotonic() + 10
            while push is None and time.monotonic() < deadline:
                for rid in riders:
                    push = next(
                        (
                            m
                            for m in cloud.outbox(rid)
                            if m["channel"] == "push" and m["data"].get("order_id") == order_id
                        ),
                        None,
                    )
                    if push:
                        rider_id = rid
                        break
                else:  # the push's own sent_at is measured: polling less often loads the cloud less, not the result
                    time.sleep(0.1)
            if push is None:
                sys.exit(f"no offer for {order_id} within 10 s")
            sent = datetime.fromisoformat(push["sent_at"].replace("Z", "+00:00"))
            planned = datetime.fromisoformat(push["data"]["expires_at"]) - timedelta(seconds=OFFER_TTL_SECONDS)
            latencies.append((sent - started).total_seconds())
            to_round.append((planned - started).total_seconds())
            to_push.append((sent - planned).total_seconds())
            rider = riders[rider_id]
            rider.post(f"/offers/{push['data']['offer_id']}/accept").raise_for_status()
            rider.deliver(order_id, code=customer.order(order_id)["delivery_code"])
    report("offer_latency", latencies, {"confirm_to_round": to_round, "round_to_push": to_push})


if __name__ == "__main__":
    main()
