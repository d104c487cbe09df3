"""Domain errors that map one-to-one onto the API's error shape and status codes.

Every 4xx the API returns is one of these: ``{"error": {"code", "message", "details"}}``.
Anything else escaping a handler is a bug and becomes a 500.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class BadRequest(DomainError):
    status, code = 400, "BAD_REQUEST"


def invalid_cursor() -> BadRequest:
    """400 ``INVALID_CURSOR``: a page cursor we did not issue (never passed on to DynamoDB, which would 5xx)."""
    return BadRequest("The cursor is not one we issued.", code="INVALID_CURSOR")


class Unauthorized(DomainError):
    status, code = 401, "UNAUTHORIZED"


class Forbidden(DomainError):
    status, code = 403, "FORBIDDEN"


class NotFound(DomainError):
    status, code = 404, "NOT_FOUND"


class Conflict(DomainError):
    status, code = 409, "CONFLICT"


class Unprocessable(DomainError):
    status, code = 422, "UNPROCESSABLE"


class TooManyRequests(DomainError):
    status, code = 429, "TOO_MANY_REQUESTS"


class BadGateway(DomainError):
    """A provider we depend on (WeChat, a payment channel) failed; not our bug, so not a 500."""

    status, code = 502, "UPSTREAM_ERROR"


class ServiceUnavailable(DomainError):
    """A part of the platform an operator has not switched on (its provider's secret is still ``{}``)."""

    status, code = 503, "UNAVAILABLE"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}
