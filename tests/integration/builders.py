"""Small builders for integration tests: handlers and their events, merchants, orders, riders, principals.

Plain functions and constants only; fixtures live in conftest.py. Test modules
import from here, never from each other.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from paotui.platform import clock
from paotui.platform.auth import Principal
from paotui.platform.events import DomainEvent

SHOP = {"lat": 31.2335, "lng": 121.4760}
HOME = {
    "lat": 31.2304,
    "lng": 121.4737,
    "detail": "人民广场 1 号楼",
    "contact_name": "陈女士",
    "contact_phone": "+8613800000301",
}
DELIVERY = {
    "radius_m": 5000,
    "base_fee": 500,
    "base_distance_m": 3000,
    "tiers": [{"up_to_m": 5000, "fee_per_km": 100}],
    "min_order": 0,
}
ORDER_ID = "ord_dispatch_0001"


def principal(user_id: str, *roles: str) -> Principal:
    return Principal(user_id=user_id, roles=frozenset(roles))


CUSTOMER = principal("usr_customer", "customer")


# --- Lambda: a function's handler, its context, API Gateway events ------------------------------


class _LambdaContext:
    """The context Lambda passes a handler: what Powertools reads of it."""

    function_name = "test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


LAMBDA_CONTEXT = _LambdaContext()


def load_handler(logical_id: str) -> Callable[[Any, Any], Any]:
    """The handler of a template.yaml function ("RidersApi"), in a fresh module: a new Lambda container.

    The local cloud's loader: the handler file and function come from the
    template, the file is executed by path (functions/ is not a package).
    Mock AWS (the ``aws`` fixture) before calling this.
    """
    from paotui_local.functions import load_handler as load_from_template

    return load_from_template(logical_id)


def loaded_module(logical_id: str) -> ModuleType:
    """The module of the handler ``load_handler(logical_id)`` returned last, e.g. to reach its ``app``.

    paotui_local names every copy of a function's module ``paotui_fn_<LogicalId>``.
    """
    return sys.modules[f"paotui_fn_{logical_id}"]


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    authorizer: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the gateway (or the local cloud) sends it.

    ``authorizer`` is the context the TOKEN authorizer returned (user_id, roles);
    ``headers`` come on top of the JSON content type.
    """
    headers = {"Content-Type": "application/json", **(headers or {})}
    request_context: dict[str, Any] = {"requestId": "req-test", "stage": "test", "httpMethod": method, "path": path}
    if authorizer is not None:
        request_context["authorizer"] = authorizer
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": None,
        "requestContext": request_context,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def answer(response: dict[str, Any]) -> tuple[int, Any]:
    """(status, parsed body) of an API response; the body is None when there is none."""
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def token_event(token: str, method_arn: str = "arn:aws:execute-api:us-east-1:123456789012:api1/test/GET/x") -> dict:
    """The Authorizer function's event for ``Authorization: Bearer <token>``."""
    return {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": method_arn}


class Gateway:
    """An API function behind API Gateway in miniature: the Authorizer function runs on a bearer token first.

    A refused token is the gateway's 401 ``UNAUTHENTICATED``; an accepted
    one's context reaches the handler as ``requestContext.authorizer``. Each
    Gateway loads fresh modules: a new Lambda container of each function.
    """

    def __init__(self, logical_id: str) -> None:
        self.handler = load_handler(logical_id)
        self.app = loaded_module(logical_id).app
        self.authorizer = load_handler("Authorizer")

    def authorize(self, token: str) -> dict[str, Any] | None:
        """The context the Authorizer function passes on for this token; None when it refuses it."""
        try:
            policy = self.authorizer(token_event(token), LAMBDA_CONTEXT)
        except Exception as refused:
            if str(refused) != "Unauthorized":
                raise
            return None
        return {**policy["context"], "principalId": policy["principalId"]}

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> tuple[int, Any]:
        context = None if token is None else self.authorize(token)
        if token is not None and context is None:
            return 401, {"error": {"code": "UNAUTHENTICATED"}}
        return answer(self.handler(api_event(method, path, body=body, authorizer=context), LAMBDA_CONTEXT))


class SignedInApi:
    """An API function's handler (a fresh container), called as API Gateway calls it once the authorizer let
    ``user`` with ``roles`` (comma-separated) in."""

    def __init__(self, logical_id: str) -> None:
        self.handler = load_handler(logical_id)

    def response(
        self,
        method: str,
        path: str,
        *,
        user: str,
        roles: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """``key``: the request's Idempotency-Key, if it sends one."""
        headers = {"Idempotency-Key": key} if key else None
        authorizer = {"user_id": user, "roles": roles}
        event = api_event(method, path, body=body, query=query, headers=headers, authorizer=authorizer)
        return self.handler(event, LAMBDA_CONTEXT)

    def call(
        self, method: str, path: str, *, user: str, roles: str, body: Any = None, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        return answer(self.response(method, path, user=user, roles=roles, body=body, query=query))


class RecordedSms:
    """An SmsSender that keeps what it sent, for reading codes back."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, phone: str, message: str, *, data: dict[str, Any] | None = None) -> None:
        self.sent.append({"phone": phone, "message": message, "data": data or {}})

    def last_code(self) -> str:
        return self.sent[-1]["data"]["code"]


class ManualClock:
    """Epoch seconds that move only when a test moves them (``clock.now += 60``)."""

    def __init__(self) -> None:
        self.now = int(time.time())

    def __call__(self) -> int:
        return self.now


class HandClock:
    """``clock.now`` for the code under test, at ``at`` until a test moves it (``now.at += timedelta(...)``)."""

    def __init__(self, monkeypatch: Any, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr(clock, "now", lambda: self.at)


def texts_to(phone: str) -> list[str]:
    """The SMS bodies sent to ``phone``, oldest first (the outbox: where the local stage's texts land)."""
    from paotui.notify import outbox

    return [message["body"] for message in reversed(outbox.read(phone)) if message["channel"] == "sms"]


def merchant_with_products(*stocks: int, owner_id: str = "usr_owner") -> tuple[Any, list[Any]]:
    from paotui.catalog.service import add_product, create_merchant

    merchant = create_merchant(
        owner_id=owner_id,
        name="老王生煎",
        phone="+8613800000101",
        location=SHOP,
        address="南京东路 100 号",
        delivery=DELIVERY,
        prep_minutes=10,
    )
    products = [add_product(merchant.id, f"item {i}", 1000 + i, stock)[0] for i, stock in enumerate(stocks)]
    return merchant, products


def provider_secret(monkeypatch: Any, env_name: str, value: str) -> str:
    """A Secrets Manager secret holding ``value`` (a provider's keys), named to the functions in ``env_name`` as
    template.yaml names it (``DADA_SECRET_ARN``): what an operator sets up. Returns its ARN."""
    import boto3

    from paotui.platform.settings import get_settings

    name = f"{env_name.lower()}-{uuid.uuid4().hex[:8]}"
    arn = boto3.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
    monkeypatch.setenv(env_name, arn)
    get_settings.cache_clear()
    return arn


def delivering_by_dada(merchant: Any) -> None:
    """The merchant hands its orders to Dada, from Dada's test shop (the local fake's), anywhere within 5 km."""
    from paotui.catalog import delivery
    from paotui_local.fakes.dada import TEST_SHOP

    settings = delivery.DeliverySettings.model_validate(
        {
            "mode": "carrier",
            "carrier": "dada",
            "carrier_shop": {"shop_no": TEST_SHOP, "city_code": "021"},
            "areas": [{"name": "全城", "radius_m": 5000, "fees": {"base_fee": 500, "base_distance_m": 3000}}],
        }
    )
    delivery.save(merchant, settings)


def in_process_sandbox() -> Any:
    """Payment providers whose sandbox delivers its signed callbacks straight to our notify handling, in-process."""
    from paotui.payments import service
    from paotui.payments.channels import Providers
    from paotui.platform.settings import get_settings

    def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        return service.handle_notify("sandbox", headers, body, providers).status

    providers = Providers(get_settings(), deliver)
    return providers


def stock_of(product: Any) -> tuple[int, int, int]:
    """(stock, reserved, available) of a product, read again."""
    product.refresh(consistent_read=True)
    return int(product.stock), int(product.reserved), int(product.available)


def order_request(merchant: Any, *lines: tuple[Any, int]) -> Any:
    """A PlaceOrder of (product, quantity) lines from ``merchant``, delivered HOME."""
    from paotui.orders.models import PlaceOrder

    return PlaceOrder.model_validate(
        {"merchant_id": merchant.id, "items": [{"product_id": p.id, "quantity": q} for p, q in lines], "address": HOME}
    )


def placed_order(key: str, quantity: int, stock: int = 10) -> tuple[Any, Any]:
    """(order, product): CUSTOMER's PENDING_PAYMENT order for ``quantity`` of a product, placed through intake."""
    from paotui.orders import service

    merchant, (product,) = merchant_with_products(stock)
    order, _ = service.place_order(CUSTOMER.user_id, key, order_request(merchant, (product, quantity)))
    return order, product


def confirmed_order(*, paid: bool = True) -> tuple[Any, Any]:
    """(order, merchant): CUSTOMER's order of one item from a fresh merchant, paid in the in-process sandbox (or
    not: a cash order), then confirmed. ``order`` is the record as placed; read it again for its status."""
    from paotui.orders import service
    from paotui.orders.transitions import Status
    from paotui.payments.service import start_payment

    merchant, (product,) = merchant_with_products(10)
    order, _ = service.place_order(CUSTOMER.user_id, uuid.uuid4().hex, order_request(merchant, (product, 1)))
    if paid:
        start_payment(order.id, CUSTOMER, "sandbox", in_process_sandbox())
    else:
        service.system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="cash")
    service.system_transition(order.id, Status.CONFIRMED, expected={Status.PAID}, reason="test")
    return order, merchant


def make_order(
    order_id: str = ORDER_ID,
    *,
    status: str = "CONFIRMED",
    fee: int = 650,
    rider_id: str | None = None,
    customer_id: str = CUSTOMER.user_id,
):
    """An order as intake would have left it after payment and confirmation (built directly)."""
    from paotui.orders.records import AddressMap, AmountsMap, LineItemMap, OrderRecord, TimelineEntryMap
    from paotui.platform.dynamo import PlaceMap

    now = clock.now_iso()
    order = OrderRecord(
        id=order_id,
        status=status,
        version=3,
        customer_id=customer_id,
        merchant_id="mer_1",
        rider_id=rider_id,
        created_at=now,
        updated_at=now,
        items=[LineItemMap(product_id="p1", name="生煎", unit_price=1200, quantity=1, line_total=1200)],
        amounts=AmountsMap(items_total=1200, delivery_fee=fee, total=1200 + fee),
        address=AddressMap(**HOME),
        pickup=PlaceMap(lat=SHOP["lat"], lng=SHOP["lng"], name="老王生煎"),
        timeline=[TimelineEntryMap(status=status, at=now, by="test")],
        request_fingerprint="test",
    )
    order.save()
    return order


def near(point: dict, north_m: float, east_m: float = 0.0) -> dict:
    """A point ``north_m`` metres north and ``east_m`` east of ``point`` (near enough, at Shanghai's latitude)."""
    return {"lat": point["lat"] + north_m / 111_320, "lng": point["lng"] + east_m / 95_000}


def lapse(offer: Any, ago: timedelta = timedelta(seconds=1)) -> None:
    """Move an offer's expiry into the past (``ago`` before now)."""
    from paotui.dispatch.records import OfferRecord

    offer.update(actions=[OfferRecord.expires_at.set(clock.iso(clock.now() - ago))])


def make_rider(rider_id: str, location: dict | None, *, online: bool = True, capacity: int = 3, name: str = "李师傅"):
    from paotui.riders.service import create_rider

    return create_rider(rider_id, name, "+8613900000" + rider_id[-3:], location, capacity, "ebike", online)


def assign(order_id: str, rider_id: str) -> None:
    """``rider_id`` takes the confirmed order, as dispatch gives it (its timeline says by whom)."""
    from paotui.orders.service import get_order, stage_assignment
    from paotui.platform.dynamo import transact_write

    with transact_write() as transaction:
        stage_assignment(transaction, get_order(order_id), rider_id, at=clock.now())


def take_back(order_id: str) -> None:
    """The watchdog takes the order from its rider, gone offline before pickup, for another rider."""
    from paotui.orders.service import system_transition
    from paotui.orders.transitions import Status

    moved = system_transition(order_id, Status.CONFIRMED, expected={Status.ASSIGNED}, reason="rider_offline")
    assert moved is not None and moved.rider_id is None


class FakeWorkflow:
    """Stands in for the watchdog's task tokens (paotui.workflow.service)."""

    def __init__(self):
        self.resolved: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str, str, str]] = []

    def resolve_step(self, order_id: str, step: str) -> None:
        self.resolved.append((order_id, step))

    def fail_step(self, order_id: str, step: str, error: str, cause: str) -> None:
        self.failed.append((order_id, step, error, cause))


def quiet_for(rider_id: str, seconds: float) -> None:
    """As if the rider's last location update and position were ``seconds`` older (riders.location's clocks)."""
    from paotui.riders.records import RiderRecord

    rider = RiderRecord.get(rider_id, consistent_read=True)
    actions = [
        getattr(RiderRecord, name).set(clock.iso(clock.parse_iso(value) - timedelta(seconds=seconds)))
        for name, value in (
            ("heard_at", rider.heard_at),
            ("reported_at", rider.reported_at),
            ("location_at", rider.location_at),
        )
        if value
    ]
    rider.update(actions=actions)


def failing_once_for(recipient: str, send: Callable[..., Any]) -> Callable[..., Any]:
    """``send`` (whose first argument is the recipient) failing its first call for ``recipient``, as a push
    provider that throttles or answers 5xx once."""
    failed = []

    def flaky(to: str, *args: Any, **kwargs: Any) -> Any:
        if to == recipient and not failed:
            failed.append(to)
            raise RuntimeError("push provider unavailable")
        return send(to, *args, **kwargs)

    return flaky


def dispatch_queue_events() -> list[dict]:
    """The events waiting on DispatchQueue (taken off it): what was sent there straight, not through SNS."""
    import boto3

    from paotui.platform.settings import get_settings

    sqs, url = boto3.client("sqs"), get_settings().dispatch_queue_url
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [json.loads(message["Body"]) for message in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages]
        )
    return bodies


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "rh",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def order_event(order: Any, status: str, previous: str, event_id: str | None = None, at: str | None = None) -> str:
    """The ``order.status_changed`` event the stream makes of ``order`` moved to ``status``, written ``at``."""
    from paotui.platform.stream_router import plain

    image = plain(json.loads(json.dumps(order.to_simple_dict(force=True))))  # force: sets (an order's alert ids)
    return DomainEvent(
        id=event_id or str(uuid.uuid4()),
        type="order.status_changed",
        occurred_at=at or "2026-11-25T00:00:00.000Z",
        subject=order.id,
        data={"order": {**image, "status": status}, "status": status, "previous_status": previous},
    ).model_dump_json()


def alert_event(order: Any, kind: str, detail: dict[str, Any] | None = None, alert_id: str | None = None) -> str:
    """The ``order.alert`` event the stream makes of one alert appended to ``order`` (orders.alerts)."""
    from paotui.platform.stream_router import plain

    alert = {"id": alert_id or f"alr_{uuid.uuid4().hex}", "kind": kind, "at": clock.now_iso(), "detail": detail}
    return DomainEvent(
        id=alert["id"],
        type="order.alert",
        occurred_at=alert["at"],
        subject=order.id,
        data={"order": plain(json.loads(json.dumps(order.to_simple_dict()))), "alert": alert},
    ).model_dump_json()


def offer_created(offer: Any, event_id: str = "evt-offer-1") -> str:
    """The ``offer.created`` event of an offer record, as NotifyWorker receives it."""
    return _offer_event(offer, "offer.created", event_id)


def offer_status_changed(offer: Any, previous_status: str = "OPEN", event_id: str = "evt-offer-changed") -> str:
    """The ``offer.status_changed`` event of an offer record (as it is now), as EarningsWorker receives it."""
    return _offer_event(offer, "offer.status_changed", event_id, previous_status=previous_status)


def _offer_event(offer: Any, event_type: str, event_id: str, **data: str) -> str:
    from paotui.platform.stream_router import plain

    image = plain(offer.to_simple_dict())
    return DomainEvent(
        id=event_id,
        type=event_type,
        occurred_at=clock.now_iso(),
        subject=offer.id,
        data={"offer": image, "status": image["status"], **data},
    ).model_dump_json()


def dispatch_requested(order_id: str, reason: str, event_id: str) -> str:
    """The ``dispatch.requested`` message the watchdog sends DispatchQueue to re-dispatch an order."""
    return DomainEvent(
        id=event_id,
        type="dispatch.requested",
        occurred_at=clock.now_iso(),
        subject=order_id,
        data={"order_id": order_id, "reason": reason},
    ).model_dump_json()


def watchdog_event(
    event_type: str, order_id: str, *, event_id: str | None = None, at: str | None = None, **data: Any
) -> str:
    """What OrderWatchdog posts to WatchdogQueue: ``watchdog.timeout`` or ``watchdog.await`` (its state entered
    ``at``) for the order."""
    return DomainEvent(
        id=event_id or f"sfn-{uuid.uuid4().hex}",
        type=event_type,
        occurred_at=at or clock.now_iso(),
        subject=order_id,
        data={"order_id": order_id, **data},
    ).model_dump_json()


# --- a real HTTP endpoint for providers' callbacks -------------------------------------------------


Answer = tuple[int, str, bytes]
"""(status, content type, body) of an HTTP answer."""


@dataclass(frozen=True)
class Dropped:
    """A connection the peer closes after sending the raw bytes ``sent`` (none: before answering)."""

    sent: bytes = b""

    @classmethod
    def midway(cls, body: bytes) -> Dropped:
        """Closed midway through a 200 whose body was to be twice ``body``."""
        return cls(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (2 * len(body), body))


class LocalRoute:
    """An HTTP server on 127.0.0.1 handing every POST (and GET) to ``answer(path, headers, body)``.

    Where a provider's fake (payments, carriers) sends its signed callbacks in
    integration tests, so they travel over real HTTP as in production. ``answer``
    may be set after start (e.g. once the handler under test is loaded in moto).
    An answer may be :class:`Dropped`, as a peer losing the connection mid-call.
    """

    def __init__(self, answer: Callable[[str, dict[str, str], bytes], Answer | Dropped] | None = None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.answer = answer
        route = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = route.answer(self.path, dict(self.headers.items()), body)
                if isinstance(reply, Dropped):
                    self.wfile.write(reply.sent)
                    self.close_connection = True
                    return
                status, content_type, payload = reply
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Faults: an AWS call that fails, or a Lambda killed mid-way, at each step in turn ---------------


class Killed(BaseException):
    """The Lambda was killed (its timeout, out of memory): nothing after this runs, no ``except Exception``."""


FAULT_MODES = ("throttled", "killed_before", "killed_after")
"""throttled: the call fails, the code goes on; killed_before / killed_after: the Lambda dies at the call, before
DynamoDB/SQS/SNS applied it or after (the answer lost), and makes no further call."""


class AwsFaults:
    """Every AWS call (boto3 and pynamodb alike), counted while armed; the ``at``-th one fails as ``mode`` says."""

    def __init__(self, monkeypatch: Any) -> None:
        from botocore.client import BaseClient

        self.arm(None)
        self.waited = timedelta(0)
        original, real_now = BaseClient._make_api_call, clock.now
        monkeypatch.setattr(clock, "now", lambda: real_now() + self.waited)

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            return self.call(lambda: original(client, operation, params), operation)

        monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)

    def visibility_timeout_passes(self) -> None:
        """The 90 s before SQS redelivers a message: paotui's clock moves on, in-progress records expire."""
        self.waited += timedelta(seconds=90)
        _expire_runs_in_progress()

    def arm(self, at: int | None, mode: str = "throttled") -> None:
        self.at, self.mode, self.calls, self.hit, self.dead = at, mode, 0, None, False

    def call(self, call: Callable[[], Any], operation: str) -> Any:
        """Make ``call`` as the ``at``-th of the run or another; a provider's fake routes its calls here too."""
        if self.dead:
            raise Killed(operation)
        self.calls += 1
        if self.calls != self.at:
            return call()
        self.hit = operation
        if self.mode == "throttled":
            from botocore.exceptions import ClientError

            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}}
            raise ClientError(error, operation)
        if self.mode == "killed_after":
            call()
        self.dead = True
        raise Killed(operation)


def invoke_until_done(
    faults: AwsFaults, handler: Callable[[Any, Any], Any], event: dict[str, Any], *, attempts: int = 4
) -> int:
    """Deliver ``event`` as SQS or the stream would: again while any record failed (the Lambda killed, the batch
    failed, items reported); how many deliveries it took. Each redelivery comes after the queues' visibility
    timeout (90 s), so whatever a killed run left in progress has expired."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    for attempt in range(1, attempts + 1):
        try:
            if not handler(event, LAMBDA_CONTEXT)["batchItemFailures"]:
                return attempt
        except (Killed, BatchProcessingError):
            pass
        faults.visibility_timeout_passes()
    raise AssertionError(f"still failing after {attempts} deliveries")


def scheduled(job: Callable[[Any, Any], Mapping[str, Any]]) -> Callable[[Any, Any], dict[str, Any]]:
    """A scheduled job as :func:`crash_at_every_step` delivers events: run again (its next schedule, or Lambda's
    retry of a failed invocation) while a run failed, died or left work for the next one (``failed`` > 0)."""

    def run(event: Any, context: Any) -> dict[str, Any]:
        left = job(event, context).get("failed")
        return {"batchItemFailures": [{"itemIdentifier": "left for the next run"}] if left else []}

    return run


def _expire_runs_in_progress() -> None:
    """What the queues' visibility timeout does to Powertools' in-progress records: they expire."""
    import boto3

    from paotui.platform.settings import get_settings

    dynamodb, table = boto3.client("dynamodb"), get_settings().idempotency_table
    in_progress = dynamodb.scan(
        TableName=table,
        FilterExpression="#status = :in_progress",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":in_progress": {"S": "INPROGRESS"}},
    )
    for item in in_progress["Items"]:
        dynamodb.update_item(
            TableName=table,
            Key={"id": item["id"]},
            UpdateExpression="SET in_progress_expiration = :past",
            ExpressionAttributeValues={":past": {"N": "0"}},
        )


def crash_at_every_step(
    faults: AwsFaults,
    handler: Callable[[Any, Any], Any],
    scenario: Callable[[], tuple[dict[str, Any], Callable[[], Any]]],
    modes: tuple[str, ...] = FAULT_MODES,
) -> int:
    """Run ``scenario`` (fresh records: the event to deliver, and what to observe of its effects) once cleanly,
    then again with its N-th AWS call failing in each mode, N = 1, 2, ... until a run no longer reaches N,
    redelivering until done; each end state must equal the clean run's. Returns how many faults were injected."""
    faults.arm(None)
    event, observe = scenario()
    invoke_until_done(faults, handler, event, attempts=1)
    expected, injected = observe(), 0
    for mode in modes:
        for at in range(1, 500):
            event, observe = scenario()
            faults.arm(at, mode)
            with contextlib.suppress(BaseException):  # Killed, or the whole batch failed: redelivered below
                handler(event, LAMBDA_CONTEXT)
            hit = faults.hit
            faults.arm(None)
            if not hit:
                break
            injected += 1
            faults.visibility_timeout_passes()
            invoke_until_done(faults, handler, event)
            observed = observe()
            assert observed == expected, f"{mode} at call {at} ({hit}): {observed} != {expected}"
    return injected
