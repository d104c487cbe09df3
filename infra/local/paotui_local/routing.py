"""API Gateway REST semantics without a network: path templates, route choice, proxy events.

Kept free of I/O so that unit tests pin the exact event shape handlers see in AWS.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from paotui_local.provision import ACCOUNT_ID, REGION, ApiRoute

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class PathTemplate:
    """``/orders/{orderId}`` or ``/files/{proxy+}``: whole-segment parameters, greedy last."""

    text: str

    @property
    def segments(self) -> list[str]:
        return _split(self.text)

    @property
    def specificity(self) -> tuple[int, ...]:
        """Smaller is more specific: literals beat parameters, parameters beat greedy."""
        return tuple(_kind(segment) for segment in self.segments)

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        """Path parameters when the (decoded) request segments fit this template."""
        parameters: dict[str, str] = {}
        template = self.segments
        for index, part in enumerate(template):
            kind = _kind(part)
            if kind == _GREEDY:
                rest = segments[index:]
                if not rest:
                    return None
                parameters[part[1:-2]] = "/".join(rest)
                return parameters
            if index >= len(segments):
                return None
            if kind == _PARAM:
                parameters[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return parameters if len(segments) == len(template) else None


def _split(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _PARAM
    return _LITERAL


def request_segments(raw_path: str) -> list[str]:
    """Split before decoding, so an encoded slash stays inside its segment."""
    return [unquote(segment) for segment in _split(raw_path)]


@dataclass(frozen=True)
class Match:
    route: ApiRoute
    path_parameters: dict[str, str]


class RouteTable:
    """Picks the most specific resource for a path, then the method on it (exact before ANY)."""

    def __init__(self, routes: Iterable[ApiRoute]):
        self._resources: dict[str, dict[str, ApiRoute]] = {}
        for route in routes:
            self._resources.setdefault(route.path, {})[route.method] = route

    def __iter__(self):
        for methods in self._resources.values():
            yield from methods.values()

    def _resource(self, raw_path: str) -> tuple[str, dict[str, str]] | None:
        segments = request_segments(raw_path)
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for path in self._resources:
            template = PathTemplate(path)
            parameters = template.match(segments)
            if parameters is not None and (best is None or template.specificity < best[0]):
                best = (template.specificity, path, parameters)
        return (best[1], best[2]) if best else None

    def match(self, method: str, raw_path: str) -> Match | None:
        found = self._resource(raw_path)
        if found is None:
            return None
        path, parameters = found
        methods = self._resources[path]
        route = methods.get(method.upper()) or methods.get("ANY")
        return Match(route, parameters) if route else None

    def methods_for(self, raw_path: str) -> list[str]:
        """Methods of the resource the path falls on (empty: no such resource)."""
        found = self._resource(raw_path)
        return sorted(self._resources[found[0]]) if found else []


def method_arn(route: ApiRoute, method: str, raw_path: str) -> str:
    path = "/".join(request_segments(raw_path))
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{route.api_id}/{route.stage}/{method.upper()}/{path}"


def _single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """REST API (v1) style: the last value per name, and every value per name; None when empty."""
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def proxy_event(
    *,
    match: Match,
    method: str,
    raw_path: str,
    query: Sequence[tuple[str, str]],
    headers: Sequence[tuple[str, str]],
    body: bytes,
    source_ip: str,
    request_id: str,
    authorizer: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The Lambda proxy integration event (payload format 1.0) API Gateway REST sends."""
    now = now or datetime.now(UTC)
    route = match.route
    path = "/" + "/".join(request_segments(raw_path))
    if raw_path.endswith("/") and path != "/":
        path += "/"  # the route ignores a trailing slash; the event keeps it, as in AWS
    single_headers, multi_headers = _single_and_multi(headers)
    single_query, multi_query = _single_and_multi(query)
    lower = {name.lower(): value for name, value in (single_headers or {}).items()}
    text_body: str | None = None
    encoded = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body).decode("ascii"), True
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": route.api_id,
        "domainName": lower.get("host", "127.0.0.1"),
        "domainPrefix": lower.get("host", "127.0.0.1").split(".")[0],
        "extendedRequestId": uuid.uuid4().hex[:16],
        "httpMethod": method.upper(),
        "identity": {
            "accessKey": None,
            "accountId": None,
            "apiKey": None,
            "apiKeyId": None,
            "caller": None,
            "clientCert": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": source_ip,
            "user": None,
            "userAgent": lower.get("user-agent"),
            "userArn": None,
        },
        "path": f"/{route.stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6],
        "resourcePath": route.path,
        "stage": route.stage,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": text_body,
        "isBase64Encoded": encoded,
    }
