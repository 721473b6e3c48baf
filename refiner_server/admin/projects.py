"""Admin routes of projects: create (a server-wide token), list (those the token has a
role in), read (its identity secret for owners only) and change settings (owners)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter

from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import ProjectIn, ProjectOut, ProjectPatch
from refiner_server.client.rules import ProjectPath
from refiner_server.db import iso
from refiner_server.deps import AdminEngine
from refiner_server.projects import create_project, get_project, list_projects, update_project
from refiner_server.team.access import ApiAny, ApiOwner, ApiServer, ApiViewer
from refiner_server.team.audit import record
from refiner_server.team.principal import Principal

router = APIRouter(tags=["admin: projects"])


@router.get("/projects", response_model=list[ProjectOut], summary="List projects")
def projects_list(engine: AdminEngine, who: ApiAny) -> list[dict[str, Any]]:
    return [_out(p, who) for p in who.visible(list_projects(engine))]


@router.post("/projects", response_model=ProjectOut, status_code=201, summary="Create a project")
def project_create(body: ProjectIn, engine: AdminEngine, who: ApiServer) -> dict[str, Any]:
    with refusals():
        made = create_project(engine, **body.model_dump(exclude={"id"}), project_id=body.id)
    settings = body.model_dump(exclude={"id", "secret"}, exclude_unset=True)
    record(
        engine,
        project_id=made["id"],
        actor=who,
        action="project.created",
        subject="project:" + made["id"],
        detail=settings,
    )
    return _out(made, who)


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="Read a project")
def project_read(project_id: ProjectPath, engine: AdminEngine, who: ApiViewer) -> dict[str, Any]:
    with refusals():
        return _out(get_project(engine, project_id), who)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectOut,
    summary="Change settings: allowed origins, identity verification and secret, ping "
    "interval, recontact wait, name",
)
def project_update(
    project_id: ProjectPath, body: ProjectPatch, engine: AdminEngine, who: ApiOwner
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude={"rotate_secret"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if body.rotate_secret:
        changes["secret"] = secrets.token_hex(32)
    with refusals():
        changed = _out(update_project(engine, project_id, **changes), who)
    # what changed, a secret only as "changed"
    detail = {k: "(changed)" if k == "secret" else v for k, v in changes.items()}
    record(
        engine,
        project_id=project_id,
        actor=who,
        action="project.updated",
        subject="project:" + project_id,
        detail=detail,
    )
    return changed


def _out(project: dict[str, Any], who: Principal) -> dict[str, Any]:
    """A project as the API shows it; its identity secret to its owners only."""
    return dict(
        project,
        secret=project["secret"] if who.may(project["id"], "owner") else None,
        created_at=iso(project["created_at"]),
        allowed_origins=list(project["allowed_origins"] or []),
        recontact_days=project["recontact_days"] or 0,
    )
