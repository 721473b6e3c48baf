"""The ASGI application factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from . import client_api, errors, static
from .clock import Clock
from .db import make_engine, migrate
from .middleware import BodyLimitMiddleware, CORSMiddleware
from .models import MAX_BODY_BYTES
from .store import ClientStore

#: settings of `serve --workers N`, read by `from_env` in each worker process
ENV_DB, ENV_STATIC, ENV_INDEX = "REFINER_DB", "REFINER_STATIC", "REFINER_INDEX"


def create_app(
    db_url: str,
    static_dir: Path | None = None,
    index_html: Path | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the server over `db_url` (tables are created if missing), serving the build
    output from `static_dir` at `/static/` and `index_html` at `/` when given. `clock`
    (default: the system's) is every "now" of the client API, at `app.state.clock`."""
    setup = make_engine(db_url)  # waits for the lock: several workers may start at once
    migrate(setup)
    setup.dispose()
    # SQLite fails at once when another process writes: the store waits without blocking
    # the event loop (`ClientStore.call`)
    engine = make_engine(db_url, busy_timeout_s=0)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()  # close pooled connections; SQLite checkpoints its WAL on close

    app = FastAPI(
        lifespan=lifespan,
        title="refiner-web server",
        version="0.1.0",
        description="Self-hostable in-app surveys: client API (public, CORS) and runtime files.",
    )
    app.state.engine = engine
    app.state.clock = clock or Clock()
    app.state.store = ClientStore(engine, app.state.clock)
    errors.install(app)
    app.include_router(client_api.router(app.state.store))
    static.install(app, static_dir, index_html)
    app.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES, json_prefix=client_api.PREFIX)
    app.add_middleware(CORSMiddleware, prefixes=(client_api.PREFIX + "/", "/static/"))
    return app


def from_env() -> FastAPI:
    """App factory of the worker processes of `serve --workers N` (uvicorn needs an import
    string to start several)."""
    return create_app(os.environ[ENV_DB], Path(os.environ[ENV_STATIC]), Path(os.environ[ENV_INDEX]))
