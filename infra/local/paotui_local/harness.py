"""Drive a local cloud from outside: start it as a subprocess, and talk to it as clients do.

The e2e tests and the benchmarks use this: the cloud runs exactly as
`make run` runs it, and the client speaks API.md as the mini-program, the
merchant console and the rider app do (logging in with the OTP from the
outbox).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

READY_LINE = "paotui local cloud ready on "
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def start_cloud(timers: Mapping[str, str] | None = None, *, echo_logs: bool = False) -> Iterator[Cloud]:
    """Run `python -m paotui_local` on a free port until the block ends."""
    port = free_port()
    env = {**os.environ, **(timers or {})}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "paotui_local", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        base_url = _wait_until_ready(process)
        threading.Thread(target=_pump, args=(process, echo_logs), daemon=True).start()
        yield Cloud(base_url, timers=dict(timers or {}))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_ready(process: subprocess.Popen) -> str:
    lines: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("the local cloud exited:\n" + "".join(lines[-50:]))
        lines.append(line)
        if line.startswith(READY_LINE):
            return line[len(READY_LINE) :].strip()
    raise TimeoutError("the local cloud did not get ready:\n" + "".join(lines[-50:]))


def _pump(process: subprocess.Popen, echo: bool) -> None:
    """Keep reading the cloud's log so its pipe never fills up and blocks it."""
    for line in process.stdout:
        if echo:
            sys.stderr.write(line)


HAPPY_PATH = ["PENDING_PAYMENT", "PAID", "CONFIRMED", "ASSIGNED", "PICKING_UP", "DELIVERING", "DELIVERED"]
"""The statuses a delivered order's timeline goes through, in order."""


class Cloud:
    def __init__(self, base_url: str, timers: Mapping[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.timers = dict(timers or {})
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=15, **kwargs)

    def seed(self) -> dict[str, Any]:
        return self.get("/dev/seed").json()

    def outbox(self, to: str) -> list[dict[str, Any]]:
        response = self.get("/dev/outbox", params={"to": to})
        response.raise_for_status()
        return response.json()

    def login(self, phone: str) -> User:
        assert self.http.post(self.url("/auth/otp"), json={"phone": phone}, timeout=15).status_code == 202

        def otp_sms() -> dict[str, Any] | None:  # newest first; the phone may also get order notifications
            return next((m for m in self.outbox(phone) if (m.get("data") or {}).get("template") == "otp"), None)

        code = re.search(r"(?<!\d)\d{6}(?!\d)", wait_for(otp_sms, what="OTP SMS")["body"]).group()
        response = self.http.post(self.url("/auth/login"), json={"phone": phone, "code": code}, timeout=15)
        assert response.status_code == 200, response.text
        body = response.json()
        return User(self, body["token"], body["user"]["id"], phone, roles=body["user"]["roles"])

    def login_with_wechat(self, openid: str | None = None) -> User:
        """Sign in as the mini-program does: ``wx.login`` (the local fake) for a code, then ``POST /auth/wechat``."""
        grant = self.http.post(self.url("/dev/wechat/code"), json={"openid": openid} if openid else {}, timeout=15)
        assert grant.status_code == 200, grant.text
        response = self.http.post(self.url("/auth/wechat"), json={"code": grant.json()["code"]}, timeout=15)
        assert response.status_code == 200, response.text
        body = response.json()
        return User(self, body["token"], body["user"]["id"], "", roles=body["user"]["roles"])

    def pay_at_provider(self, channel: str, order_id: str, *, notify: bool = True) -> dict[str, Any]:
        """The payer pays the order's trade at the channel's local fake, which calls back (or loses the callback)."""
        trade_no = order_id.removeprefix("ord_")
        query = "" if notify else "?notify=false"
        response = self.http.post(self.url(f"/dev/pay/{channel}/{trade_no}{query}"), timeout=15)
        assert response.status_code == 200, response.text
        return response.json()

    def eleme_order(self, shop_id: str, items: list[dict], address: dict, **fields: Any) -> dict[str, Any]:
        """A customer orders on Ele.me: the local fake pushes it, signed, to our push route.

        ``items``: [{"extend_code", "quantity", "price" (fen)}]; the answer has the Ele.me order id and how our
        push route answered (``acknowledged``: 200 ``{"message": "ok"}``).
        """
        body = {"shop_id": shop_id, "items": items, "address": address, **fields}
        response = self.http.post(self.url("/dev/eleme/orders"), json=body, timeout=15)
        assert response.status_code == 200, response.text
        return response.json()

    def dada_status(self, order_id: str, status: int, *, forged: bool = False) -> dict[str, Any]:
        """Dada moves its order for ours to ``status`` (a Dada code) and calls our callback route; the answer says
        how the route answered (``acknowledged``: a 2xx). ``forged``: a callback Dada never signed."""
        query = "?forged=true" if forged else ""
        response = self.http.post(self.url(f"/dev/dada/{order_id}/{status}{query}"), timeout=15)
        assert response.status_code == 200, response.text
        return response.json()


class User:
    def __init__(self, cloud: Cloud, token: str, user_id: str, phone: str, roles: list[str] | None = None):
        self.cloud, self.token, self.id, self.phone = cloud, token, user_id, phone
        self.roles = frozenset(roles or ())
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.cloud.http.request(method, self.cloud.url(path), headers=headers, timeout=15, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def place_order(
        self, merchant_id: str, items: list[dict], address: dict, key: str | None = None
    ) -> requests.Response:
        return self.post(
            "/orders",
            json={"merchant_id": merchant_id, "items": items, "address": address},
            headers={"Idempotency-Key": key or uuid.uuid4().hex},
        )

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.get(f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def offers(self) -> list[dict[str, Any]]:
        response = self.get("/riders/me/offers")
        assert response.status_code == 200, response.text
        return response.json()


def wait_for(probe: Callable[[], Any], *, what: str, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until ``probe`` returns something truthy; the async half of the system needs a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
