"""Who is calling: the principal the API Gateway authorizer put on the request.

The authorizer (functions/authorizer) verifies the JWT and passes ``user_id``,
``roles`` and the token's ``session_id`` in its context; handlers never parse
tokens themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler import Request
from aws_lambda_powertools.event_handler.depends import Depends

from paotui.platform.errors import Forbidden, Unauthorized

ROLES = ("customer", "merchant", "rider", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]
    session_id: str | None = None  # the sign-in the token belongs to (what logout ends)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def principal_from_authorizer(context: dict | None) -> Principal:
    context = context or {}
    user_id = context.get("user_id")
    if not user_id:
        raise Unauthorized("Sign in first.", code="UNAUTHENTICATED")
    roles = frozenset(r for r in str(context.get("roles", "")).split(",") if r)
    return Principal(user_id=user_id, roles=roles, session_id=context.get("session_id") or None)


def current_principal(request: Request) -> Principal:
    """Dependency: the signed-in caller. Tests override this one function."""
    authorizer = request.resolved_event.get("requestContext", {}).get("authorizer")
    return principal_from_authorizer(authorizer)


def require_role(*roles: str) -> Callable[..., Principal]:
    """Dependency factory: the caller must hold one of ``roles`` (admin always passes)."""

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has(*roles, "admin"):
            raise Forbidden(f"This needs the {' or '.join(roles)} role.")
        return principal

    dependency.__name__ = f"require_{'_or_'.join(roles)}"
    return dependency
