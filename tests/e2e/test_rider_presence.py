"""Rider presence over HTTP: an admin onboards a rider, who goes online, falls silent, and is set offline and told."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from paotui.platform import clock
from paotui_local.harness import Cloud, start_cloud, wait_for

pytestmark = pytest.mark.e2e

SILENCE_SECONDS = 3
RIDER_PHONE = "+8613900000123"


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    """A cloud where riders fall silent after a few seconds (settings.rider_silence_minutes)."""
    with start_cloud({"RIDER_SILENCE_MINUTES": str(SILENCE_SECONDS / 60)}) as running:
        yield running


def test_an_onboarded_rider_who_falls_silent_is_set_offline_and_told(cloud):
    seed = cloud.seed()
    admin = cloud.login(seed["admin"]["phone"])
    created = admin.post(
        "/admin/riders", json={"phone": RIDER_PHONE, "name": "骑手 赵六", "vehicle": "ebike", "capacity": 2}
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "APPROVED"

    rider = cloud.login(RIDER_PHONE)
    assert "rider" in rider.roles
    shop = seed["merchants"][0]["location"]
    moved = rider.put("/riders/me/location", json={"points": [{**shop, "at": clock.now_iso()}]})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["accepted"], moved.json()["flagged"]) == (1, 0)
    online = rider.put("/riders/me/availability", json={"state": "online"})
    assert (online.status_code, online.json()["state"]) == (200, "online")

    time.sleep(SILENCE_SECONDS + 1)
    job = cloud.http.post(cloud.url("/dev/jobs/RiderPresenceJob"), timeout=30)
    assert job.status_code == 200, job.text
    assert job.json()["result"]["set_offline"] >= 1  # the seeded riders fell silent too

    def presence_push():
        return [m for m in cloud.outbox(rider.id) if (m.get("data") or {}).get("type") == "presence"]

    (push,) = wait_for(presence_push, what="the presence push")
    assert push["channel"] == "push" and push["title"] == "已自动下线"
    riders = admin.get("/admin/riders", params={"status": "APPROVED", "limit": 100}).json()["items"]
    (mine,) = [r for r in riders if r["id"] == rider.id]
    assert (mine["state"], mine["online"]) == ("offline", False)

    again = cloud.http.post(cloud.url("/dev/jobs/RiderPresenceJob"), timeout=30)
    assert again.json()["result"] == {"set_offline": 0, "told": 0, "failed": 0}
    assert len(presence_push()) == 1
