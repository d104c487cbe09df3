"""The local API Gateway: HTTP in, REST proxy events to handlers, their responses out.

Besides the template's routes it serves what only the local stage has:
``/health``, ``/openapi.json`` and ``/docs``, ``/dev/seed``, ``/dev/outbox``, ``POST /dev/redrive/<DLQ>``,
``POST /dev/jobs/<scheduled function>`` (runs it once, as its EventBridge schedule would),
``POST /dev/pay/<wechat|alipay>/<trade no>`` (the payer pays at the provider's fake, which calls back),
``POST /dev/wechat/code`` (``wx.login``: a one-time code for ``POST /auth/wechat``),
``POST /dev/eleme/orders`` (the Ele.me fake pushes a new order to ``/channels/eleme/push``),
``POST /dev/eleme/authorizations`` (the merchant grants shops at the Ele.me fake: where it sends the browser back),
``POST /dev/dada/<order id>/<Dada status>`` (the Dada fake moves its order, calling ``/carriers/dada/callback``),
``GET /dev/feie/<printer SN>`` (what the Feieyun fake's printer has printed),
and S3 under ``/s3/`` (moto's, so that a browser can post presigned uploads
and load product images from the one address it knows, as it would from S3 and the CDN in AWS). Its own answers
(unknown route, refused token, failed function) are the API's gateway responses (see
:mod:`paotui_local.responses`), so they look as they will in AWS.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from paotui_local import outbox
from paotui_local.redrive import redrive
from paotui_local.apidocs import ApiDocs, docs_page
from paotui_local.authorizer import Rejected, TokenAuthorizers
from paotui_local.functions import FunctionCodeMissing, FunctionPool
from paotui_local.provision import ApiRoute, ApiSpec, Schedule, Stack
from paotui_local.responses import DEFAULT_5XX, MISSING_AUTHENTICATION_TOKEN, gateway_response
from paotui_local.routing import RouteTable, method_arn, proxy_event

log = logging.getLogger("paotui_local")

S3_PREFIX = "/s3"
"""Where the gateway serves moto's S3: presigned upload forms post here, product images load from here."""
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "host"}


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    function_id: str | None = None


def json_reply(status: int, body: Any) -> Reply:
    return Reply(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def error_reply(status: int, code: str, message: str) -> Reply:
    """The API's own error shape, for the local-only routes."""
    return json_reply(status, {"error": {"code": code, "message": message, "details": {}}})


class Gateway:
    def __init__(
        self,
        stack: Stack,
        pools: Mapping[str, FunctionPool],
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        outbox_table: str | None = None,
        payment_fakes: Mapping[str, Any] | None = None,
        wechat_login: Any = None,
        eleme: Any = None,
        dada: Any = None,
        feie: Any = None,
    ):
        self.stack = stack
        self.pools = pools
        self.routes = RouteTable(
            event for spec in stack.functions.values() for event in spec.events if isinstance(event, ApiRoute)
        )
        self.authorizers = TokenAuthorizers(pools)
        self.default_api: ApiSpec | None = next(iter(stack.apis.values()), None)
        """Whose gateway responses answer requests that match no route."""
        self.outbox_table = outbox_table
        self.payment_fakes = dict(payment_fakes or {})
        self.wechat_login = wechat_login
        self.eleme = eleme
        self.dada = dada
        self.feie = feie
        self.seed_fixture: dict[str, Any] | None = None
        """The demo fixture ``GET /dev/seed`` returns; the runner sets it after seeding."""
        handler = type("Handler", (_Handler,), {"gateway": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.docs = ApiDocs(pools, self.routes, self.url)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    # -- dispatch

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str) -> Reply:
        parts = urlsplit(target)
        if parts.path.startswith(S3_PREFIX + "/"):
            return self._s3(method, target.removeprefix(S3_PREFIX), headers, body)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if method in ("GET", "HEAD"):
            local = self._local(parts.path, dict(query))
            if local is not None:
                return local
        if method == "POST" and parts.path.startswith("/dev/redrive/"):
            return self._redrive(parts.path.removeprefix("/dev/redrive/"))
        if method == "POST" and parts.path.startswith("/dev/jobs/"):
            return self._job(parts.path.removeprefix("/dev/jobs/"))
        if method == "POST" and parts.path == "/dev/wechat/code" and self.wechat_login:
            return self._wechat_code(body)
        if method == "POST" and parts.path == "/dev/eleme/orders" and self.eleme:
            return self._eleme_order(body)
        if method == "POST" and parts.path == "/dev/eleme/authorizations" and self.eleme:
            return self._eleme_grant(body)
        if method == "POST" and parts.path.startswith("/dev/dada/") and self.dada:
            order_id, _, status = parts.path.removeprefix("/dev/dada/").partition("/")
            return self._dada_status(order_id, status, forged=dict(query).get("forged") == "true")
        if method == "POST" and parts.path.startswith("/dev/pay/"):
            channel, _, trade_no = parts.path.removeprefix("/dev/pay/").partition("/")
            return self._pay_at_provider(channel, trade_no, deliver=dict(query).get("notify") != "false")
        return self._api(method, parts.path, query, headers, body, source_ip)

    def _local(self, path: str, query: dict[str, str]) -> Reply | None:
        if path == "/health":
            return json_reply(200, {"status": "ok"})
        if path == "/openapi.json":
            return json_reply(200, self.docs.openapi())
        if path == "/docs":
            return Reply(200, [("Content-Type", "text/html; charset=utf-8")], docs_page())
        if path == "/dev/seed":
            if self.seed_fixture is None:
                return error_reply(404, "NOT_FOUND", "No demo fixture: started with --no-seed, or no seed module.")
            return json_reply(200, self.seed_fixture)
        if path == "/dev/outbox" and self.outbox_table:
            return json_reply(200, outbox.read(self.stack.client("dynamodb"), self.outbox_table, query.get("to")))
        if path.startswith("/dev/feie/") and self.feie:
            return json_reply(200, self._printed(path.removeprefix("/dev/feie/")))
        return None

    def _printed(self, sn: str) -> dict[str, Any]:
        """A printer at the Feieyun fake: whether the platform's account has it, and the jobs it printed, oldest
        first, their content in Feieyun's markup."""
        jobs = [{"id": job.id, "content": job.content, "copies": job.copies} for job in self.feie.printed(sn)]
        return {"sn": sn, "in_account": sn in self.feie.account, "jobs": jobs}

    def _redrive(self, dlq_logical_id: str) -> Reply:
        resource = self.stack.resources.get(dlq_logical_id)
        if resource is None or resource.type != "AWS::SQS::Queue":
            return error_reply(404, "NOT_FOUND", f"No queue {dlq_logical_id} in template.yaml.")
        try:
            moved = redrive(self.stack.client("sqs"), self.stack.physical_ids[dlq_logical_id])
        except ValueError as not_a_dlq:
            return error_reply(422, "NOT_A_DLQ", str(not_a_dlq))
        return json_reply(200, {"queue": dlq_logical_id, "moved": moved})

    def _wechat_code(self, body: bytes) -> Reply:
        """``wx.login``: ``{"openid"?, "unionid"?}`` → ``{"code", "openid"}`` (a new WeChat user by default)."""
        try:
            wanted = json.loads(body or b"{}")
        except ValueError:
            return error_reply(400, "BAD_REQUEST", "The body must be JSON.")
        code, openid = self.wechat_login.issue_code(wanted.get("openid"), wanted.get("unionid"))
        return json_reply(200, {"code": code, "openid": openid})

    def _eleme_order(self, body: bytes) -> Reply:
        """A customer orders on Ele.me: ``{"shop_id", "items": [{"extend_code", "quantity", "price" (fen),
        "name"?}], "address": {"lat", "lng", "detail", "contact_name", "contact_phone"}, "deliver_fee"?,
        "description"?, "online_paid"?}`` → the fake's signed push goes to our push route, once."""
        try:
            wanted = json.loads(body or b"{}")
            fields = {name: wanted[name] for name in ("deliver_fee", "description", "online_paid") if name in wanted}
            order_id = self.eleme.order_id()
            push = self.eleme.new_order(
                str(wanted["shop_id"]), wanted["items"], wanted["address"], order_id=order_id, **fields
            )
        except (ValueError, KeyError, TypeError) as refused:
            return error_reply(400, "BAD_REQUEST", f"Not an order the Ele.me fake can push: {refused!r}")
        delivery = self.eleme.deliver(push)
        answer = {"status": delivery.status, "body": delivery.body.decode(errors="replace")}
        return json_reply(200, {"eleme_order_id": order_id, "acknowledged": delivery.acknowledged, "answer": answer})

    def _eleme_grant(self, body: bytes) -> Reply:
        """The merchant signs in at Ele.me: ``{"authorize_url", "shops": {id: name}}`` grants those shops (``"deny":
        true`` refuses) → ``{"redirect_url"}``, where Ele.me sends their browser back (our callback)."""
        try:
            wanted = json.loads(body or b"{}")
            url = wanted["authorize_url"]
            back = self.eleme.deny(url) if wanted.get("deny") else self.eleme.grant(url, dict(wanted["shops"]))
        except (ValueError, KeyError, TypeError) as refused:
            return error_reply(400, "BAD_REQUEST", f"Not an authorization the Ele.me fake can grant: {refused!r}")
        return json_reply(200, {"redirect_url": back})

    def _dada_status(self, order_id: str, status: str, *, forged: bool) -> Reply:
        """Dada moves its order for ours to ``status`` (2 待取货, 100 骑士到店, 3 配送中, 4 已完成, 5 已取消,
        9/10 妥投异常, 1000 …) and calls back our callback route once (``?forged=true``: someone else claims it,
        signed wrongly, and nothing moves at Dada)."""
        if not status.isdigit():
            return error_reply(400, "BAD_REQUEST", "The status is a Dada status code, e.g. 2 or 100.")
        claim = self.dada.forged_callback if forged else self.dada.move
        try:
            notify = claim(order_id, int(status))
        except KeyError:
            return error_reply(404, "NOT_FOUND", f"Dada has no order {order_id} (not handed over yet?).")
        except ValueError as refused:
            return error_reply(400, "BAD_REQUEST", str(refused))
        delivery = self.dada.deliver(notify)
        answer = {"status": delivery.status, "body": delivery.body.decode(errors="replace")}
        return json_reply(200, {"order_id": order_id, "acknowledged": delivery.acknowledged, "answer": answer})

    def _pay_at_provider(self, channel: str, trade_no: str, *, deliver: bool) -> Reply:
        """What the payer's phone does: pay the trade at the provider, whose signed callback then reaches us
        (``?notify=false``: the callback is lost, as when the provider's delivery fails)."""
        fake = self.payment_fakes.get(channel)
        if fake is None:
            return error_reply(404, "NOT_FOUND", f"No local {channel} provider.")
        try:
            notify = fake.pay(trade_no, deliver=False)
        except (KeyError, ValueError) as refused:
            return error_reply(409, "NOT_PAYABLE", f"The provider refuses: {refused}")
        if not deliver:
            return json_reply(200, {"channel": channel, "notify_status": None, "acknowledged": False})
        delivery = fake.deliver(notify)
        return json_reply(
            200, {"channel": channel, "notify_status": delivery.status, "acknowledged": delivery.acknowledged}
        )

    def _job(self, function_id: str) -> Reply:
        spec = self.stack.functions.get(function_id)
        if spec is None or not any(isinstance(event, Schedule) for event in spec.events):
            return error_reply(404, "NOT_FOUND", f"No scheduled function {function_id} in template.yaml.")
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "resources": [],
            "detail": {},
        }
        return json_reply(200, {"function": function_id, "result": self.pools[function_id].invoke(event)})

    def _s3(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        """Pass the request to moto's S3 as it came (path-style), and its answer back.

        Reads of published images are what the CDN does in AWS: signed with the stack's own access, and for
        ``images/`` only, since the bucket itself is private.
        """
        bucket, _, key = urlsplit(target).path.lstrip("/").partition("/")
        if method in ("GET", "HEAD") and key.startswith("images/"):
            return self._published_image(bucket, key)
        forwarded = {name: value for name, value in headers if name.lower() not in _HOP_BY_HOP}
        request = urllib.request.Request(
            self.stack.endpoint_url + target, data=body or None, headers=forwarded, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (moto, on loopback)
                status, answer_headers, answer = response.status, response.headers.items(), response.read()
        except urllib.error.HTTPError as refused:
            status, answer_headers, answer = refused.code, refused.headers.items(), refused.read()
        kept = [(name, value) for name, value in answer_headers if name.lower() not in _HOP_BY_HOP]
        return Reply(status, kept, answer)

    def _published_image(self, bucket: str, key: str) -> Reply:
        s3 = self.stack.client("s3")
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
        except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket):
            return error_reply(404, "NOT_FOUND", f"No image {key}.")
        headers = [("Content-Type", found["ContentType"]), ("Cache-Control", found.get("CacheControl", "no-cache"))]
        return Reply(200, headers, found["Body"].read())

    def _api(self, method, path, query, headers, body, source_ip) -> Reply:
        request_id = str(uuid.uuid4())
        match = self.routes.match(method, path)
        if match is None:
            return self._gateway(
                self.default_api, MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token", request_id
            )
        route = match.route
        api = self.stack.apis.get(route.api_id)
        authorizer = None
        if route.authorizer:
            arn = method_arn(route, method, path)
            try:
                authorizer = self.authorizers.authorize(route.authorizer, dict(headers), arn)
            except Rejected as rejected:
                return self._gateway(api, rejected.response_type, rejected.message, request_id)
        event = proxy_event(
            match=match,
            method=method,
            raw_path=path,
            query=query,
            headers=headers,
            body=body,
            source_ip=source_ip,
            request_id=request_id,
            authorizer=authorizer,
        )
        reply = self._invoke(api, route.function_id, event, request_id)
        reply.function_id = route.function_id
        return reply

    def _gateway(self, api: ApiSpec | None, response_type: str, message: str | None, request_id: str) -> Reply:
        status, headers, body = gateway_response(api, response_type, message, request_id)
        return Reply(status, [*headers, ("x-amzn-RequestId", request_id)], body)

    def _invoke(self, api: ApiSpec | None, function_id: str, event: dict[str, Any], request_id: str) -> Reply:
        try:
            result = self.pools[function_id].invoke(event, request_id)
        except FunctionCodeMissing as exc:
            log.error("%s", exc)
            return self._gateway(api, DEFAULT_5XX, f"Internal server error (local: {exc})", request_id)
        except Exception:
            log.exception("%s raised (request %s)", function_id, request_id)
            return self._gateway(api, DEFAULT_5XX, "Internal server error", request_id)
        try:
            reply = integration_reply(result)
        except (TypeError, ValueError, KeyError) as exc:
            log.error("%s returned a malformed proxy response (%s): %r", function_id, exc, result)
            return self._gateway(api, DEFAULT_5XX, "Internal server error", request_id)
        reply.headers.append(("x-amzn-RequestId", request_id))
        return reply


def integration_reply(result: Any) -> Reply:
    """A Lambda proxy response as API Gateway turns it into HTTP (headers merged with multiValueHeaders)."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("expected an object with an integer statusCode")
    multi = result.get("multiValueHeaders") or {}
    values: dict[str, list[str]] = {name: [str(v) for v in vs] for name, vs in multi.items()}
    for name, value in (result.get("headers") or {}).items():
        merged = values.setdefault(name, [])
        if str(value) not in merged:
            merged.append(str(value))
    if not any(name.lower() == "content-type" for name in values):
        values["Content-Type"] = ["application/json"]
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError("body must be a string")
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return Reply(result["statusCode"], [(name, value) for name, vs in values.items() for value in vs], raw)


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"
    server_version = "paotui-local"

    def _serve(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            headers = list(self.headers.items())
            reply = self.gateway.handle(self.command, self.path, headers, body, self.client_address[0])
        except Exception:
            log.exception("gateway failed on %s %s", self.command, self.path)
            reply = json_reply(500, {"message": "Internal server error"})
        via = f" {reply.function_id}" if reply.function_id else ""
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # a browser tab closed, or a page left, while its request ran: nothing to answer, nothing wrong
            self.close_connection = True
            log.info("%s %s → %d%s, but the client had gone", self.command, self.path, reply.status, via)
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s → %d%s %.0f ms", self.command, self.path, reply.status, via, elapsed_ms)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug(format, *args)
