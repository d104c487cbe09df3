"""Drive a local cloud from outside: start it in a process of its own, and talk to it as clients do.

The e2e tests and the benchmarks use this: the cloud runs the same ``main``
as `make run` (forked from a :class:`Zygote` that has its modules imported),
and the client speaks API.md as the mini-program, the merchant console and
the rider app do (logging in with the OTP from the outbox).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import boto3
import requests

READY_LINE = "paotui local cloud ready on "
MOTO_LINE = re.compile(r"AWS services \(moto\) on (\S+)")
"""How the cloud's log tells where its moto listens: the harness lets it pick a free port, as the gateway does."""
STACK = "paotui"  # the cloud's stack name: physical names are paotui-<LogicalId>
REGION = "us-east-1"
STARTUP_SECONDS = 60


@contextlib.contextmanager
def start_cloud(timers: Mapping[str, str] | None = None, *, echo_logs: bool = False) -> Iterator[Cloud]:
    """Run the local cloud (``paotui_local.__main__.main``) until the block ends: forked from this process's
    :class:`Zygote`, in a process of its own.

    The gateway and moto each bind port 0 and the cloud says which ports it got. A port picked here and bound
    there later could be taken meanwhile (by any connection's ephemeral port), failing the start."""
    env = {**os.environ, **(timers or {})}
    env.pop("AWS_ENDPOINT_URL", None)
    process = zygote().start(["--port", "0", "--moto-port", "0"], env)
    try:
        try:
            base_url, moto_url = _wait_until_ready(process)
        except BaseException:
            process.stdout.close()
            raise
        threading.Thread(target=_pump, args=(process, echo_logs), daemon=True).start()
        yield Cloud(base_url, timers=dict(timers or {}), moto_url=moto_url)
    finally:
        # a test's cloud holds nothing worth an orderly stop (4 s: long polls, moto): killed, its
        # containers see their pipe close and exit, and its fork server follows it
        process.kill()
        process.wait()


class CloudProcess:
    """A cloud forked by the zygote, as :func:`start_cloud` uses it: its output, whether it ended, a kill.

    The zygote, not this process, is its parent (and reaps it), so it has no exit status here."""

    def __init__(self, pid: int, output: int):
        self.pid = pid
        self.stdout = open(output, encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by whoever reads it last)

    def poll(self) -> int | None:
        """None while it runs."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)


class Zygote:
    """``python -m paotui_local.zygote``: one per process that starts clouds, forking each from its loaded modules.

    A fresh interpreter would import moto, botocore and our modules again for every cloud (~2.5 s of CPU;
    the e2e tier starts 22). It ends when this process does (its channel closes)."""

    def __init__(self) -> None:
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "paotui_local.zygote", "--channel", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self._lock = threading.Lock()

    def start(self, argv: list[str], env: Mapping[str, str]) -> CloudProcess:
        read, write = os.pipe()
        try:
            with self._lock:
                request = json.dumps({"argv": argv, "env": dict(env)}).encode()
                socket.send_fds(self._channel, [request], [write])
                answer = self._channel.recv(4096)
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        if not answer:
            os.close(read)
            raise RuntimeError(f"the cloud zygote exited (status {self.process.wait()})")
        return CloudProcess(json.loads(answer)["pid"], read)


@functools.cache
def zygote() -> Zygote:
    return Zygote()


def _wait_until_ready(process: CloudProcess) -> tuple[str, str]:
    """The gateway's URL and moto's, once the cloud takes requests."""
    lines: list[str] = []
    moto_url = ""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:  # the end of its output: the cloud has exited
            raise RuntimeError("the local cloud exited:\n" + "".join(lines[-50:]))
        lines.append(line)
        if found := MOTO_LINE.search(line):
            moto_url = found[1]
        if line.startswith(READY_LINE):
            if not moto_url:
                raise RuntimeError("the local cloud did not say where its moto listens:\n" + "".join(lines[-50:]))
            return line[len(READY_LINE) :].strip(), moto_url
    raise TimeoutError("the local cloud did not get ready:\n" + "".join(lines[-50:]))


def _pump(process: CloudProcess, echo: bool) -> None:
    """Keep reading the cloud's log so its pipe never fills up and blocks it (until its last writer is gone)."""
    with process.stdout:
        for line in process.stdout:
            if echo:
                sys.stderr.write(line)


HAPPY_PATH = ["PENDING_PAYMENT", "PAID", "CONFIRMED", "ASSIGNED", "PICKING_UP", "DELIVERING", "DELIVERED"]
"""The statuses a delivered order's timeline goes through, in order."""

DELIVERY_CODE = re.compile(r"收货码 (\d{4})")
"""How the customer's DELIVERING message tells the 收货码."""


def point(place: Mapping[str, Any]) -> dict[str, float]:
    """The ``{lat, lng}`` of a place (an order's pickup or address): where a rider at that place reports being."""
    return {"lat": place["lat"], "lng": place["lng"]}


class Cloud:
    def __init__(self, base_url: str, timers: Mapping[str, str] | None = None, moto_url: str = ""):
        self.base_url = base_url.rstrip("/")
        self.timers = dict(timers or {})
        self.moto_url = moto_url  # the embedded moto, for a test to act as AWS itself would (e.g. redeliver)
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    def aws(self, service: str) -> Any:
        """A client of the cloud's own moto, acting as AWS itself would (an operator, a deploy, an outage)."""
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(service, endpoint_url=self.moto_url, region_name=REGION, **credentials)

    def pooled(self) -> set[str]:
        """The orders waiting in their zone's dispatch pool: the Watches table's ``pool#<zone>`` items."""
        pages = (
            self.aws("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=f"{STACK}-WatchesTable",
                FilterExpression="begins_with(order_id, :pool)",
                ExpressionAttributeValues={":pool": {"S": "pool#"}},
                ConsistentRead=True,
            )
        )
        return {item["step"]["S"] for page in pages for item in page["Items"]}

    def dispatch_idle(self) -> bool:
        """No dispatch run under way or waiting: DispatchQueue holds no message, visible or being handled (the
        poller deletes a message when its run has finished)."""
        sqs = self.aws("sqs")
        url = sqs.get_queue_url(QueueName=f"{STACK}-DispatchQueue")["QueueUrl"]
        counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(counts))["Attributes"]
        return all(int(attributes[count]) == 0 for count in counts)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url(path), timeout=15, **kwargs)

    def seed(self) -> dict[str, Any]:
        return self.get("/dev/seed").json()

    def outbox(self, to: str) -> list[dict[str, Any]]:
        response = self.get("/dev/outbox", params={"to": to})
        response.raise_for_status()
        return response.json()

    def sent_otp(self, phone: str) -> str:
        """The code of the newest sign-in SMS sent to ``phone`` (waiting for it to arrive)."""

        def otp_sms() -> dict[str, Any] | None:  # newest first; the phone may also get order notifications
            return next((m for m in self.outbox(phone) if (m.get("data") or {}).get("template") == "otp"), None)

        return re.search(r"(?<!\d)\d{6}(?!\d)", wait_for(otp_sms, what="OTP SMS")["body"]).group()

    def login(self, phone: str) -> User:
        assert self.http.post(self.url("/auth/otp"), json={"phone": phone}, timeout=15).status_code == 202
        code = self.sent_otp(phone)
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

    def eleme_grant(self, authorize_url: str, shops: dict[str, str] | None = None) -> str:
        """The merchant signs in at Ele.me and grants ``shops`` ({id: name}; None: refuses): where Ele.me sends
        their browser back."""
        body = {"authorize_url": authorize_url, "shops": shops or {}, "deny": shops is None}
        response = self.http.post(self.url("/dev/eleme/authorizations"), json=body, timeout=15)
        assert response.status_code == 200, response.text
        return response.json()["redirect_url"]

    def texted_delivery_code(self, phone: str, order_id: str) -> str:
        """The 收货码 a customer without our app (a phone order's) was texted when the order went on its way."""

        def text() -> str | None:
            for message in self.outbox(phone):
                found = DELIVERY_CODE.search(message["body"])
                if message["channel"] == "sms" and (message.get("data") or {}).get("order_id") == order_id and found:
                    return found.group(1)
            return None

        return wait_for(text, what="the SMS with the 收货码")

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

    def paid_order(self, merchant: dict[str, Any], address: dict[str, Any]) -> str:
        """The id of a new order of one of ``merchant``'s first product to ``address``, paid in the sandbox (the
        seed's ``merchant`` entry: id, phone, products)."""
        placed = self.place_order(
            merchant["id"], [{"product_id": merchant["products"][0]["id"], "quantity": 1}], address
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        paid = self.post(f"/orders/{order_id}/pay", json={"channel": "sandbox"})
        assert paid.status_code == 200, paid.text
        return order_id

    def confirmed_order(self, merchant: dict[str, Any], address: dict[str, Any]) -> str:
        """A :meth:`paid_order`, confirmed by the merchant."""
        order_id = self.paid_order(merchant, address)
        confirmed = self.cloud.login(merchant["phone"]).move(order_id, "CONFIRMED")
        assert confirmed.status_code == 200, confirmed.text
        return order_id

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.get(f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def offers(self) -> list[dict[str, Any]]:
        response = self.get("/riders/me/offers")
        assert response.status_code == 200, response.text
        return response.json()

    def move(self, order_id: str, to: str, **report: Any) -> requests.Response:
        """A status move, with what the rider reports along with it (position, items_checked, proof, ...)."""
        return self.post(f"/orders/{order_id}/transitions", json={"to": to, **report})

    def pick_up(self, order_id: str) -> dict[str, Any]:
        """As the rider app does for an assigned order: arrive at the pick-up (取餐中), check the items and leave
        with them (配送中). Returns the order, DELIVERING."""
        order = self.order(order_id)
        for to, report in (
            ("PICKING_UP", {"position": point(order["pickup"])}),
            ("DELIVERING", {"items_checked": True}),
        ):
            moved = self.move(order_id, to, **report)
            assert moved.status_code == 200, moved.text
        return moved.json()

    def hand_over(
        self, order_id: str, *, code: str | None = None, photo: bytes | None = None, **fields: Any
    ) -> dict[str, Any]:
        """At the door (完成配送), with the customer's 收货码 or a photo (none if the merchant asks for none);
        ``fields``: anything else the move takes (a buy errand's goods_amount). Returns the order, DELIVERED."""
        order = self.order(order_id)
        if code is not None:
            fields["proof"] = {"code": code}
        elif photo is not None:
            fields["proof"] = {"photo_key": self.upload_proof_photo(order_id, photo)}
        delivered = self.move(order_id, "DELIVERED", position=point(order["address"]), **fields)
        assert delivered.status_code == 200, delivered.text
        return delivered.json()

    def deliver(self, order_id: str, **proof: Any) -> dict[str, Any]:
        """An assigned order's happy path as the rider app walks it: :meth:`pick_up`, then :meth:`hand_over`."""
        self.pick_up(order_id)
        return self.hand_over(order_id, **proof)

    def upload_proof_photo(self, order_id: str, content: bytes, content_type: str = "image/jpeg") -> str:
        """As the rider app does: ask for an upload form, post the photo through it to S3; the photo's key."""
        grant = self.post(f"/orders/{order_id}/proof-photos", json={"content_type": content_type})
        assert grant.status_code == 201, grant.text
        form = grant.json()
        posted = requests.post(
            form["url"], data=form["fields"], files={"file": ("proof.jpg", content, content_type)}, timeout=15
        )
        assert posted.status_code in (200, 201, 204), posted.text
        return form["photo_key"]


def take_offer(riders: Iterable[User], order_id: str) -> User:
    """The rider among ``riders`` whom the order is offered to accepts it; that rider, the order ASSIGNED to them."""
    riders = list(riders)

    def offered() -> tuple[User, dict[str, Any]] | None:
        for rider in riders:
            offer = next((o for o in rider.offers() if o["order_id"] == order_id), None)
            if offer:
                return rider, offer
        return None

    def accepted() -> User | None:
        """An offer that expires between the rider's listing and their accept (a slow machine) is not taken: the
        rider waits for the order's next offer, as the app would."""
        rider, offer = wait_for(offered, what="an offer to a rider")
        answer = rider.post(f"/offers/{offer['id']}/accept")
        if answer.status_code == 409 and answer.json()["error"]["details"].get("status") == "EXPIRED":
            return None
        assert answer.status_code == 200, answer.text
        assert (answer.json()["status"], answer.json()["rider_id"]) == ("ASSIGNED", rider.id)
        return rider

    return wait_for(accepted, what="an offer a rider could accept", interval=0)


def wait_for(probe: Callable[[], Any], *, what: str, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until ``probe`` returns something truthy; the async half of the system needs a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
