"""The bearer-token gate of every admin route, and the mapping of store refusals to HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from refiner_server.http.errors import ApiError
from refiner_server.projects import ProjectError
from refiner_server.surveys.checks import DefinitionError
from refiner_server.surveys.store import Conflict, NotFound
from refiner_server.tokens import verify_token


def unauthorized(message: str) -> HTTPException:
    """401 `unauthorized` with `WWW-Authenticate: Bearer` (RFC 6750)."""
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="refiner"'})


BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="an admin token from `refiner-server token create NAME`",
)


def token_gate(engine: Engine) -> Callable[..., dict[str, Any]]:
    """A dependency that admits a request with a live token and refuses any other."""

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> dict[str, Any]:
        if credentials is None:
            raise unauthorized("a bearer token is required (refiner-server token create NAME)")
        token = verify_token(engine, credentials.credentials)
        if token is None:
            raise unauthorized("invalid or revoked token")
        return token

    return require_token


@contextmanager
def refusals() -> Iterator[None]:
    """Store exceptions as API errors: 404 unknown, 409 conflict, 422 bad definition."""
    try:
        yield
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except DefinitionError as exc:
        raise ApiError(422, "invalid_survey", str(exc)) from None
    except ProjectError as exc:
        raise ApiError(422, "invalid_project", str(exc)) from None
