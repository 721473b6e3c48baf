"""How the dashboard answers: its Jinja2 templates (autoescape: every value from the
database is text), the sign-in redirect and the refusal of cross-site posts (the app's
handlers of `deps.SignInRequired` and `deps.CrossSite`), and the reading of its forms."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from refiner_server.dashboard import session, views

HERE = Path(__file__).parent

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def survey_url(project_id: str, survey_id: str, tail: str = "") -> str:
    return f"/admin/projects/{quote(project_id, safe='')}/surveys/{quote(survey_id, safe='')}{tail}"


templates.globals.update(survey_url=survey_url, fmt=views.fmt, text=views.text)


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**context), status_code=status)


def not_found(token: Any, exc: Exception) -> HTMLResponse:
    """The error page of a project, survey or segment that is not there; `exc` names it."""
    return page("error.html", 404, title="Not found", message=str(exc), token=token)


async def to_login(request: Request, _exc: Exception) -> RedirectResponse:
    """Back to the sign-in form, remembering where the owner wanted to go."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse("/admin/login?" + urlencode({"next": target}), status_code=303)
    if session.COOKIE in request.cookies:
        session.sign_out(response)  # a revoked or unknown token
    return response


async def refused(_request: Request, _exc: Exception) -> HTMLResponse:
    return page(
        "error.html",
        403,
        title="Refused",
        message="This request did not come from the dashboard itself, so nothing was changed.",
        token=None,
    )


async def form_fields(request: Request) -> dict[str, str]:
    """The first value of each field of an urlencoded form body."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
