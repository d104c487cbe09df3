"""API Gateway's TOKEN Lambda authorizer: call, cache per token, evaluate the returned policy.

Refusals are gateway responses, as in API Gateway: UNAUTHORIZED (401) when the
token header is missing, fails the ValidationExpression, or the authorizer
raises ``Exception("Unauthorized")``; ACCESS_DENIED (403) when the policy
denies or does not cover the method ARN; AUTHORIZER_CONFIGURATION_ERROR (500)
when the authorizer fails otherwise. A policy is cached per token for
ReauthorizeEvery seconds and evaluated against each request's method ARN, so a
policy scoped to one resource keeps refusing others until it expires, as in AWS.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from paotui_local.functions import FunctionPool
from paotui_local.provision import AuthorizerSpec
from paotui_local.responses import ACCESS_DENIED, AUTHORIZER_CONFIGURATION_ERROR, UNAUTHORIZED
from paotui_local.template import to_text

log = logging.getLogger("paotui_local")


class Rejected(Exception):
    """The gateway answers with a gateway response; the integration is not called."""

    def __init__(self, response_type: str, message: str | None):
        super().__init__(message)
        self.response_type = response_type
        self.message = message


_UNAUTHORIZED = (UNAUTHORIZED, "Unauthorized")
_EXPLICIT_DENY = (ACCESS_DENIED, "User is not authorized to access this resource with an explicit deny")
_NOT_ALLOWED = (ACCESS_DENIED, "User is not authorized to access this resource")
_BROKEN = (AUTHORIZER_CONFIGURATION_ERROR, None)


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def evaluate_policy(document: Mapping[str, Any], method_arn: str) -> str:
    """``allow``, ``deny`` (an explicit Deny matched) or ``none`` for execute-api:Invoke on the ARN."""
    verdict = "none"
    for statement in _as_list(document.get("Statement") or []):
        actions = _as_list(statement.get("Action", []))
        if not any(_wildcard(action).match("execute-api:Invoke") for action in actions):
            continue
        if not any(_wildcard(resource).match(method_arn) for resource in _as_list(statement.get("Resource", []))):
            continue
        if statement.get("Effect") == "Deny":
            return "deny"
        if statement.get("Effect") == "Allow":
            verdict = "allow"
    return verdict


class TokenAuthorizers:
    """Runs TOKEN authorizers for routes that need one; safe to call from many threads."""

    def __init__(self, pools: Mapping[str, FunctionPool], clock: Callable[[], float] = time.monotonic):
        self.pools = pools
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def authorize(self, spec: AuthorizerSpec, headers: Mapping[str, str], method_arn: str) -> dict[str, Any]:
        """The ``requestContext.authorizer`` of the proxy event, or :class:`Rejected`."""
        wanted = spec.header.lower()
        token = next((value for name, value in headers.items() if name.lower() == wanted), "")
        if not token or (spec.validation_expression and not re.fullmatch(spec.validation_expression, token)):
            raise Rejected(*_UNAUTHORIZED)
        response = self._response(spec, token, method_arn)
        verdict = evaluate_policy(response["policyDocument"], method_arn)
        if verdict != "allow":
            raise Rejected(*(_EXPLICIT_DENY if verdict == "deny" else _NOT_ALLOWED))
        context = {key: to_text(value) for key, value in (response.get("context") or {}).items()}
        return {**context, "principalId": response["principalId"], "integrationLatency": 0}

    def _response(self, spec: AuthorizerSpec, token: str, method_arn: str) -> dict[str, Any]:
        key = (spec.name, token)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > self.clock():
            return cached[1]
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        try:
            response = self.pools[spec.function_id].invoke(event)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                raise Rejected(*_UNAUTHORIZED) from exc
            log.exception("authorizer %s (%s) failed", spec.name, spec.function_id)
            raise Rejected(*_BROKEN) from exc
        problem = _malformed(response)
        if problem:
            log.error("authorizer %s (%s) returned a malformed response: %s", spec.name, spec.function_id, problem)
            raise Rejected(*_BROKEN)
        if spec.ttl_seconds > 0:
            with self._lock:
                self._cache[key] = (self.clock() + spec.ttl_seconds, response)
        return response


def _malformed(response: Any) -> str | None:
    if not isinstance(response, dict):
        return f"expected an object, got {type(response).__name__}"
    if not response.get("principalId") or not isinstance(response.get("policyDocument"), dict):
        return "principalId and policyDocument are required"
    context = response.get("context") or {}
    if not isinstance(context, dict) or any(isinstance(v, (dict, list)) for v in context.values()):
        return "context values must be strings, numbers or booleans"
    return None
