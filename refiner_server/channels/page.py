"""The link page `/s/{project}/{survey}`: a page of our own that boots the same client and
renderers as a site's snippet, in a full-page layout, for a live survey whose
`channels.link` lets it be reached so (docs/channels.md#link-surveys).

The page runs no inline script: its settings are a JSON block the loader hands to Python
(`data-page`), its styles carry a nonce, and its policy allows scripts and requests only
from this server. It sets no cookie and keeps no referrer (a one-time link's token is in
its address). A link that does not open its survey gets a page that says why, never the
survey.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from refiner_server.channels import links
from refiner_server.client.rules import FormPath, ProjectPath
from refiner_server.client.view import client_view
from refiner_server.db import projects, surveys
from refiner_server.deps import AdminEngine
from refiner_web import channels

RUNTIMES = ("micropython", "pyodide")
#: query keys the page reads itself; a survey's hidden fields take the others
OWN_KEYS = ("t", "lang", "runtime")
STORES = (
    "This page sets no cookie. Your browser keeps, in its local storage for this site: "
    "an anonymous id, your answers until the server has them, and that you answered "
    "(so that you are not asked twice)."
)


def policy(nonce: str) -> str:
    """The page's Content-Security-Policy: scripts, WebAssembly and requests from this
    server only, styles by nonce, no inline script, no frames, no forms, no base."""
    return (
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "
        f"style-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
    )


router = APIRouter(tags=["link pages"], include_in_schema=False)


@router.get("/s/{project_id}/{survey_id}", response_class=HTMLResponse)
def link_page(
    project_id: ProjectPath, survey_id: FormPath, request: Request, engine: AdminEngine
) -> HTMLResponse:
    """The survey on a page of its own, or a page that says why not."""
    query = request.query_params
    locale = channels.page_locale(query.get("lang"), request.headers.get("accept-language"))
    nonce = secrets.token_urlsafe(16)
    with engine.connect() as conn:
        project = conn.execute(
            sa.select(projects.c.secret).where(projects.c.id == project_id)
        ).first()
        definition = conn.execute(
            sa.select(surveys.c.definition).where(
                surveys.c.project_id == project_id,
                surveys.c.id == survey_id,
                surveys.c.status == "live",
            )
        ).scalar()
        access = "off" if definition is None else channels.link_access(definition)
        if project is None or access == "off":
            return _notice(404, "This survey is not available", "It may have ended.", nonce)
        token = query.get("t")
        if token is None and access == "one_time":
            return _notice(
                403,
                "This survey is by invitation",
                "Open it from the personal link you were sent.",
                nonce,
            )
        if token is not None:
            try:
                claims = links.read_token(
                    project.secret, project_id, survey_id, token, request.app.state.clock.now()
                )
            except links.LinkRefused as exc:
                return _refused(exc, nonce)
            if links.spent_by(conn, project_id, claims) is not None:
                return _refused(
                    links.LinkRefused("link_used", 410, "this link has been used"), nonce
                )
    settings = {
        "project": project_id,
        "form": client_view(definition),
        "data": dict(channels.prefill(definition, _query_pairs(request))),
        "locale": locale,
        "link": token,
    }
    runtime = query.get("runtime")
    return _survey_page(
        definition, settings, runtime if runtime in RUNTIMES else RUNTIMES[0], nonce
    )


def _query_pairs(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in OWN_KEYS]


def _refused(refusal: links.LinkRefused, nonce: str) -> HTMLResponse:
    said = {
        "link_invalid": ("This link is not valid", "Check that you copied all of it."),
        "link_expired": ("This link has expired", "Ask whoever sent it for a new one."),
        "link_used": ("This link has been used", "Your answers were received. Thank you!"),
    }[refusal.code]
    return _notice(refusal.status, *said, nonce)


def _texts(definition: dict[str, Any]) -> tuple[str, str]:
    """The page's title and description: `channels.title` and `channels.description`, else
    the first question's title and description."""
    own = definition.get("channels") or {}
    first = (definition.get("questions") or [{}])[0]
    title = own.get("title") or first.get("title") or definition.get("name") or "Survey"
    description = own.get("description") or first.get("description") or ""
    return title, description


def _head(title: str, description: str, nonce: str) -> str:
    e = html.escape
    return (
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="robots" content="noindex">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{e(title)}</title>\n"
        f'<meta name="description" content="{e(description)}">\n'
        '<meta property="og:type" content="website">\n'
        f'<meta property="og:title" content="{e(title)}">\n'
        f'<meta property="og:description" content="{e(description)}">\n'
        f'<style nonce="{nonce}">{PAGE_CSS}</style>\n'
    )


def _html(status: int, lang: str | None, head: str, body: str, nonce: str) -> HTMLResponse:
    text = (
        f'<!doctype html>\n<html lang="{html.escape(lang or "en")}">\n<head>\n{head}</head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    return HTMLResponse(
        text,
        status,
        headers={
            "Content-Security-Policy": policy(nonce),
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def _notice(status: int, title: str, text: str, nonce: str) -> HTMLResponse:
    e = html.escape
    body = f'<main class="notice">\n<h1>{e(title)}</h1>\n<p>{e(text)}</p>\n</main>'
    return _html(status, "en", _head(title, text, nonce), body, nonce)


def _survey_page(
    definition: dict[str, Any], settings: dict[str, Any], runtime: str, nonce: str
) -> HTMLResponse:
    title, description = _texts(definition)
    # JSON in a script element: `<`, `>` and `&` escaped, so no text can end the element
    data = json.dumps(settings, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    body = (
        '<main id="refiner-page">\n'
        "<noscript><p>This survey needs JavaScript.</p></noscript>\n"
        "</main>\n"
        f"<footer><p>{html.escape(STORES)}</p></footer>\n"
        f'<script type="application/json" id="refiner-link">{data}</script>\n'
        f'<script src="/static/refiner.js" data-runtime="{runtime}" data-page="refiner-link" '
        f'nonce="{nonce}" async></script>'
    )
    return _html(200, settings["locale"], _head(title, description, nonce), body, nonce)


PAGE_CSS = (
    ":root{color-scheme:light dark;font-family:system-ui,sans-serif}"
    "body{margin:0;min-height:100vh;display:flex;flex-direction:column;"
    "background:#f3f4f6;color:#111827;line-height:1.5}"
    "@media (prefers-color-scheme:dark){body{background:#111827;color:#f9fafb}"
    "footer{color:#d1d5db!important}}"
    "main{flex:1;display:flex;align-items:flex-start;justify-content:center;"
    "padding:max(4vh,12px) 12px 12px}"
    "main.notice{flex-direction:column;align-items:center;text-align:center}"
    "footer{padding:12px 16px 20px;font-size:.8125rem;text-align:center;color:#374151}"
    "footer p{max-width:40rem;margin:0 auto}"
)
