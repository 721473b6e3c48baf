"""Who may call the server API and the Segment source: the holder of a live server key,
for the key's own project. The store comes from `request.app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from refiner_server.client.store import ClientStore
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


def store(request: Request) -> ClientStore:
    """The client API's store: one path into the database for both kinds of caller."""
    return request.app.state.store


async def _project_of(request: Request, raw: str | None, challenge: str) -> str:
    if not raw:
        raise HTTPException(401, "a server key is required", {"WWW-Authenticate": challenge})
    key = await run_in_threadpool(verify_key, request.app.state.admin_engine, raw)
    if key is None:
        raise HTTPException(401, "invalid or revoked key", {"WWW-Authenticate": challenge})
    return key["project_id"]


async def bearer_project(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> str:
    """The project of the request's `Authorization: Bearer <key>`; 401 otherwise."""
    raw = credentials.credentials if credentials is not None else None
    return await _project_of(request, raw, 'Bearer realm="refiner"')


async def write_key_project(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(BASIC)]
) -> str:
    """The project of the request's HTTP Basic user name (Segment's write key); 401
    otherwise."""
    raw = credentials.username if credentials is not None else None
    return await _project_of(request, raw, 'Basic realm="refiner"')


Store = Annotated[ClientStore, Depends(store)]
BearerProject = Annotated[str, Depends(bearer_project)]
WriteKeyProject = Annotated[str, Depends(write_key_project)]
