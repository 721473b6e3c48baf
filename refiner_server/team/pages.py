"""Dashboard pages of a project's team and log, for its owners: people and their roles,
invitations (a link shown once), the audit log filtered by survey; and the page an
invitation's link opens, where the invitee sets a password (or gives theirs) and joins.

Server-rendered like the rest of `/admin` (no script); each change redirects to the page it
changed and goes to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from refiner_server.client.rules import INT_LIMIT
from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, page
from refiner_server.deps import AdminEngine, SameSite
from refiner_server.projects import get_project
from refiner_server.surveys.store import NotFound, list_surveys
from refiner_server.team import audit, invitations, people
from refiner_server.team.access import Limits, NotAllowed, PageOwner, PasswordHasher, PostingOwner
from refiner_server.team.passwords import MIN_LENGTH, WeakPassword
from refiner_server.team.principal import Principal
from refiner_server.team.roles import ROLES
from refiner_server.team.sessions import open_session
from refiner_server.team.users import LastOwner, members

router = APIRouter(prefix=session.PATH, include_in_schema=False)
PEOPLE = "/projects/{project_id}/people"
DONE = {
    "role": "Role changed",
    "removed": "Removed from the project",
    "revoked": "Invitation withdrawn",
}


def project_url(project_id: str, tail: str) -> str:
    return f"{session.PATH}/projects/{quote(project_id, safe='')}/{tail}"


async def not_allowed(_request: Request, exc: Exception) -> HTMLResponse:
    """The app's answer to `access.NotAllowed`: the error page, 403 or 404."""
    assert isinstance(exc, NotAllowed)
    title = "Not found" if exc.status == 404 else "Not allowed"
    message = exc.message[0].upper() + exc.message[1:] + "."
    return page("error.html", exc.status, title=title, message=message, token=None)


def _people_page(
    request: Request,
    engine: Engine,
    who: Principal,
    project_id: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    try:
        project = get_project(engine, project_id)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=who)
    title = extra.pop("title", "People")
    return page(
        "people.html",
        status,
        title=f"{title}: {project['name'] or project['id']}",
        token=who,
        project=project,
        people=members(engine, project_id),
        invitations=invitations.pending(engine, project_id, request.app.state.clock.now()),
        roles=ROLES,
        action=project_url(project_id, "people"),
        audit_url=project_url(project_id, "audit"),
        **extra,
    )


@router.get(PEOPLE)
def people_page(
    request: Request, who: PageOwner, engine: AdminEngine, project_id: str, done: str | None = None
) -> Response:
    notice = DONE.get(done or "")
    return _people_page(request, engine, who, project_id, notice=notice, title=notice or "People")


@router.post(PEOPLE + "/invite")
async def invite(
    request: Request, who: PostingOwner, engine: AdminEngine, project_id: str
) -> Response:
    fields = await form_fields(request)
    email, role = fields.get("email", ""), fields.get("role", "")
    now = request.app.state.clock.now()

    try:
        made, raw = await run_in_threadpool(
            people.invite, engine, who, project_id, email, role, now
        )
    except ValueError as exc:
        return await run_in_threadpool(
            _people_page,
            request,
            engine,
            who,
            project_id,
            422,
            error=str(exc),
            form=fields,
            title="Not invited",
        )
    link = str(request.base_url).rstrip("/") + session.PATH + "/join/" + raw
    return await run_in_threadpool(
        _people_page,
        request,
        engine,
        who,
        project_id,
        201,
        link=link,
        invited=made,
        title="Invited",
    )


@router.post(PEOPLE + "/{user_id}/role")
async def change_role(
    request: Request, who: PostingOwner, engine: AdminEngine, project_id: str, user_id: str
) -> Response:
    role = (await form_fields(request)).get("role", "")
    change = partial(people.change_role, engine, who, project_id, user_id, role)
    return await _member_change(request, engine, who, project_id, change, "role")


@router.post(PEOPLE + "/{user_id}/remove")
async def remove(
    request: Request, who: PostingOwner, engine: AdminEngine, project_id: str, user_id: str
) -> Response:
    change = partial(people.remove, engine, who, project_id, user_id)
    return await _member_change(request, engine, who, project_id, change, "removed")


@router.post(PEOPLE + "/invitations/{invitation_id}/revoke")
async def revoke(
    request: Request, who: PostingOwner, engine: AdminEngine, project_id: str, invitation_id: str
) -> Response:
    now = request.app.state.clock.now()
    change = partial(people.withdraw, engine, who, project_id, invitation_id, now)
    return await _member_change(request, engine, who, project_id, change, "revoked")


async def _member_change(
    request: Request,
    engine: Engine,
    who: Principal,
    project_id: str,
    change: Callable[[], None],
    done: str,
) -> Response:
    try:
        await run_in_threadpool(change)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=who)
    except LastOwner as exc:
        return await run_in_threadpool(
            _people_page, request, engine, who, project_id, 409, error=str(exc), title="Not changed"
        )
    except ValueError as exc:  # an unknown role
        return await run_in_threadpool(
            _people_page, request, engine, who, project_id, 422, error=str(exc), title="Not changed"
        )
    target = project_url(project_id, "people") + "?" + urlencode({"done": done})
    return RedirectResponse(target, status_code=303)


# -- the audit log -------------------------------------------------------------------------


@router.get("/projects/{project_id}/audit")
def audit_page(
    who: PageOwner,
    engine: AdminEngine,
    project_id: str,
    survey: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=INT_LIMIT)] = None,
) -> Response:
    try:
        project = get_project(engine, project_id)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=who)
    subject = "survey:" + survey if survey else None
    rows = audit.entries(engine, project_id, subject=subject, before=before, limit=100)
    for row in rows:
        row["detail_text"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
    older = None
    if len(rows) == 100:
        older = (
            project_url(project_id, "audit")
            + "?"
            + urlencode({k: v for k, v in (("survey", survey), ("before", rows[-1]["id"])) if v})
        )
    return page(
        "audit.html",
        title=f"Audit log: {project['name'] or project['id']}",
        token=who,
        project=project,
        rows=rows,
        surveys=list_surveys(engine, project_id),
        shown=survey,
        action=project_url(project_id, "audit"),
        older=older,
    )


# -- an invitation's link ------------------------------------------------------------------


@router.get("/join/{raw}")
def join_form(request: Request, engine: AdminEngine, raw: str) -> Response:
    return _join_page(engine, raw, request.app.state.clock.now())


def _join_page(engine: Engine, raw: str, now: Any, status: int = 200, **extra: Any) -> Response:
    try:
        found = invitations.find(engine, raw, now)
    except invitations.InvalidInvitation as exc:
        return page("error.html", 404, title="Invitation not valid", message=str(exc), token=None)
    project = get_project(engine, found["project_id"])
    return page(
        "join.html",
        status,
        title=("Not joined: " if extra.get("error") else "")
        + f"Join {project['name'] or project['id']}",
        token=None,
        invitation=found,
        project=project,
        min_length=MIN_LENGTH,
        action=session.PATH + "/join/" + raw,
        **extra,
    )


@router.post("/join/{raw}", dependencies=[SameSite])
async def join(
    request: Request, engine: AdminEngine, passwords: PasswordHasher, limits: Limits, raw: str
) -> Response:
    fields = await form_fields(request)
    password = fields.get("password", "")
    now = request.app.state.clock.now()
    host = request.client.host if request.client else None
    try:
        found = await run_in_threadpool(invitations.find, engine, raw, now)
    except invitations.InvalidInvitation as exc:
        return page("error.html", 404, title="Invitation not valid", message=str(exc), token=None)
    if not found["has_account"] and password != fields.get("repeat", ""):
        return _join_page(engine, raw, now, 422, error="The two passwords differ.")
    wait = limits.wait(found["email"], host, now.timestamp())
    if wait:
        error = f"Too many wrong passwords. Try again in {wait} seconds."
        return _join_page(engine, raw, now, 429, error=error)

    def accept() -> str:
        with engine.begin() as conn:
            made, user_id = invitations.accept(conn, passwords, raw, password, now)
            audit.record(
                conn,
                project_id=made["project_id"],
                actor=Principal("user", user_id, made["email"], {}),
                action="invitation.accepted",
                subject="member:" + user_id,
                detail={"email": made["email"], "role": made["role"], "invitation": made["id"]},
            )
        return open_session(engine, now, user_id=user_id)

    try:
        opened = await run_in_threadpool(accept)
    except invitations.WrongPassword as exc:
        limits.failed(found["email"], host, now.timestamp())
        return _join_page(engine, raw, now, 401, error=str(exc))
    except WeakPassword as exc:
        return _join_page(engine, raw, now, 422, error=str(exc))
    except invitations.InvalidInvitation as exc:
        return page("error.html", 404, title="Invitation not valid", message=str(exc), token=None)
    response = RedirectResponse(session.PATH, status_code=303)
    session.sign_in(request, response, opened)
    return response
