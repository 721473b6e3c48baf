"""The dashboard's pages of who is asked and how often: a project's settings (the recontact
wait) and its segments (list with the count of contacts each matches now, create, edit,
delete, refused with the surveys that still name it). Roles (`team.access`): viewers read
segments, editors change them (they are surveys' audiences), owners the settings; every
change goes to the audit log. The operations are `projects` and `segments`."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from refiner_server import segments as segment_store
from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, not_found, page
from refiner_server.deps import AdminEngine
from refiner_server.projects import MAX_RECONTACT_DAYS, ProjectError, get_project, update_project
from refiner_server.surveys.checks import DefinitionError
from refiner_server.surveys.store import Conflict, NotFound
from refiner_server.team.access import PageOwner, PageViewer, PostingEditor, PostingOwner
from refiner_server.team.audit import recorded
from refiner_server.team.principal import Principal

router = APIRouter(prefix=session.PATH + "/projects/{project_id}", include_in_schema=False)
EXAMPLE = {"identified_only": True, "rules": [{"trait": "plan", "op": "eq", "value": "pro"}]}


def project_url(project_id: str, tail: str) -> str:
    return f"{session.PATH}/projects/{quote(project_id, safe='')}{tail}"


async def _audit(
    engine: Engine, who: Principal, project_id: str, action: str, subject: str, **detail: Any
) -> None:
    await recorded(
        engine,
        project_id=project_id,
        actor=who,
        action=action,
        subject=subject,
        detail=detail or None,
    )


# -- settings ------------------------------------------------------------------------------


def _settings_page(
    engine: Engine, token: Principal, project_id: str, status: int = 200, **extra: Any
) -> Response:
    try:
        project = get_project(engine, project_id)
    except NotFound as exc:
        return not_found(token, exc)
    title = extra.pop("title", "Settings")
    return page(
        "settings.html",
        status,
        title=f"{title}: {project['name']}",
        token=token,
        project=project,
        most=MAX_RECONTACT_DAYS,
        action=project_url(project_id, "/settings"),
        **extra,
    )


@router.get("/settings")
def settings(
    token: PageOwner, engine: AdminEngine, project_id: str, done: str | None = None
) -> Response:
    notice = "Settings saved" if done == "saved" else None
    return _settings_page(engine, token, project_id, notice=notice, title=notice or "Settings")


@router.post("/settings")
async def save_settings(
    request: Request, token: PostingOwner, engine: AdminEngine, project_id: str
) -> Response:
    raw = (await form_fields(request)).get("recontact_days", "").strip() or "0"
    try:
        days = int(raw)
        await run_in_threadpool(update_project, engine, project_id, recontact_days=days)
    except NotFound as exc:
        return not_found(token, exc)
    except (ValueError, ProjectError):
        error = f"A whole number of days from 0 (off) to {MAX_RECONTACT_DAYS}."
        return await run_in_threadpool(
            _settings_page, engine, token, project_id, 422, error=error, value=raw
        )
    detail = {"recontact_days": days}
    await _audit(engine, token, project_id, "project.updated", "project:" + project_id, **detail)
    return RedirectResponse(project_url(project_id, "/settings?done=saved"), status_code=303)


# -- segments ------------------------------------------------------------------------------


def _segments_page(
    engine: Engine, token: Principal, project_id: str, status: int = 200, **extra: Any
) -> Response:
    try:
        project = get_project(engine, project_id)
        found = segment_store.list_segments(engine, project_id)
    except NotFound as exc:
        return not_found(token, exc)
    title = extra.pop("title", "Segments")
    form = extra.pop("form", {"audience": json.dumps(EXAMPLE, indent=2)})
    return page(
        "segments.html",
        status,
        title=f"{title}: {project['name']}",
        token=token,
        project=project,
        segments=found,
        form=form,
        action=project_url(project_id, "/segments"),
        segment_url=lambda sid: project_url(project_id, "/segments/" + quote(sid, safe="")),
        **extra,
    )


def _segment_page(
    engine: Engine,
    token: Principal,
    project_id: str,
    segment_id: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    try:
        segment = segment_store.get_segment(engine, project_id, segment_id)
    except NotFound as exc:
        return not_found(token, exc)
    form = extra.pop("form", None) or {
        "name": segment["name"],
        "audience": json.dumps(segment["audience"], indent=2),
    }
    title = extra.pop("title", segment["name"])
    return page(
        "segment.html",
        status,
        title=f"{title}: segment",
        token=token,
        project_id=project_id,
        segment=segment,
        form=form,
        action=project_url(project_id, "/segments/" + quote(segment_id, safe="")),
        back=project_url(project_id, "/segments"),
        **extra,
    )


def _audience(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DefinitionError("audience", f"not JSON ({exc})") from None


@router.get("/segments")
def segments(
    token: PageViewer, engine: AdminEngine, project_id: str, done: str | None = None
) -> Response:
    notice = "Segment deleted" if done == "deleted" else None
    return _segments_page(engine, token, project_id, notice=notice, title=notice or "Segments")


@router.post("/segments")
async def create(
    request: Request, token: PostingEditor, engine: AdminEngine, project_id: str
) -> Response:
    form = await form_fields(request)
    sid, name = form.get("id", "").strip(), form.get("name", "").strip()
    try:
        audience = _audience(form.get("audience", ""))
        await run_in_threadpool(
            segment_store.create_segment, engine, project_id, sid, name, audience
        )
    except NotFound as exc:
        return not_found(token, exc)
    except (DefinitionError, Conflict) as exc:
        return await run_in_threadpool(
            _segments_page, engine, token, project_id, 422, error=str(exc), form=form
        )
    await _audit(engine, token, project_id, "segment.created", "segment:" + sid)
    target = project_url(project_id, "/segments/" + quote(sid, safe="") + "?done=created")
    return RedirectResponse(target, status_code=303)


@router.get("/segments/{segment_id}")
def segment(
    token: PageViewer,
    engine: AdminEngine,
    project_id: str,
    segment_id: str,
    done: str | None = None,
) -> Response:
    notices = {"created": "Segment created", "saved": "Segment saved"}
    notice = notices.get(done or "")
    return _segment_page(engine, token, project_id, segment_id, notice=notice)


@router.post("/segments/{segment_id}")
async def save(
    request: Request, token: PostingEditor, engine: AdminEngine, project_id: str, segment_id: str
) -> Response:
    form = await form_fields(request)
    try:
        audience = _audience(form.get("audience", ""))
        await run_in_threadpool(
            segment_store.update_segment,
            engine,
            project_id,
            segment_id,
            form.get("name", "").strip(),
            audience,
        )
    except NotFound as exc:
        return not_found(token, exc)
    except DefinitionError as exc:
        return await run_in_threadpool(
            _segment_page, engine, token, project_id, segment_id, 422, error=str(exc), form=form
        )
    await _audit(engine, token, project_id, "segment.updated", "segment:" + segment_id)
    target = project_url(project_id, "/segments/" + quote(segment_id, safe="") + "?done=saved")
    return RedirectResponse(target, status_code=303)


@router.post("/segments/{segment_id}/delete")
async def delete(
    token: PostingEditor, engine: AdminEngine, project_id: str, segment_id: str
) -> Response:
    try:
        await run_in_threadpool(segment_store.delete_segment, engine, project_id, segment_id)
    except NotFound as exc:
        return not_found(token, exc)
    except segment_store.SegmentInUse as exc:
        return await run_in_threadpool(
            _segment_page, engine, token, project_id, segment_id, 409, refused=str(exc)
        )
    await _audit(engine, token, project_id, "segment.deleted", "segment:" + segment_id)
    return RedirectResponse(project_url(project_id, "/segments?done=deleted"), status_code=303)
