"""The preview (docs/dashboard.md, "Preview"): the frame that draws a survey with the client
sites run, the owner's page around it, and the "try it on my site" links.

`/admin/preview` is the frame. It is embedded as
`<iframe sandbox="allow-scripts" src="/admin/preview">`, so its origin is opaque: it can read
no cookie, storage or page of the dashboard, and the loader it runs
(`static/refiner.js` with `data-preview`) starts `refiner_web.preview_frame`, which writes
nothing. It shows only what its parent posts, so it needs no sign-in; only our own pages
may frame it. Its CSP is the dashboard's but for scripts from our origin and the wasm
compiler; the owner's page around it allows scripts from our origin (`preview.js`, the
controls), nothing inline.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from refiner_server import tryouts
from refiner_server.dashboard import session
from refiner_server.dashboard.pages import HERE, form_fields, page
from refiner_server.deps import AdminEngine
from refiner_server.surveys import store as survey_store
from refiner_server.team.access import PageViewer, PostingEditor
from refiner_server.team.principal import Principal
from refiner_server.tryouts import PARAM

#: the frame: scripts and wasm from our origin only, framed by our own pages only
FRAME_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
)
#: the owner's preview page: the dashboard's, plus its one script file
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ASSETS = {
    "preview.js": "text/javascript; charset=utf-8",
    "preview-frame.css": "text/css; charset=utf-8",
}

router = APIRouter(prefix=session.PATH, include_in_schema=False)


def _asset(name: str) -> Response:
    return Response(
        (HERE / name).read_bytes(), media_type=ASSETS[name], headers={"cache-control": "no-cache"}
    )


@router.get("/preview.js")
def controls_script() -> Response:
    return _asset("preview.js")


@router.get("/preview-frame.css")
def frame_styles() -> Response:
    return _asset("preview-frame.css")


@router.get("/preview")
def frame() -> Response:
    response = page("preview_frame.html")
    response.headers["content-security-policy"] = FRAME_CSP
    response.headers["x-frame-options"] = "SAMEORIGIN"
    return response


def _preview_page(
    token: Principal,
    engine: Any,
    project_id: str,
    survey_id: str,
    status: int = 200,
    **more: Any,
) -> HTMLResponse:
    try:
        survey = survey_store.get_survey(engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    definition = survey["definition"]
    look = definition.get("appearance") or {}
    response = page(
        "preview.html",
        status,
        title="Preview: " + (definition.get("name") or survey_id),
        token=token,
        project_id=project_id,
        survey=survey,
        definition=definition,
        theme=look.get("theme") if look.get("theme") in ("light", "dark") else "light",
        position=look.get("position") or "bottom-right",
        locales=sorted(definition.get("translations") or {}),
        minutes=int(tryouts.TTL.total_seconds() // 60),
        param=PARAM,
        **more,
    )
    response.headers["content-security-policy"] = PAGE_CSP
    return response


@router.get("/projects/{project_id}/surveys/{survey_id}/preview")
def preview_page(
    token: PageViewer, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    return _preview_page(token, engine, project_id, survey_id)


@router.post("/projects/{project_id}/surveys/{survey_id}/preview")
async def try_link(
    request: Request, token: PostingEditor, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    """A try-out link for the page the owner names (`refiner_server.tryouts`)."""
    url = (await form_fields(request)).get("url", "")
    now = request.app.state.clock.now()

    def make() -> str:
        survey_store.get_survey(engine, project_id, survey_id)  # NotFound when gone
        return tryouts.link(url, tryouts.mint(engine, token, project_id, survey_id, now))

    try:
        link = await run_in_threadpool(make)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    except ValueError as exc:
        why = f"That address cannot be used: give {exc}."
        return _preview_page(token, engine, project_id, survey_id, 422, url=url, error=why)
    return _preview_page(token, engine, project_id, survey_id, url=url, link=link)
