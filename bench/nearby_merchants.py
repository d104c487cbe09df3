"""`GET /merchants?lat=&lng=` over 5,000 merchants in one city: the H3 ``by-cell`` search against a full scan.

Seeds an in-process moto with 5,000 merchants spread over a 50 x 50 km box
around People's Square (a radius area of 2-5 km each; one in five saved a
drawn hexagonal area instead), then for N random points in the box times
``service.nearby_merchants`` (the ``by-cell`` GSI queries, the path the API
takes) and a scan of the whole table through the same area filter, and counts
the items each reads: DynamoDB bills and paces reads by items, and moto
answers a GSI query by walking the whole table, so its times understate what
the index saves in AWS.

    .venv/bin/python bench/nearby_merchants.py [--merchants 5000] [--points 30]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import time
from collections import Counter
from pathlib import Path

CENTRE = (31.2304, 121.4737)
HALF_BOX_M = 25_000
OUT = Path(__file__).resolve().parent / "out"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def offset(rng: random.Random, half_m: float) -> tuple[float, float]:
    north, east = rng.uniform(-half_m, half_m), rng.uniform(-half_m, half_m)
    return CENTRE[0] + north / 111_320, CENTRE[1] + east / (111_320 * math.cos(math.radians(CENTRE[0])))


def hexagon(lat: float, lng: float, radius_m: float) -> list[list[float]]:
    ring = []
    for k in range(7):
        angle = math.radians(60 * k)
        ring.append(
            [
                lng + radius_m * math.cos(angle) / (111_320 * math.cos(math.radians(lat))),
                lat + radius_m * math.sin(angle) / 111_320,
            ]
        )
    ring[-1] = ring[0]
    return ring


def seed(count: int, rng: random.Random) -> Counter:
    from paotui.catalog import delivery
    from paotui.catalog.records import DeliveryMap, FeeTierMap, MerchantRecord
    from paotui.platform.dynamo import LatLngMap
    from paotui.platform.geo import cell_of
    from paotui.platform.settings import get_settings

    resolution = get_settings().merchant_cell_resolution
    cells = Counter()
    with MerchantRecord.batch_write() as batch:
        for i in range(count):
            lat, lng = offset(rng, HALF_BOX_M)
            radius = rng.randrange(2000, 5001, 500)
            merchant = MerchantRecord(
                f"mer_{i:05d}",
                owner_id=f"usr_{i:05d}",
                name=f"shop {i}",
                phone="+8613800000000",
                address="somewhere",
                location=LatLngMap(lat=lat, lng=lng),
                cell=cell_of(lat, lng, resolution),
                reach_m=radius,
                prep_minutes=15,
                delivery=DeliveryMap(
                    radius_m=radius,
                    base_fee=500,
                    base_distance_m=3000,
                    tiers=[FeeTierMap(up_to_m=5000, fee_per_km=100)],
                    min_order=0,
                ),
                created_at="2026-11-26T00:00:00.000Z",
            )
            if i % 5 == 0:
                fees = {"base_fee": 400, "base_distance_m": 3000}
                area = {"name": "hex", "polygon": {"type": "Polygon", "coordinates": [hexagon(lat, lng, radius)]}}
                settings = delivery.DeliverySettings.model_validate({"areas": [area | {"fees": fees}]})
                stored = delivery.indexed(merchant, settings)
                merchant.delivery_settings = stored.model_dump_json()
                merchant.reach_m = max(area.reach_m for area in stored.areas)
            batch.save(merchant)
            cells[merchant.cell] += 1
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=5000)
    parser.add_argument("--points", type=int, default=30)
    args = parser.parse_args()
    os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")

    from moto import mock_aws

    with mock_aws():
        from paotui.catalog import service
        from paotui.catalog.records import MerchantRecord
        from paotui.platform.geo import disk_cells
        from paotui.platform.settings import get_settings

        MerchantRecord.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        rng = random.Random(2026)
        started = time.perf_counter()
        per_cell = seed(args.merchants, rng)
        seeded_s = time.perf_counter() - started
        settings = get_settings()
        points = [offset(rng, HALF_BOX_M) for _ in range(args.points)]
        indexed_ms, scan_ms, indexed_reads, found = [], [], [], []
        for lat, lng in points:
            started = time.perf_counter()
            page, _ = service.nearby_merchants(lat, lng, limit=20)
            indexed_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            scanned = service.deliverable(MerchantRecord.scan(), lat, lng)
            scan_ms.append((time.perf_counter() - started) * 1000)
            assert [near.merchant.id for near in page] == [near.merchant.id for near in scanned[:20]]
            cells = disk_cells(lat, lng, settings.merchant_cell_resolution, settings.merchant_max_radius_m)
            indexed_reads.append(sum(per_cell[cell] for cell in cells))
            found.append(len(scanned))

    result = {
        "merchants": args.merchants,
        "points": args.points,
        "seed_s": round(seeded_s, 1),
        "deliverable_per_point_median": statistics.median(found),
        "indexed": {
            "p50_ms": round(percentile(indexed_ms, 0.5), 1),
            "p95_ms": round(percentile(indexed_ms, 0.95), 1),
            "items_read_median": statistics.median(indexed_reads),
            "queries": len(cells),
        },
        "scan": {
            "p50_ms": round(percentile(scan_ms, 0.5), 1),
            "p95_ms": round(percentile(scan_ms, 0.95), 1),
            "items_read": args.merchants,
        },
    }
    result["ratio_p50"] = round(result["scan"]["p50_ms"] / result["indexed"]["p50_ms"], 2)
    result["ratio_items"] = round(args.merchants / result["indexed"]["items_read_median"], 2)
    OUT.mkdir(exist_ok=True)
    (OUT / "nearby_merchants.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
