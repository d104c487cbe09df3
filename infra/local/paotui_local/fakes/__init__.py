"""Local stand-ins for the payment providers: real HTTP, real signatures, generated keys, no network.

Why: the WeChat Pay and Alipay adapters (``paotui.payments.wechatpay`` /
``.alipay``) must be exercised end to end (their SDK or HTTP code, the
request signatures the providers check, the response and callback signatures
they verify) without an account at either provider. Each fake speaks its
provider's protocol on 127.0.0.1, checks every request's merchant signature
as the provider does (and refuses it the same way), signs its answers and
callbacks with a platform key of its own, and keeps its trades in memory.

How: ``with FakeWechatPay() as fake:`` (or ``start()``/``stop()``) serves on
``fake.url``; ``fake.secret_json()`` is the Secrets Manager secret an adapter
is built from (``...Config.from_secret``), pointing at the fake. Tests then
play the payer and the provider's back office: ``fake.pay(...)`` sends the
signed success callback to the trade's notify_url; ``payment_notify(...)``
and ``refund_notify(...)`` build callbacks with deliberate faults (wrong
amount, another key, stale, wrong APIv3 key) that ``deliver`` sends as often
and in whatever order a test likes. Dev tooling only: never shipped in the
layer.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["Delivery", "FakeServer", "Notify", "Response", "generate_key", "private_pem", "public_pem"]


@dataclass(frozen=True)
class Notify:
    """One callback as the provider would POST it."""

    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Delivery:
    notify: Notify
    status: int
    """HTTP status of the receiver's answer; 0 if it could not be reached."""
    body: bytes = b""
    acknowledged: bool = False
    """Whether the provider would stop retrying (WeChat: a 2xx; Alipay: the body ``success``)."""


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def generate_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM, as WeChat's apiclient_key.pem (Alipay's tool prints the same body without the armour)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def post(notify: Notify, *, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(notify.url, data=notify.body, headers=notify.headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (a test's own URL)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


class FakeServer:
    """A ThreadingHTTPServer on ``host:port`` (port 0: any free one) that hands requests to ``handle``."""

    name = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    response = owner.handle(self.command, self.path, self.headers, body)
                except Exception as error:  # noqa: BLE001 (a fake's bug answers 500, as a provider would)
                    response = Response(500, {"Content-Type": "text/plain"}, repr(error).encode())
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if response.body:
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()
        self.deliveries: list[Delivery] = []

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        raise NotImplementedError

    def acknowledged(self, status: int, body: bytes) -> bool:
        return 200 <= status < 300

    def deliver(self, notify: Notify, *, timeout: float = 5) -> Delivery:
        """POST one callback to its URL now and record how it was answered."""
        status, body = post(notify, timeout=timeout)
        delivery = Delivery(notify, status, body, self.acknowledged(status, body))
        with self.lock:
            self.deliveries.append(delivery)
        return delivery
