"""Who is signed in to the dashboard, and which POSTs may change anything.

The cookie holds the admin token itself (HttpOnly, SameSite=Strict, Path=/admin, Secure
on https) and is verified again on every request, so revoking the token signs its owner
out at once. A POST must come from our own pages: `Sec-Fetch-Site: same-origin`, or, from
a browser that does not send it, an `Origin` naming this host.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from refiner_server.tokens import verify_token

COOKIE = "refiner_admin"
PATH = "/admin"


def signed_in(engine: Engine, request: Request) -> dict[str, Any] | None:
    """The live token of the request's cookie, or None."""
    raw = request.cookies.get(COOKIE)
    return verify_token(engine, raw) if raw else None


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
