"""Availability against moto: online, on a break, offline; who dispatch offers orders to; the presence job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.builders import (
    LAMBDA_CONTEXT,
    ORDER_ID,
    SHOP,
    SignedInApi,
    load_handler,
    make_order,
    make_rider,
    near,
    quiet_for,
)

ROOT = Path(__file__).resolve().parents[2]
SILENCE_SECONDS = 10 * 60  # settings.rider_silence_minutes


class NoWorkflow:
    """The watchdog's side of an acceptance; the refusals tested here never reach it."""

    def resolve_step(self, order_id: str, step: str) -> None:
        raise AssertionError("an accepted offer was not expected")

    def fail_step(self, order_id: str, step: str, error: str, cause: str) -> None:
        raise AssertionError("a rejected offer was not expected")


class BrokenPush:
    def send(self, to, title, body, **_):
        raise ConnectionError("push provider down")


@pytest.fixture
def api(aws) -> SignedInApi:
    return SignedInApi("RidersApi")


def availability(api: SignedInApi, rider_id: str, body: dict) -> tuple[int, dict]:
    return api.call("PUT", "/riders/me/availability", user=rider_id, roles="rider", body=body)


def stored(rider_id: str):
    from paotui.riders.records import RiderRecord

    return RiderRecord.get(rider_id, consistent_read=True)


def indexed(rider_id: str) -> dict[str, bool]:
    """Which sparse indexes hold the rider."""
    from paotui.riders.records import RiderRecord

    rider = stored(rider_id)
    in_cell = bool(rider.cell) and rider_id in [r.id for r in RiderRecord.by_cell.query(rider.cell)]
    in_presence = bool(rider.presence) and rider_id in [r.id for r in RiderRecord.by_presence.query(rider.presence)]
    return {"by-cell": in_cell, "by-presence": in_presence}


def pushes_to(rider_id: str) -> list[dict]:
    from paotui.notify.outbox import read

    return [message for message in read(rider_id) if message["channel"] == "push"]


def sweep():
    from paotui.riders.presence import sweep as run

    return run()


# --- availability states -------------------------------------------------------------------------


def test_online_break_offline_move_the_rider_in_and_out_of_the_indexes(api):
    make_rider("rdr_a", near(SHOP, 0), online=False)
    assert indexed("rdr_a") == {"by-cell": False, "by-presence": False}

    status, view = availability(api, "rdr_a", {"state": "online"})
    assert (status, view["state"], view["online"]) == (200, "online", True)
    assert indexed("rdr_a") == {"by-cell": True, "by-presence": True}

    status, view = availability(api, "rdr_a", {"state": "break"})
    assert (status, view["state"], view["online"]) == (200, "break", False)
    assert indexed("rdr_a") == {"by-cell": False, "by-presence": True}  # on duty: still watched for silence

    status, view = availability(api, "rdr_a", {"online": True})
    assert (status, view["state"]) == (200, "online")
    assert indexed("rdr_a") == {"by-cell": True, "by-presence": True}

    status, view = availability(api, "rdr_a", {"online": False})
    assert (status, view["state"], view["online"]) == (200, "offline", False)
    assert indexed("rdr_a") == {"by-cell": False, "by-presence": False}


def test_a_break_is_taken_from_online_and_bad_bodies_change_nothing(api):
    make_rider("rdr_a", near(SHOP, 0), online=False)
    version = int(stored("rdr_a").version)
    status, body = availability(api, "rdr_a", {"state": "break"})
    assert (status, body["error"]["code"]) == (409, "RIDER_OFFLINE")
    for bad in ({}, {"online": True, "state": "online"}, {"state": "busy"}, {"online": "true"}):
        status, body = availability(api, "rdr_a", bad)
        assert (status, body["error"]["code"]) == (422, "VALIDATION_ERROR"), bad
    assert int(stored("rdr_a").version) == version and stored("rdr_a").current_state == "offline"


# --- who dispatch offers orders to, and who may take them ---------------------------------------


def test_riders_on_a_break_or_offline_get_no_offers_from_a_round(aws):
    from paotui.dispatch.service import dispatch
    from paotui.riders.records import RiderState
    from paotui.riders.service import set_state

    make_order()
    make_rider("rdr_break", near(SHOP, 10))
    make_rider("rdr_offline", near(SHOP, 20))
    make_rider("rdr_far", near(SHOP, 2000))
    set_state("rdr_break", RiderState.BREAK)
    set_state("rdr_offline", RiderState.OFFLINE)

    offer = dispatch(ORDER_ID, reason="confirmed")
    assert offer.rider_id == "rdr_far"


def test_an_offer_taken_to_a_break_or_offline_cannot_be_accepted(aws):
    from paotui.dispatch.service import accept_offer, dispatch, get_offer
    from paotui.orders.service import get_order
    from paotui.platform.errors import Conflict
    from paotui.riders.records import RiderState
    from paotui.riders.service import set_state

    make_order()
    make_rider("rdr_a", near(SHOP, 10))
    offer = dispatch(ORDER_ID, reason="confirmed")
    assert offer.rider_id == "rdr_a"
    for state in (RiderState.BREAK, RiderState.OFFLINE):
        set_state("rdr_a", state)
        with pytest.raises(Conflict) as refused:
            accept_offer(offer.id, "rdr_a", workflow=NoWorkflow())
        assert refused.value.code == "RIDER_OFFLINE"
    assert get_offer(offer.id).status == "OPEN"
    order = get_order(ORDER_ID)
    assert (order.status, order.rider_id) == ("CONFIRMED", None)
    assert int(stored("rdr_a").active_orders) == 0


def test_dispatch_offers_a_rider_only_orders_picked_up_in_their_zone(aws):
    from paotui.dispatch.service import dispatch
    from paotui.riders.service import create_rider

    make_order()
    elsewhere = {"center": near(SHOP, 10_000), "radius_m": 3000}
    create_rider("rdr_zoned_away", "近但不在区域", "+8613900000991", near(SHOP, 10), 3, "ebike", True, zone=elsewhere)
    make_rider("rdr_far", near(SHOP, 2500))
    assert dispatch(ORDER_ID, reason="confirmed").rider_id == "rdr_far"

    make_order("ord_dispatch_0002")
    here = {"center": near(SHOP, 1000), "radius_m": 1500}
    create_rider("rdr_zoned_here", "区域内", "+8613900000992", near(SHOP, 20), 3, "ebike", True, zone=here)
    assert dispatch("ord_dispatch_0002", reason="confirmed").rider_id == "rdr_zoned_here"


# --- the presence job ------------------------------------------------------------------------------


def test_silent_riders_on_duty_go_offline_and_are_told_once(aws):
    from paotui.riders.records import RiderState
    from paotui.riders.service import set_state

    make_rider("rdr_silent", near(SHOP, 0))
    make_rider("rdr_resting", near(SHOP, 0))
    make_rider("rdr_talking", near(SHOP, 0))
    make_rider("rdr_home", near(SHOP, 0), online=False)
    set_state("rdr_resting", RiderState.BREAK)
    for rider_id in ("rdr_silent", "rdr_resting", "rdr_home"):
        quiet_for(rider_id, SILENCE_SECONDS + 5)
    quiet_for("rdr_talking", SILENCE_SECONDS - 30)

    scheduled = json.loads((ROOT / "events" / "RiderPresenceJob" / "scheduled.json").read_text())
    result = load_handler("RiderPresenceJob")(scheduled, LAMBDA_CONTEXT)
    assert result == {"set_offline": 2, "told": 2, "failed": 0}

    for rider_id in ("rdr_silent", "rdr_resting"):
        rider = stored(rider_id)
        assert (rider.current_state, rider.online) == ("offline", False)
        assert indexed(rider_id) == {"by-cell": False, "by-presence": False}
        (push,) = pushes_to(rider_id)
        assert push["title"] == "已自动下线"
        assert push["data"]["type"] == "presence" and push["data"]["state"] == "offline"
    assert stored("rdr_talking").current_state == "online" and indexed("rdr_talking")["by-cell"]
    assert pushes_to("rdr_talking") == [] and pushes_to("rdr_home") == []

    assert sweep().__dict__ == {"set_offline": 0, "told": 0, "failed": 0}  # a re-run changes nothing
    assert len(pushes_to("rdr_silent")) == 1

    set_state("rdr_silent", RiderState.ONLINE)  # back: on duty again, heard from now
    assert stored("rdr_silent").current_state == "online" and indexed("rdr_silent")["by-presence"]


def test_a_rider_back_on_duty_after_a_long_time_off_is_not_taken_offline_as_silent(api):
    """Off for two hours, the rider goes online again: that is hearing from them, so the next run of the job (a
    minute later at most) neither takes them offline nor pushes "silent for 10 minutes"."""
    make_rider("rdr_back", near(SHOP, 0))
    assert availability(api, "rdr_back", {"state": "offline"})[0] == 200
    quiet_for("rdr_back", 2 * 60 * 60)

    status, view = availability(api, "rdr_back", {"state": "online"})
    assert (status, view["state"]) == (200, "online")
    assert sweep().__dict__ == {"set_offline": 0, "told": 0, "failed": 0}
    assert stored("rdr_back").current_state == "online" and indexed("rdr_back")["by-cell"]
    assert pushes_to("rdr_back") == []


def test_a_run_that_could_not_tell_the_rider_leaves_it_to_the_next(aws, monkeypatch):
    from paotui.notify.push import get_push_sender
    from paotui.riders import presence

    make_rider("rdr_silent", near(SHOP, 0))
    quiet_for("rdr_silent", SILENCE_SECONDS + 5)

    monkeypatch.setattr(presence, "get_push_sender", BrokenPush)
    assert sweep().__dict__ == {"set_offline": 1, "told": 0, "failed": 1}
    rider = stored("rdr_silent")
    assert rider.current_state == "offline" and rider.presence == "notice_pending"
    assert indexed("rdr_silent") == {"by-cell": False, "by-presence": True}
    assert pushes_to("rdr_silent") == []

    monkeypatch.setattr(presence, "get_push_sender", get_push_sender)
    assert sweep().__dict__ == {"set_offline": 0, "told": 1, "failed": 0}
    assert len(pushes_to("rdr_silent")) == 1 and stored("rdr_silent").presence is None
    assert sweep().__dict__ == {"set_offline": 0, "told": 0, "failed": 0}
    assert len(pushes_to("rdr_silent")) == 1


def test_a_rider_who_reports_while_the_job_runs_stays_online(aws):
    from paotui.riders import presence
    from paotui.riders.location import update_location
    from paotui.riders.records import RiderRecord

    make_rider("rdr_a", near(SHOP, 0))
    quiet_for("rdr_a", SILENCE_SECONDS + 5)
    (seen_silent,) = RiderRecord.by_presence.query("on_duty")  # what the job read
    update_location("rdr_a", **near(SHOP, 50))  # the rider speaks up before the job writes
    assert presence._take_offline(seen_silent) is False
    assert stored("rdr_a").current_state == "online" and indexed("rdr_a")["by-cell"]


def test_a_rider_back_on_duty_before_being_told_is_not_told(aws, monkeypatch):
    from paotui.notify.push import get_push_sender
    from paotui.riders import presence
    from paotui.riders.records import RiderState
    from paotui.riders.service import set_state

    make_rider("rdr_a", near(SHOP, 0))
    quiet_for("rdr_a", SILENCE_SECONDS + 5)
    monkeypatch.setattr(presence, "get_push_sender", BrokenPush)
    sweep()
    set_state("rdr_a", RiderState.ONLINE)  # heard from now
    monkeypatch.setattr(presence, "get_push_sender", get_push_sender)
    assert sweep().__dict__ == {"set_offline": 0, "told": 0, "failed": 0}
    assert pushes_to("rdr_a") == [] and stored("rdr_a").current_state == "online"


def inbox_of(rider_id: str) -> list[str]:
    """The titles in the rider's inbox (what the app lists), whatever reached their devices."""
    from paotui.notify.records import MESSAGE_PREFIX, InboxRecord

    return [item.title for item in InboxRecord.query(rider_id, InboxRecord.entry.startswith(MESSAGE_PREFIX))]


def test_a_presence_run_that_fails_or_dies_midway_is_finished_by_the_next_with_each_rider_told_once(aws, monkeypatch):
    """Two silent riders (one online, one on a break), whichever call of the job fails or kills it. A push may
    reach the devices again when the run died while sending it (its claim lapses: at least once), never the
    inbox."""
    import uuid

    from paotui.riders.records import RiderState
    from paotui.riders.service import set_state
    from tests.integration.builders import AwsFaults, crash_at_every_step, scheduled

    faults = AwsFaults(monkeypatch)
    scheduled_event = json.loads((ROOT / "events" / "RiderPresenceJob" / "scheduled.json").read_text())

    def two_silent_riders():
        riders = [f"rdr_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        for rider_id in riders:
            make_rider(rider_id, near(SHOP, 0))
        set_state(riders[1], RiderState.BREAK)
        for rider_id in riders:
            quiet_for(rider_id, SILENCE_SECONDS + 5)

        def observe():
            return [
                (stored(r).current_state, stored(r).presence, indexed(r), inbox_of(r), len(pushes_to(r)) >= 1)
                for r in riders
            ]

        return scheduled_event, observe

    assert crash_at_every_step(faults, scheduled(load_handler("RiderPresenceJob")), two_silent_riders)
