"""The ASGI application factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from refiner_server import admin
from refiner_server.admin import docs
from refiner_server.channels import page as link_pages
from refiner_server.client import routes as client_api
from refiner_server.client.limits import MAX_BODY_VALUES, body_limit, json_values
from refiner_server.client.store import ClientStore
from refiner_server.clock import Clock
from refiner_server.dashboard import audience as audience_pages
from refiner_server.dashboard import editor as survey_editor
from refiner_server.dashboard import library as dashboard_library
from refiner_server.dashboard import links as dashboard_links
from refiner_server.dashboard import pages as dashboard_pages
from refiner_server.dashboard import preview as dashboard_preview
from refiner_server.dashboard import routes as dashboard
from refiner_server.dashboard.headers import AdminHeaders
from refiner_server.db import make_engine, migrate
from refiner_server.deps import CrossSite, SignInRequired
from refiner_server.http import errors, pyscript_apps, static
from refiner_server.http.middleware import (
    BodyLimitMiddleware,
    CORSMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
)
from refiner_server.http.ratelimit import Limiter, Rate
from refiner_server.server_api import pages as server_key_pages
from refiner_server.server_api import routes as server_api
from refiner_server.server_api import segment
from refiner_server.surveys import schema as survey_schema
from refiner_server.team import pages as team_pages
from refiner_server.team import signin
from refiner_server.team.access import NotAllowed
from refiner_server.team.passwords import Passwords
from refiner_server.team.throttle import SignInLimits
from refiner_server.webhooks import api as webhooks_api
from refiner_server.webhooks import pages as webhooks_pages
from refiner_server.webhooks.settings import WebhookSettings
from refiner_server.webhooks.worker import Worker, running

#: settings of `serve --workers N`, read by `from_env` in each worker process
ENV_DB, ENV_STATIC, ENV_INDEX = "REFINER_DB", "REFINER_STATIC", "REFINER_INDEX"
ENV_RATE_PROJECT, ENV_RATE_ADDRESS = "REFINER_RATE_PROJECT", "REFINER_RATE_ADDRESS"


def create_app(
    db_url: str,
    static_dir: Path | None = None,
    index_html: Path | None = None,
    clock: Clock | None = None,
    limiter: Limiter | None = None,
    webhooks: WebhookSettings | None = None,
    passwords: Passwords | None = None,
) -> FastAPI:
    """Build the server over `db_url` (tables are created if missing), serving the build
    output from `static_dir` at `/static/` and `index_html` at `/` when given. `clock`
    (default: the system's) is every "now" of the client API, at `app.state.clock`.
    `limiter`: the client API's rate limits (`serve` sets them; none by default).
    `webhooks`: private targets allowed or not (not by default), and whether this process
    runs a delivery worker (it does by default). `passwords`: the argon2 parameters of
    the dashboard's people (argon2-cffi's defaults unless given)."""
    setup = make_engine(db_url)  # waits for the lock: several workers may start at once
    migrate(setup)
    setup.dispose()
    # SQLite fails at once when another process writes: the store waits without blocking
    # the event loop (`ClientStore.call`)
    engine = make_engine(db_url, busy_timeout_s=0)
    # the admin API runs in the threadpool: it may wait for the lock
    admin_engine = make_engine(db_url)
    webhooks = webhooks or WebhookSettings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if webhooks.deliver:
            worker = Worker(engine, webhooks.allow_private, call=app.state.store.call)
            async with running(worker):
                yield
        else:
            yield
        engine.dispose()  # close pooled connections; SQLite checkpoints its WAL on close
        admin_engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="refiner-web server",
        version="0.1.0",
        description="Self-hostable in-app surveys: client API (public, CORS), server API and "
        "Segment source (a project's server key), admin API (bearer token) and runtime files.",
        docs_url=None,  # admin.docs serves /docs from our own build, not a CDN
        redoc_url=None,
    )
    # what the routes take through `deps` (docs/internals.md, "Server wiring")
    app.state.engine = engine
    app.state.admin_engine = admin_engine
    app.state.webhooks = webhooks
    app.state.passwords = passwords or Passwords()
    app.state.sign_in_limits = SignInLimits()
    app.state.clock = clock or Clock()
    app.state.store = ClientStore(engine, app.state.clock)
    app.state.static_dir = None if static_dir is None else Path(os.path.abspath(static_dir))
    app.state.index_html = None if index_html is None else Path(os.path.abspath(index_html))
    errors.install(app, client_api.PREFIX + "/")
    app.include_router(client_api.router)
    app.include_router(server_api.router)
    app.include_router(segment.router)
    app.include_router(admin.router)
    app.include_router(webhooks_api.router)
    app.include_router(docs.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_library.router)
    app.include_router(signin.router)
    app.include_router(team_pages.router)
    app.include_router(survey_editor.router)
    app.include_router(dashboard_preview.router)
    app.include_router(server_key_pages.router)
    app.include_router(audience_pages.router)
    app.include_router(webhooks_pages.router)
    app.include_router(link_pages.router)
    app.include_router(dashboard_links.router)
    app.add_exception_handler(SignInRequired, dashboard_pages.to_login)
    app.add_exception_handler(CrossSite, dashboard_pages.refused)
    app.add_exception_handler(NotAllowed, team_pages.not_allowed)
    app.add_middleware(AdminHeaders)
    app.include_router(survey_schema.router)
    app.include_router(static.router)
    if static_dir is not None:
        app.include_router(pyscript_apps.router)  # before /static/{path}, which takes all
        app.include_router(static.build_router)
    if index_html is not None:
        app.include_router(static.index_router)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=body_limit,
        json_prefix=client_api.PREFIX,
        count=json_values,
        most_values=MAX_BODY_VALUES,
    )
    if limiter is not None:
        now = app.state.clock.now
        app.add_middleware(
            RateLimitMiddleware,
            limiter=limiter,
            prefix=client_api.PREFIX + "/",
            now=lambda: now().timestamp(),
        )
    app.add_middleware(
        CORSMiddleware,
        prefixes=(client_api.PREFIX + "/", "/static/", survey_schema.CHECK_PATH),
        api_prefix=client_api.PREFIX + "/",
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def from_env() -> FastAPI:
    """App factory of the worker processes of `serve --workers N` (uvicorn needs an import
    string to start several)."""
    env = os.environ
    rates = [Rate.parse(env.get(name, "off")) for name in (ENV_RATE_PROJECT, ENV_RATE_ADDRESS)]
    limiter = Limiter(*rates) if any(rates) else None
    return create_app(
        env[ENV_DB],
        Path(env[ENV_STATIC]),
        Path(env[ENV_INDEX]),
        limiter=limiter,
        webhooks=WebhookSettings.from_env(),
    )
