"""Gateway responses: the answers API Gateway gives itself, shaped by the API's GatewayResponses.

An unknown route, a refused token, a failing authorizer or a crashing
function never reaches the API's own error handling; API Gateway answers with
a gateway response of a given type. The template customises those types, so
the local gateway renders the same customisation (the few ``$context``
variables these templates use) and falls back to API Gateway's defaults
(``{"message": ...}``) for types the template leaves alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from paotui_local.provision import ApiSpec

UNAUTHORIZED = "UNAUTHORIZED"
ACCESS_DENIED = "ACCESS_DENIED"
AUTHORIZER_CONFIGURATION_ERROR = "AUTHORIZER_CONFIGURATION_ERROR"
MISSING_AUTHENTICATION_TOKEN = "MISSING_AUTHENTICATION_TOKEN"
DEFAULT_5XX = "DEFAULT_5XX"

_STATUS = {
    UNAUTHORIZED: 401,
    ACCESS_DENIED: 403,
    AUTHORIZER_CONFIGURATION_ERROR: 500,
    MISSING_AUTHENTICATION_TOKEN: 403,
    DEFAULT_5XX: 502,  # what a failed Lambda proxy integration answers
}
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_VARIABLE = re.compile(r"\$(?:\{context\.([A-Za-z.]+)\}|context\.([A-Za-z.]*[A-Za-z]))")


def gateway_response(
    api: ApiSpec | None, response_type: str, message: str | None, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of one gateway response."""
    status = _STATUS[response_type]
    configured = api.gateway_responses if api else {}
    family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
    config: dict[str, Any] = configured.get(response_type) or configured.get(family) or {}
    status = int(config.get("StatusCode", status))
    template = (config.get("ResponseTemplates") or {}).get("application/json", _DEFAULT_TEMPLATE)
    values = {
        "error.messageString": json.dumps(message),
        "error.message": message or "",
        "error.responseType": response_type,
        "requestId": request_id,
    }
    body = _VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), template)
    headers = [("Content-Type", "application/json")]
    for name, value in (config.get("ResponseParameters") or {}).items():
        if name.startswith("gatewayresponse.header."):
            headers.append((name[len("gatewayresponse.header.") :], str(value).strip("'")))
    return status, headers, body.encode()
