"""Who is signed in to the dashboard, and which POSTs may change anything.

The cookie (HttpOnly, SameSite=Strict, Path=/admin, Secure on https) holds the random id
of a server-side session (`team.sessions`) of a person or of an admin token, looked up on
every request: expiry, sign-out everywhere, a revoked token or a removed person end it at
once. A POST must come from our own pages: `Sec-Fetch-Site: same-origin`, or, from a
browser that does not send it, an `Origin` naming this host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from refiner_server.team.principal import Principal
from refiner_server.team.sessions import resolve

COOKIE = "refiner_admin"
PATH = "/admin"


def signed_in(engine: Engine, request: Request) -> Principal | None:
    """Who the request's cookie signs in (its session live, at the app's clock), or None."""
    return resolve(engine, request.cookies.get(COOKIE), request.app.state.clock.now())


def sign_in(request: Request, response: Response, raw: str) -> None:
    response.set_cookie(
        COOKIE,
        raw,
        httponly=True,
        samesite="strict",
        path=PATH,
        secure=request.url.scheme == "https",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")


def same_origin(request: Request) -> bool:
    """True when the browser says the request comes from a page of this origin."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if target and target.startswith(PATH) and not target.startswith("//") and "\\" not in target:
        return target
    return PATH
