"""Roles as FastAPI dependencies: a route names the least role it needs in the project of
its `{project_id}` and gets the request's `Principal` (its `who`, the actor of
`audit.record`).

Admin API (`Authorization: Bearer`): `ApiViewer`, `ApiEditor`, `ApiOwner`, and
`ApiServer` for what no project scopes (creating a project): server-wide tokens only;
`ApiAny` for any live token (lists filtered by the roles).
Dashboard (the session cookie): `PageViewer`, `PageEditor`, `PageOwner` for pages, `PostingEditor`,
`PostingOwner` for forms that change something (the same-origin check comes first).

A project the principal has no role in answers 404, as one that does not exist, so
outsiders learn nothing of it; a role too small answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from refiner_server.deps import AdminEngine, AdminToken, dashboard_owner, same_site
from refiner_server.http.errors import ApiError
from refiner_server.team.passwords import Passwords
from refiner_server.team.principal import Principal, of_token
from refiner_server.team.roles import at_least
from refiner_server.team.throttle import SignInLimits


class NotAllowed(Exception):
    """A dashboard request its principal may not make: the app answers with the error page
    (`team.pages.not_allowed`)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refusal(principal: Principal, project_id: str, needed: str) -> tuple[int, str] | None:
    """(status, message) when `principal` may not do what `needed` may in the project,
    else None."""
    role = principal.role_in(project_id)
    if role is None:
        return 404, f"no project {project_id!r}"
    if not at_least(role, needed):
        return 403, f"your role in project {project_id!r} is {role}; this needs {needed}"
    return None


def api_access(needed: str) -> Callable[..., Principal]:
    def check(request: Request, token: AdminToken) -> Principal:
        principal = of_token(token)
        if needed == "any":
            return principal
        if needed == "server":
            if not principal.server_wide:
                raise ApiError(403, "forbidden", "only a token without a project may do this")
            return principal
        refused = refusal(principal, request.path_params["project_id"], needed)
        if refused is not None:
            raise ApiError(
                refused[0], "forbidden" if refused[0] == 403 else "not_found", refused[1]
            )
        return principal

    return check


def page_access(needed: str, posting: bool) -> Callable[..., Principal]:
    def check(request: Request, engine: AdminEngine) -> Principal:
        if posting:
            same_site(request)
        principal = dashboard_owner(request, engine)
        refused = refusal(principal, request.path_params["project_id"], needed)
        if refused is not None:
            raise NotAllowed(*refused)
        return principal

    return check


async def passwords(request: Request) -> Passwords:
    """The argon2 parameters of this app (`app.state.passwords`)."""
    return request.app.state.passwords


async def sign_in_limits(request: Request) -> SignInLimits:
    """The failed sign-ins counted so far (`app.state.sign_in_limits`)."""
    return request.app.state.sign_in_limits


ApiAny = Annotated[Principal, Depends(api_access("any"))]
ApiViewer = Annotated[Principal, Depends(api_access("viewer"))]
ApiEditor = Annotated[Principal, Depends(api_access("editor"))]
ApiOwner = Annotated[Principal, Depends(api_access("owner"))]
ApiServer = Annotated[Principal, Depends(api_access("server"))]
PageViewer = Annotated[Principal, Depends(page_access("viewer", posting=False))]
PageEditor = Annotated[Principal, Depends(page_access("editor", posting=False))]
PageOwner = Annotated[Principal, Depends(page_access("owner", posting=False))]
PostingEditor = Annotated[Principal, Depends(page_access("editor", posting=True))]
PostingOwner = Annotated[Principal, Depends(page_access("owner", posting=True))]
PasswordHasher = Annotated[Passwords, Depends(passwords)]
Limits = Annotated[SignInLimits, Depends(sign_in_limits)]
