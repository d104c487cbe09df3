"""Time from a merchant's CONFIRMED to the rider's offer push, over the running local cloud.

Starts the local cloud as `make run` does (pollers at their default
interval), then for each of N orders: place, pay, confirm, and measure from
just before the confirm request to the `sent_at` of the push in the rider's
outbox; then the rider accepts and delivers, so riders stay free.

    .venv/bin/python bench/offer_latency.py [--orders 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from paotui_local.harness import start_cloud

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    args = parser.parse_args()

    with start_cloud(timers={"OFFER_TTL_SECONDS": "30", "PAYMENT_TIMEOUT_SECONDS": "300"}) as cloud:
        seed = cloud.seed()
        riders = {r["id"]: cloud.login(r["phone"]) for r in seed["riders"]}
        spec = seed["customers"][0]
        customer = cloud.login(spec["phone"])
        plan = [(m, p) for m in seed["merchants"] for p in m["products"] for _ in range(p["stock"])]
        merchants = {m["id"]: cloud.login(m["phone"]) for m in seed["merchants"]}
        latencies = []
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
                else:
                    time.sleep(0.02)
            if push is None:
                sys.exit(f"no offer for {order_id} within 10 s")
            sent = datetime.fromisoformat(push["sent_at"].replace("Z", "+00:00"))
            latencies.append((sent - started).total_seconds())
            rider = riders[rider_id]
            rider.post(f"/offers/{push['data']['offer_id']}/accept").raise_for_status()
            rider.deliver(order_id, code=customer.order(order_id)["delivery_code"])
    result = {
        "orders": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(percentile(latencies, 0.95) * 1000),
        "max_ms": round(max(latencies) * 1000),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "offer_latency.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
