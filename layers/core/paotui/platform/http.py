"""The API resolver every HTTP function uses, with one error shape for every failure.

A function's ``app.py`` does ``app = create_app()``, includes its domain router
and resolves. Validation comes from the pydantic models on each route; this
module only decides how failures look on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.logging import correlation_paths

from paotui.platform.errors import BadRequest, DomainError, error_body
from paotui.platform.observability import logger, metrics, tracer


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def made(view: Any, created: bool) -> Response:
    """201 with ``view`` (a response model); ``Idempotent-Replayed`` says whether an earlier request made it, this
    being a retry's answer."""
    response = json_response(201, view.model_dump(mode="json"))
    response.headers["Idempotent-Replayed"] = "false" if created else "true"
    return response


def optional_idempotency_key(key: str | None) -> str | None:
    """An optional ``Idempotency-Key`` header; 400 ``INVALID_IDEMPOTENCY_KEY`` unless it has 8 to 128 characters."""
    if key is not None and not 8 <= len(key) <= 128:
        raise BadRequest("An Idempotency-Key has 8 to 128 characters.", code="INVALID_IDEMPOTENCY_KEY")
    return key


def required_idempotency_key(key: str | None) -> str:
    """A required ``Idempotency-Key`` header; 400 ``IDEMPOTENCY_KEY_REQUIRED`` without one of 8 to 128 characters."""
    if not key or not 8 <= len(key) <= 128:
        raise BadRequest("Send an Idempotency-Key header of 8 to 128 characters.", code="IDEMPOTENCY_KEY_REQUIRED")
    return key


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "type": err.get("type"), "msg": err.get("msg")}
        for err in errors
    ]


def _not_json(event: Any) -> str | None:
    """The content type of a body that isn't declared JSON, or None when it is JSON (or there is no body)."""
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if event.body and content_type != content_types.APPLICATION_JSON:
        return content_type or "none"
    return None


def parse_json(text: str) -> Any:
    """A request body as JSON: one nested deeper than the parser's stack is malformed, not a crash."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def create_app(*routers: APIGatewayRouter) -> APIGatewayRestResolver:
    """A resolver with our error shape, serving the given domain routers."""
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=parse_json)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        logger.info("request refused", extra={"code": exc.code, "status": exc.status, "reason": exc.message})
        response = json_response(exc.status, exc.body())
        if "retry_after" in exc.details:  # a 429's wait (seconds), where HTTP clients look for it too
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        content_type = _not_json(app.current_event)
        if content_type:  # e.g. curl's form-encoded default: say so rather than list odd field errors
            message = "Send the body as JSON with the header Content-Type: application/json."
            return json_response(415, error_body("UNSUPPORTED_MEDIA_TYPE", message, {"content_type": content_type}))
        errors = list(exc.errors())
        if any(err.get("type") == "json_invalid" for err in errors):
            return json_response(400, error_body("MALFORMED_JSON", "The request body is not valid JSON."))
        details = {"errors": _validation_details(errors)}
        return json_response(422, error_body("VALIDATION_ERROR", "The request is not valid.", details))

    @app.not_found
    def _no_route(_exc: Exception) -> Response:
        return json_response(404, error_body("NOT_FOUND", "No such route."))

    return app


def api_handler(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point for an API function: logs keyed by request id, traced, metered."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler
