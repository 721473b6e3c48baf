"""Who may call the server API and the Segment source: the holder of a live server key,
for the key's own project (read on the admin engine, in the threadpool, as admin tokens
are: `deps`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from refiner_server.deps import AdminEngine
from refiner_server.server_api.keys import verify_key

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="server key",
    description="a server key of the project (dashboard, or `refiner-server key create`)",
)
BASIC = HTTPBasic(
    auto_error=False,
    scheme_name="write key",
    description="a server key of the project as the user name, no password (Segment's "
    "libraries send their write key so)",
)


def _project_of(engine: Engine, raw: str | None, challenge: str) -> str:
    if not raw:
        raise HTTPException(401, "a server key is required", {"WWW-Authenticate": challenge})
    key = verify_key(engine, raw)
    if key is None:
        raise HTTPException(401, "invalid or revoked key", {"WWW-Authenticate": challenge})
    return key["project_id"]


def bearer_project(
    engine: AdminEngine,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> str:
    """The project of the request's `Authorization: Bearer <key>`; 401 otherwise."""
    raw = credentials.credentials if credentials is not None else None
    return _project_of(engine, raw, 'Bearer realm="refiner"')


def write_key_project(
    engine: AdminEngine, credentials: Annotated[HTTPBasicCredentials | None, Depends(BASIC)]
) -> str:
    """The project of the request's HTTP Basic user name (Segment's write key); 401
    otherwise."""
    raw = credentials.username if credentials is not None else None
    return _project_of(engine, raw, 'Basic realm="refiner"')


BearerProject = Annotated[str, Depends(bearer_project)]
WriteKeyProject = Annotated[str, Depends(write_key_project)]
