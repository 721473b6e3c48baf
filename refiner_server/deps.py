"""What route handlers take from the application, as FastAPI dependencies.

Routes live in module-level `APIRouter`s and close over nothing: everything built at start
(engines, the client store, the build output's paths) is put in `app.state` by
`app.create_app`, the one wiring point, and reaches a handler through an alias below
(`store: Store`, `engine: AdminEngine`), so that each app of a process (tests make many)
serves its own database and files. docs/internals.md ("Server wiring") lists them.

The getters of `app.state` are `async def` so FastAPI calls them inline, without a thread
hop (the client API answers from the event loop); the checks, which read the database (the
admin token, the dashboard's cookie), are plain functions and run in the threadpool like the
admin handlers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from refiner_server.client.store import ClientStore
from refiner_server.dashboard import session
from refiner_server.team.principal import Principal
from refiner_server.tokens import verify_token
from refiner_server.webhooks.settings import WebhookSettings


async def client_store(request: Request) -> ClientStore:
    """The client API's store (`app.state.store`, on the engine that never waits)."""
    return request.app.state.store


async def admin_engine(request: Request) -> Engine:
    """The engine of the admin API and the dashboard (`app.state.admin_engine`), which
    waits for SQLite's write lock: for handlers that run in the threadpool."""
    return request.app.state.admin_engine


async def static_dir(request: Request) -> Path | None:
    """The build output served at `/static/` (`app.state.static_dir`), None when none is."""
    return request.app.state.static_dir


async def index_html(request: Request) -> Path | None:
    """The page served at `/` (`app.state.index_html`), None when none is."""
    return request.app.state.index_html


async def webhook_settings(request: Request) -> WebhookSettings:
    """Whether webhooks may go to private addresses (`app.state.webhooks`)."""
    return request.app.state.webhooks


Store = Annotated[ClientStore, Depends(client_store)]
AdminEngine = Annotated[Engine, Depends(admin_engine)]
StaticDir = Annotated[Path | None, Depends(static_dir)]
IndexHtml = Annotated[Path | None, Depends(index_html)]
WebhookConfig = Annotated[WebhookSettings, Depends(webhook_settings)]

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="an admin token from `refiner-server token create NAME`",
)


def unauthorized(message: str) -> HTTPException:
    """401 `unauthorized` with `WWW-Authenticate: Bearer` (RFC 6750)."""
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="refiner"'})


def admin_token(
    engine: AdminEngine,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> dict[str, Any]:
    """The live admin token of the `Authorization: Bearer` header; 401 without one."""
    if credentials is None:
        raise unauthorized("a bearer token is required (refiner-server token create NAME)")
    token = verify_token(engine, credentials.credentials)
    if token is None:
        raise unauthorized("invalid or revoked token")
    return token


AdminToken = Annotated[dict[str, Any], Depends(admin_token)]


class SignInRequired(Exception):
    """A dashboard page without a live session in its cookie: the app answers with a
    redirect to the sign-in form (`dashboard.pages.to_login`)."""


class CrossSite(Exception):
    """A dashboard POST that did not come from the dashboard's own pages: the app answers
    403 and changes nothing (`dashboard.pages.refused`)."""


def dashboard_token(request: Request, engine: AdminEngine) -> Principal | None:
    """Who the dashboard's cookie signs in (a person or a token), or None."""
    return session.signed_in(engine, request)


def dashboard_owner(request: Request, engine: AdminEngine) -> Principal:
    """Who the dashboard's cookie signs in; `SignInRequired` without a live session. Pages
    of one project check the role too (`team.access`)."""
    principal = dashboard_token(request, engine)
    if principal is None:
        raise SignInRequired
    return principal


def same_site(request: Request) -> None:
    """`CrossSite` unless the browser says the request comes from our own pages."""
    if not session.same_origin(request):
        raise CrossSite


def posting_owner(request: Request, engine: AdminEngine) -> Principal:
    """Who is behind a POST that changes something, its origin checked first: a
    cross-site request is refused before any session is looked at."""
    same_site(request)
    return dashboard_owner(request, engine)


#: who is signed in, or None (the sign-in form)
OptionalOwner = Annotated[Principal | None, Depends(dashboard_token)]
#: who is signed in, whatever their roles; a page without one redirects to the sign-in form
Owner = Annotated[Principal, Depends(dashboard_owner)]
#: the same behind the same-origin check, for forms that change something
PostingOwner = Annotated[Principal, Depends(posting_owner)]
#: the same-origin check alone, for forms posted before sign-in (`dependencies=[SameSite]`)
SameSite = Depends(same_site)
