"""Bad input is a 4xx, never a 5xx: every route of every API function, swept with malformed requests.

Routes come from template.yaml (what API Gateway sends each function), checked
against what each function's resolver serves. Requests are derived from the
route's OpenAPI schema (Powertools' ``app.get_openapi_json_schema()``): a base
body of the required fields, valid where the schema and a few field-name hints
allow, pointing at records the ``world`` holds, then one field at a time given
a value from :data:`VALUE_MUTATIONS`; whole bodies from :data:`BODY_MUTATIONS`;
path and query parameters from :func:`path_cases` and :func:`query_cases`.
Events are built as the gateway builds them (paotui_local.routing), with the
authorizer context of the roles that could call the route: each path and query
case goes to every role, the many body cases to one role each, taking turns,
so the sweep stays deterministic and fast.

Every answer must be below 500 with the project's error body when it is a
4xx; a case whose input no schema allows (a wrong JSON type, NaN, a value out
of the declared range, a body that is not one) must be a 4xx.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from paotui.platform import clock
from paotui_local.fakes.amap import FakeAMap
from tests.integration.builders import (
    HOME,
    LAMBDA_CONTEXT,
    SHOP,
    Answer,
    FakeWorkflow,
    LocalRoute,
    assign,
    load_handler,
    loaded_module,
    make_rider,
    merchant_with_products,
    order_request,
)

# --- the routes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    function: str
    method: str
    path: str  # API Gateway's template: /orders/{orderId}
    signed_in: bool

    def __str__(self) -> str:
        return f"{self.function} {self.method} {self.path}"


@cache
def _stack() -> Any:
    from paotui_local.functions import DEFAULT_TEMPLATE
    from paotui_local.provision import Stack, describe
    from paotui_local.template import Template

    return describe(Stack(Template(DEFAULT_TEMPLATE)))


def template_routes() -> list[Route]:
    """Every Api event of every function in template.yaml."""
    from paotui_local.provision import ApiRoute

    return [
        Route(function_id, event.method, event.path, event.authorizer is not None)
        for function_id, spec in _stack().functions.items()
        for event in spec.events
        if isinstance(event, ApiRoute)
    ]


@cache
def openapi(function_id: str) -> dict[str, Any]:
    """The function's own OpenAPI document, from the resolver its handler module builds."""
    from paotui_local.functions import load_module

    return json.loads(load_module(_stack().functions[function_id]).app.get_openapi_json_schema())


ROUTES = template_routes()
API_FUNCTIONS = sorted({route.function for route in ROUTES})
EXPECTED_ROUTES = 110
"""How many routes the sweep must find: a guard against the enumeration quietly losing some."""


# --- the world the requests point into ----------------------------------------------------------

CALLERS = {
    "customer": {"user_id": "usr_customer", "roles": "customer"},
    "merchant": {"user_id": "usr_merchant", "roles": "merchant"},
    "rider": {"user_id": "rdr_sweep001", "roles": "rider"},
    "admin": {"user_id": "usr_admin", "roles": "admin"},
}


@dataclass
class World:
    """Records a well-formed request would name: the merchant's, the customer's order the rider carries."""

    ids: dict[str, str] = field(default_factory=dict)

    def path_value(self, name: str) -> str:
        return self.ids.get(name, "missing")


@pytest.fixture(scope="module")
def accounts(module_aws) -> dict[str, str]:
    """The callers' accounts, the rider's record and the customer's address; their ids by path parameter name."""
    from paotui.accounts import addresses
    from paotui.accounts.models import NewAddress
    from paotui.accounts.records import UserRecord
    from paotui.platform.settings import get_settings

    for number, caller in enumerate(CALLERS.values()):
        phone = f"+861380000090{number}"
        UserRecord(caller["user_id"], phone=phone, roles=[caller["roles"]], created_at=clock.now_iso()).save()
    make_rider(CALLERS["rider"]["user_id"], SHOP, capacity=len(ROUTES) + 1)
    address = addresses.add(
        CALLERS["customer"]["user_id"],
        NewAddress.model_validate(
            {
                "detail": HOME["detail"],
                "contact_name": "陈女士",
                "contact_phone": HOME["contact_phone"],
                "location": SHOP,
            }
        ),
        limit=get_settings().max_addresses_per_user,
    )
    return {"riderId": CALLERS["rider"]["user_id"], "addressId": address.address.id}


@pytest.fixture
def world(accounts: dict[str, str]) -> World:
    """A fresh merchant for each route, and its order, paid, confirmed and assigned to the rider."""
    from paotui.ops.incidents import incident_id, raise_incident
    from paotui.orders import service
    from paotui.orders.transitions import Status

    merchant, (product,) = merchant_with_products(50, owner_id=CALLERS["merchant"]["user_id"])
    order, _ = service.place_order(CALLERS["customer"]["user_id"], merchant.id, order_request(merchant, (product, 1)))
    service.system_transition(order.id, Status.PAID, expected={Status.PENDING_PAYMENT}, reason="cash")
    service.system_transition(order.id, Status.CONFIRMED, expected={Status.PAID}, reason="test")
    assign(order.id, accounts["riderId"])
    raise_incident(order.id, "sweep", {})
    return World(
        {
            **accounts,
            "merchantId": merchant.id,
            "productId": product.id,
            "orderId": order.id,
            "incidentId": incident_id(order.id, "sweep"),
            "offerId": "off_missing",
            "channel": "sandbox",
        }
    )


# --- a valid body from a schema --------------------------------------------------------------------

FIELD_HINTS: dict[str, Callable[[World], Any]] = {
    "merchant_id": lambda w: w.ids["merchantId"],
    "product_id": lambda w: w.ids["productId"],
    "order_id": lambda w: w.ids["orderId"],
    "lat": lambda w: SHOP["lat"],
    "lng": lambda w: SHOP["lng"],
    "phone": lambda w: "+8613800000301",
    "contact_phone": lambda w: "+8613800000302",
    "contact_name": lambda w: "陈女士",
    "code": lambda w: "123456",
    "radius_m": lambda w: 3000,
    "shop_id": lambda w: "1001",
    "shop_no": lambda w: "S1",
    "city_code": lambda w: "021",
    "token": lambda w: "sweep-token",
    "start": lambda w: "10:00",
    "end": lambda w: "11:00",
}
"""Values a field's type alone can't give (patterns, ids of the world's records, coordinates it serves), and
optional fields a model's own checks want (a contact for a send errand, a radius for a delivery area)."""


class Schema:
    """An OpenAPI document's schemas, $refs resolved on the way."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def options(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        """The alternatives a value may take (anyOf), null last."""
        schema = self.resolve(schema)
        choices = [self.resolve(choice) for choice in schema.get("anyOf", [schema])]
        return sorted(choices, key=lambda choice: choice.get("type") == "null")

    def types(self, schema: dict[str, Any]) -> set[str]:
        """The JSON types a value may have; empty when anything goes."""
        found: set[str] = set()
        for choice in self.options(schema):
            kind = choice.get("type")
            if kind is None and ("enum" in choice or "const" in choice):
                kind = type_of(choice.get("const", (choice.get("enum") or [None])[0]))
            if kind is None:
                return set()
            found.add(kind)
        return found

    def example(self, schema: dict[str, Any], name: str, world: World) -> Any:
        choice = self.options(schema)[0]
        if name in FIELD_HINTS:
            return FIELD_HINTS[name](world)
        if "const" in choice:
            return choice["const"]
        if "enum" in choice:
            return choice["enum"][0]
        if "default" in choice:
            return choice["default"]
        kind = choice.get("type")
        if kind == "object":
            required = choice.get("required", [])
            properties = choice.get("properties", {}).items()
            return {
                key: self.example(sub, key, world) for key, sub in properties if key in required or key in FIELD_HINTS
            }
        if kind == "array":
            if "prefixItems" in choice:
                return [self.example(item, name, world) for item in choice["prefixItems"]]
            count = max(1, choice.get("minItems", 1))
            return [self.example(choice.get("items", {}), name, world) for _ in range(count)]
        if kind in ("integer", "number"):
            low = choice.get("minimum", choice.get("exclusiveMinimum", 0))
            return int(low) + 1 if "exclusiveMinimum" in choice or low == 0 else int(low)
        if kind == "boolean":
            return False
        if kind == "string":
            return {"date-time": "2030-01-01T04:00:00Z", "date": "2030-01-01", "time": "10:00:00"}.get(
                choice.get("format"), "x" * max(1, choice.get("minLength", 1))
            )
        return None

    def fields(self, schema: dict[str, Any], path: tuple[Any, ...] = (), depth: int = 3) -> Iterator[tuple]:
        """(path, schema) of every field of an object body, nested objects and first array items included."""
        if depth == 0:
            return
        choice = self.options(schema)[0]
        for key, sub in choice.get("properties", {}).items():
            yield (*path, key), sub
            inner = self.options(sub)[0]
            if inner.get("type") == "object":
                yield from self.fields(inner, (*path, key), depth - 1)
            elif inner.get("type") == "array" and self.options(inner.get("items", {}))[0].get("type") == "object":
                yield from self.fields(inner["items"], (*path, key, 0), depth - 1)


def type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def fits(value: Any, types: set[str]) -> bool:
    """Whether a JSON value's type is one ``types`` allows (an integer is a number too)."""
    kind = type_of(value)
    return not types or kind in types or (kind == "integer" and "number" in types)


# --- the mutations -----------------------------------------------------------------------------------

NESTING = 100_000


@dataclass(frozen=True)
class Mutation:
    label: str
    value: Any
    kinds: frozenset[str] = frozenset()  # the field types it is tried on; empty: every field
    invalid: bool = False  # no schema allows it whatever the field: a 4xx is the only right answer


WRONG_TYPE = object()
"""Stands for a value of a JSON type the field does not take."""
DEEP = object()
"""Stands for a value nested :data:`NESTING` deep, spliced into the raw body (json.dumps would recurse)."""
DEEP_MARKER = "\x00deep"

VALUE_MUTATIONS = (
    Mutation("wrong JSON type", WRONG_TYPE, invalid=True),
    Mutation("null", None),
    Mutation("empty string", "", frozenset({"string"})),
    Mutation("10,000-char string", "字" * 10_000, frozenset({"string"})),
    Mutation("lone surrogate and NUL", "a\ud800b\x00c", frozenset({"string"})),
    Mutation("huge integer", 10**30, frozenset({"integer", "number"})),
    Mutation("negative", -1, frozenset({"integer", "number"})),
    Mutation("many-digit float", 0.1234567890123456789012345, frozenset({"integer", "number"})),
    Mutation("NaN", math.nan, frozenset({"integer", "number"}), invalid=True),
    Mutation("Infinity", math.inf, frozenset({"integer", "number"}), invalid=True),
    Mutation("-Infinity", -math.inf, frozenset({"integer", "number"}), invalid=True),
    Mutation("year 9999 ending next year in UTC", "9999-12-31T23:30:00-01:00", frozenset({"string"})),
    Mutation("year 1 starting last year in UTC", "0001-01-01T00:30:00+01:00", frozenset({"string"})),
    Mutation("deep nesting", DEEP, invalid=True),
)
"""One field at a time, given each value of its kind."""

BODY_MUTATIONS: tuple[tuple[str, str], ...] = (
    ("empty array", "[]"),
    ("a string", '"x"'),
    ("a number", "1"),
    ("null", "null"),
    ("not JSON", "{not json"),
    ("NaN", "NaN"),
    ("deep nesting", "[" * NESTING + "]" * NESTING),
)
"""Whole bodies, for routes that take one."""

PATH_VALUES = (
    ("very long", "p" * 5_000),
    ("contains /", "a/b"),
    ("contains %", "100%25done%zz"),
    ("unicode", "订单🚀\u200b"),
    ("dot-dot", ".."),
    ("NUL", "a\x00b"),
)
"""A path parameter's values, URL-encoded by the caller as a client would."""


def _wrong(types: set[str]) -> Any:
    return next(value for value in ({"nested": [1]}, "not-a-value", [1]) if not fits(value, types))


@dataclass(frozen=True)
class Case:
    label: str
    body: str | None
    path: dict[str, str]
    query: tuple[tuple[str, str], ...] = ()
    must_refuse: bool = False
    every_caller: bool = False  # few cases, sent as each caller; the many body cases go to one caller each


def strict_json(text: str) -> bool:
    """Whether ``text`` is JSON as RFC 8259 has it (no NaN, no Infinity) and nested no deeper than parsers go."""
    try:
        json.loads(text, parse_constant=lambda token: 1 / 0)
    except (ValueError, ZeroDivisionError, RecursionError):
        return False
    return True


def raw(body: Any) -> str:
    """The JSON text of ``body``: NaN and Infinity as the bare tokens Python's json writes, the deep value spliced in."""
    return json.dumps(body).replace(json.dumps(DEEP_MARKER), "[" * NESTING + "]" * NESTING)


def setting(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``body`` with the value at ``path`` replaced (containers on the way created as needed)."""
    body = json.loads(json.dumps(body))
    target = body
    for part, after in zip(path[:-1], path[1:], strict=True):
        if isinstance(part, int):
            while len(target) <= part:
                target.append({})
        elif not isinstance(target.get(part), (dict, list)):
            target[part] = [] if isinstance(after, int) else {}
        target = target[part]
    if isinstance(path[-1], int):
        while len(target) <= path[-1]:
            target.append(None)
    target[path[-1]] = value
    return body


def body_cases(schema: Schema, body_schema: dict[str, Any], world: World, path: dict[str, str]) -> Iterator[Case]:
    base = schema.example(body_schema, "body", world)
    body_types = schema.types(body_schema)
    for label, text in BODY_MUTATIONS:
        yield Case(
            f"body: {label}", text, path, must_refuse=not strict_json(text) or not fits(json.loads(text), body_types)
        )
    for where, field_schema in schema.fields(body_schema):
        types = schema.types(field_schema)
        name = ".".join(map(str, where))
        for mutation in VALUE_MUTATIONS:
            if mutation.kinds and not (mutation.kinds & types):
                continue
            if mutation.value is WRONG_TYPE and not types:
                continue
            value = _wrong(types) if mutation.value is WRONG_TYPE else mutation.value
            value = DEEP_MARKER if value is DEEP else value
            invalid = mutation.invalid or not fits(value, types)
            yield Case(f"body.{name}: {mutation.label}", raw(setting(base, where, value)), path, must_refuse=invalid)


def path_cases(base: dict[str, str], body: str | None) -> Iterator[Case]:
    for name in base:
        for label, value in PATH_VALUES:
            yield Case(f"path {name}: {label}", body, {**base, name: value}, every_caller=True)


def query_cases(schema: Schema, parameters: list[dict[str, Any]], world: World, path: dict[str, str]) -> Iterator[Case]:
    base = tuple(
        (p["name"], str(schema.example(p["schema"], p["name"], world))) for p in parameters if p.get("required")
    )
    for parameter in parameters:
        name, choice = parameter["name"], schema.options(parameter["schema"])[0]
        numeric = choice.get("type") in ("integer", "number")
        values: list[tuple[str, str, bool]] = [
            ("NaN", "NaN", numeric),
            ("Infinity", "Infinity", numeric),
            ("huge", str(10**30), "maximum" in choice),
            ("negative", "-1", choice.get("minimum", -1) > -1),
            ("empty", "", False),
            ("10,000 chars", "q" * 10_000, False),
            ("NUL and unicode", "a\x00b跑腿🚀", False),
        ]
        for label, value, invalid in values:
            query = tuple(pair for pair in base if pair[0] != name) + ((name, value),)
            yield Case(f"query {name}: {label}", None, path, query, must_refuse=invalid, every_caller=True)
        yield Case(f"query {name}: repeated", None, path, (*base, (name, "1"), (name, "2")), every_caller=True)


def cases(route: Route, world: World) -> list[Case]:
    operation = openapi(route.function)["paths"][route.path][route.method.lower()]
    schema = Schema(openapi(route.function))
    parameters = operation.get("parameters", [])
    path = {p["name"]: world.path_value(p["name"]) for p in parameters if p["in"] == "path"}
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    body = raw(schema.example(body_schema, "body", world)) if body_schema else None
    found = list(path_cases(path, body))
    found += query_cases(schema, [p for p in parameters if p["in"] == "query"], world, path)
    if body_schema:
        found += body_cases(schema, body_schema, world, path)
    return found


# --- sending them ---------------------------------------------------------------------------------


def event(route: Route, case: Case, caller: dict[str, str] | None, number: int) -> dict[str, Any]:
    """The proxy event API Gateway sends for this case, as paotui_local's gateway builds it."""
    from paotui_local.provision import ApiRoute
    from paotui_local.routing import Match, proxy_event

    raw_path = route.path
    for name, value in case.path.items():
        raw_path = raw_path.replace("{" + name + "}", quote(value, safe="%") if "%" in value else quote(value, safe=""))
    gateway_route = ApiRoute(route.function, route.method, route.path, "api1", "test", None)
    return proxy_event(
        match=Match(gateway_route, case.path),
        method=route.method,
        raw_path=raw_path,
        query=case.query,
        headers=[("Content-Type", "application/json"), ("Idempotency-Key", f"sweep-{number}")],
        body=(case.body or "").encode("utf-8", "surrogatepass"),
        source_ip="203.0.113.7",
        request_id="req-sweep",
        authorizer=caller,
    )


def wechat_refuses_every_code(path: str, headers: dict[str, str], body: bytes) -> Answer:
    """code2session as WeChat answers a code it never issued."""
    return 200, "text/plain", json.dumps({"errcode": 40029, "errmsg": "invalid code"}).encode()


@pytest.fixture(scope="module")
def apis(module_aws) -> Iterator[dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]]]:
    """One warm container of each API function; Step Functions and WeChat answered by fakes."""
    from paotui.accounts import tokens
    from paotui.accounts.api import get_auth_service
    from paotui.accounts.service import AuthService
    from paotui.accounts.wechat import WeChatClient
    from paotui.notify.sms import get_sms_sender
    from paotui.platform.settings import get_settings
    from paotui.riders.api import get_workflow

    wechat = LocalRoute(wechat_refuses_every_code)
    amap = FakeAMap().start()  # address lookup switched on, as an operator sets it up
    os.environ["AMAP_SECRET_ARN"] = boto3.client("secretsmanager").create_secret(
        Name="amap", SecretString=amap.secret_json()
    )["ARN"]
    get_settings.cache_clear()
    handlers = {function_id: load_handler(function_id) for function_id in API_FUNCTIONS}
    loaded_module("RidersApi").app.dependency_overrides[get_workflow] = FakeWorkflow
    client = WeChatClient(wechat.base_url, "wx-sweep", lambda: "wechat-secret", timeout=2)
    service = AuthService(get_settings(), sms=get_sms_sender(), secret=tokens.signing_secret, wechat=client)
    loaded_module("AuthApi").app.dependency_overrides[get_auth_service] = lambda: service
    yield handlers
    wechat.close()
    amap.stop()
    del os.environ["AMAP_SECRET_ARN"]
    get_settings.cache_clear()


def problem(status: int, body: Any, must_refuse: bool) -> str | None:
    """What is wrong with an answer, or None."""
    if status >= 500:
        return f"{status} {body}"
    if must_refuse and not 400 <= status < 500:
        return f"{status}, not a 4xx"
    if 400 <= status < 500:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or not {"code", "message", "details"} <= error.keys():
            return f"{status} without the error shape: {body}"
    return None


def sent(route: Route, world: World) -> Iterator[tuple[Case, dict[str, str] | None]]:
    """(case, caller) pairs: every caller of a signed-in route (anonymous otherwise) takes its turn."""
    callers = list(CALLERS.values()) if route.signed_in else [None]
    for number, case in enumerate(cases(route, world)):
        for caller in callers if case.every_caller else [callers[number % len(callers)]]:
            yield case, caller


KNOWN_BUGS: tuple[tuple[Callable[[Route], bool], str], ...] = ()
"""(which routes, the bug that still makes them fail): strict xfails, so fixing a bug must remove its entry."""


def swept(route: Route) -> Any:
    reason = next((bug for affected, bug in KNOWN_BUGS if affected(route)), None)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(route, id=str(route), marks=marks)


def test_the_sweep_covers_every_route_every_api_function_serves():
    served = {
        (function_id, method.upper(), path)
        for function_id in API_FUNCTIONS
        for path, operations in openapi(function_id)["paths"].items()
        for method in operations
    }
    routed = {(route.function, route.method, route.path) for route in ROUTES}
    assert routed == served
    assert len(ROUTES) == len(routed) == EXPECTED_ROUTES


@pytest.mark.parametrize("route", [swept(route) for route in ROUTES])
def test_bad_input_is_refused_with_a_4xx(route: Route, world: World, apis):
    handler = apis[route.function]
    failures = []
    for number, (case, caller) in enumerate(sent(route, world)):
        who = caller["roles"] if caller else "anonymous"
        try:
            response = handler(event(route, case, caller, number), LAMBDA_CONTEXT)
        except Exception as error:  # noqa: BLE001 - any exception is a 5xx (API Gateway's 502)
            failures.append(f"{case.label} as {who}: raised {type(error).__name__}: {str(error)[:200]}")
            continue
        body = json.loads(response["body"]) if response.get("body") else None
        found = problem(response["statusCode"], body, case.must_refuse)
        if found:
            failures.append(f"{case.label} as {who}: {found[:300]}")
    assert not failures, "\n".join(failures)
