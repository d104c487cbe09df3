"""Rider push over HTTP: riders register their phones, an offer reaches the inbox and the outbox, and an
offer left unanswered is texted to the rider once."""

from __future__ import annotations

import time

import pytest

from paotui_local.harness import wait_for

pytestmark = pytest.mark.e2e


def test_an_offer_is_pushed_to_the_registered_rider_and_texted_once_when_unanswered(cloud):
    ttl = int(cloud.timers["OFFER_TTL_SECONDS"])
    assert int(cloud.timers["OFFER_SMS_FALLBACK_SECONDS"]) < ttl
    seed = cloud.seed()
    merchant, spec = seed["merchants"][0], seed["customers"][0]
    riders = {r["id"]: (cloud.login(r["phone"]), r["phone"]) for r in seed["riders"]}
    for n, (rider, _) in enumerate(riders.values()):
        registered = rider.post("/riders/me/devices", json={"platform": "fcm", "token": f"e2e-rider-device-{n:04d}"})
        assert registered.status_code == 201, registered.text
        assert [d["id"] for d in rider.get("/riders/me/devices").json()] == [registered.json()["id"]]

    order_id = cloud.login(spec["phone"]).confirmed_order(merchant, spec["address"])

    def a_fallback_text():
        # any offer of the order: when the first round is slow, the watchdog (whose offer TTL runs from the
        # confirmation) re-dispatches, withdrawing that offer before its reminder comes
        for rider_id, (_, phone) in riders.items():
            for message in cloud.outbox(phone):
                data = message.get("data") or {}
                if data.get("type") == "offer_reminder" and data.get("order_id") == order_id:
                    return rider_id, message
        return None

    rider_id, text = wait_for(a_fallback_text, what="the SMS fallback of an offer", timeout=6 * ttl)
    rider, phone = riders[rider_id]
    offer_id = text["data"]["offer_id"]
    assert text["channel"] == "sms"

    def about_the_offer(messages):
        return [m for m in messages if (m.get("data") or {}).get("offer_id") == offer_id]

    (item,) = about_the_offer(rider.get("/riders/me/inbox").json()["items"])
    assert (item["data"]["order_id"], item["read"]) == (order_id, False)
    (pushed,) = about_the_offer(cloud.outbox(rider_id))
    assert (pushed["channel"], pushed["title"]) == ("push", item["title"])
    time.sleep(ttl)  # the offer has expired: nothing more comes of it
    assert len(about_the_offer(cloud.outbox(phone))) == 1
    read = rider.post("/riders/me/inbox/read", json={"up_to": item["sent_at"]})
    assert read.status_code == 200 and read.json() == {"read_up_to": item["sent_at"]}
    assert about_the_offer(rider.get("/riders/me/inbox").json()["items"])[0]["read"] is True
