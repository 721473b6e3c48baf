"""The admin API under `/api/v1/admin` (bearer token; see docs/server.md "Admin API") and `/docs`.

Handlers are plain functions (FastAPI runs them in its threadpool) over an engine that waits
for SQLite's write lock, unlike the client API's, which must never block its event loop.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.engine import Engine

from refiner_server.admin import people, projects, responses, surveys
from refiner_server.admin.auth import token_gate
from refiner_server.admin.docs import install_docs
from refiner_server.client.models import ErrorOut

PREFIX = "/api/v1/admin"
ERRORS = {
    401: {"model": ErrorOut, "description": "missing, invalid or revoked bearer token"},
    404: {"model": ErrorOut, "description": "unknown project, survey, contact or account"},
    409: {"model": ErrorOut, "description": "already exists"},
    422: {"model": ErrorOut, "description": "invalid input; the message names the path"},
}


def install(app: FastAPI, engine: Engine, static_dir: Path | None) -> None:
    """Add the admin routes (every one behind the token gate) and `/docs`."""
    router = APIRouter(prefix=PREFIX, dependencies=[Depends(token_gate(engine))], responses=ERRORS)
    for module, tag in (
        (projects, "projects"),
        (surveys, "surveys"),
        (people, "contacts"),
        (responses, "responses"),
    ):
        section = APIRouter(tags=[f"admin: {tag}"])
        module.routes(section, engine)
        router.include_router(section)
    app.include_router(router)
    install_docs(app, static_dir)
