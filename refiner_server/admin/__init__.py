"""The admin API under `/api/v1/admin` (bearer token; see docs/server.md "Admin API") and `/docs`.

Handlers are plain functions (FastAPI runs them in its threadpool) over the admin engine
(`deps.AdminEngine`), which waits for SQLite's write lock, unlike the client API's, which
must never block its event loop. `router` holds every admin route behind the token gate.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from refiner_server.admin import links, people, projects, responses, segments, surveys
from refiner_server.client.models import ErrorOut
from refiner_server.deps import admin_token
from refiner_server.team import api as team

PREFIX = "/api/v1/admin"
ERRORS = {
    401: {"model": ErrorOut, "description": "missing, invalid or revoked bearer token"},
    404: {"model": ErrorOut, "description": "unknown project, survey, contact or account"},
    409: {"model": ErrorOut, "description": "already exists"},
    422: {"model": ErrorOut, "description": "invalid input; the message names the path"},
}

router = APIRouter(prefix=PREFIX, dependencies=[Depends(admin_token)], responses=ERRORS)
for _section in (projects, surveys, segments, people, responses, links, team):
    router.include_router(_section.router)
