"""The merchant console in a real browser (headless Chromium): the owner signs in with an SMS code, sees the new
order's alert unread with a badge, and marks everything read."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from paotui_local.harness import wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("no chromium on this machine: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_a_merchant_signs_in_sees_the_new_orders_alert_and_marks_it_read(cloud, browser):
    seed = cloud.seed()
    merchant, spec = seed["merchants"][0], seed["customers"][0]
    customer = cloud.login(spec["phone"])
    placed = customer.place_order(
        merchant["id"], [{"product_id": merchant["products"][0]["id"], "quantity": 1}], spec["address"]
    )
    assert placed.status_code == 201, placed.text
    assert customer.post(f"/orders/{placed.json()['id']}/pay", json={"channel": "sandbox"}).status_code == 200

    page = browser.new_page()
    page.goto(cloud.url("/console/"))
    page.fill("#phone", merchant["phone"])
    page.click("#sign-in button")
    page.wait_for_selector("#code-row:not([hidden])")
    page.fill("#code", cloud.sent_otp(merchant["phone"]))
    page.click("#sign-in button")
    page.wait_for_selector("#console:not([hidden])")
    assert page.input_value("#shop") == merchant["id"]

    # the console refreshes every 15 s: once the alert is there (asked with the page's own session), reload
    token = page.evaluate("sessionStorage.getItem('token')")
    session = {"Authorization": f"Bearer {token}"}
    alerts = cloud.url(f"/merchants/{merchant['id']}/alerts")
    wait_for(lambda: cloud.http.get(alerts, headers=session, timeout=15).json()["items"], what="the new order's alert")
    page.reload()
    alert = page.wait_for_selector("#alerts li.unread")
    assert "新订单" in alert.inner_text()
    assert page.inner_text("#badge") != ""

    page.click("#read")
    page.wait_for_selector("#alerts li.unread", state="detached")
    assert page.inner_text("#badge") == ""
    assert page.inner_text("#error") == ""
