"""The dashboard page of a project's server keys, `/admin/projects/{id}/keys`: list them
(prefix, name, created, last used, revoked), create one (its secret shown on the answer
page only, never again) and revoke one: the project's owners only (`team.access`), with
the dashboard's session, CSRF rule and headers; each change goes to the audit log."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, page
from refiner_server.deps import AdminEngine
from refiner_server.projects import get_project
from refiner_server.server_api.keys import PREFIX, create_key, list_keys, revoke_key
from refiner_server.surveys.store import NotFound
from refiner_server.team.access import PageOwner, PostingOwner
from refiner_server.team.audit import record
from refiner_server.team.principal import Principal

router = APIRouter(prefix=session.PATH + "/projects/{project_id}/keys", include_in_schema=False)


def keys_url(project_id: str) -> str:
    return f"{session.PATH}/projects/{quote(project_id, safe='')}/keys"


def _keys_page(
    engine: Engine, token: Principal, project_id: str, status: int = 200, **extra: Any
) -> Response:
    try:
        project = get_project(engine, project_id)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    title = extra.pop("title", "Server keys")
    return page(
        "keys.html",
        status,
        title=f"{title}: {project['name']}",
        token=token,
        project=project,
        keys=list_keys(engine, project_id),
        action=keys_url(project_id),
        **extra,
    )


@router.get("")
def keys(
    token: PageOwner, engine: AdminEngine, project_id: str, done: str | None = None
) -> Response:
    notice = "Key revoked" if done == "revoked" else None
    return _keys_page(engine, token, project_id, notice=notice, title=notice or "Server keys")


@router.post("")
async def create(
    request: Request, token: PostingOwner, engine: AdminEngine, project_id: str
) -> Response:
    name = (await form_fields(request)).get("name", "").strip()
    if not name or len(name) > 255:
        error = "A key needs a name of 1 to 255 characters: who or what uses it."
        return await run_in_threadpool(
            _keys_page, engine, token, project_id, 422, error=error, key_name=name
        )
    try:
        key_id, raw = await run_in_threadpool(create_key, engine, project_id, name)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    await run_in_threadpool(_recorded, engine, token, project_id, "key.created", key_id, name)
    return await run_in_threadpool(
        _keys_page, engine, token, project_id, 201, created=raw, title="Key created"
    )


@router.post("/{key_id}/revoke")
async def revoke(
    token: PostingOwner, engine: AdminEngine, project_id: str, key_id: str
) -> Response:
    if not await run_in_threadpool(revoke_key, engine, key_id, project_id):
        message = f"No live key {key_id!r} in project {project_id!r}."
        return page("error.html", 404, title="Not found", message=message, token=token)
    await run_in_threadpool(_recorded, engine, token, project_id, "key.revoked", key_id)
    return RedirectResponse(keys_url(project_id) + "?done=revoked", status_code=303)


def _recorded(
    engine: Engine, who: Principal, project_id: str, action: str, key_id: str, name: str = ""
) -> None:
    detail = {"name": name} if name else {}
    record(
        engine,
        project_id=project_id,
        actor=who,
        action=action,
        subject="key:" + key_id,
        detail=dict(detail, prefix=PREFIX + key_id),
    )
