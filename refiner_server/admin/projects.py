"""Admin routes of projects: create, list, read and change settings."""

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

router = APIRouter(tags=["admin: projects"])


@router.get("/projects", response_model=list[ProjectOut], summary="List projects")
def projects_list(engine: AdminEngine) -> list[dict[str, Any]]:
    return [_out(p) for p in list_projects(engine)]


@router.post("/projects", response_model=ProjectOut, status_code=201, summary="Create a project")
def project_create(body: ProjectIn, engine: AdminEngine) -> dict[str, Any]:
    with refusals():
        return _out(create_project(engine, **body.model_dump(exclude={"id"}), project_id=body.id))


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="Read a project")
def project_read(project_id: ProjectPath, engine: AdminEngine) -> dict[str, Any]:
    with refusals():
        return _out(get_project(engine, project_id))


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectOut,
    summary="Change settings: allowed origins, identity verification and secret, ping "
    "interval, recontact wait, name",
)
def project_update(
    project_id: ProjectPath, body: ProjectPatch, engine: AdminEngine
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude={"rotate_secret"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if body.rotate_secret:
        changes["secret"] = secrets.token_hex(32)
    with refusals():
        return _out(update_project(engine, project_id, **changes))


def _out(project: dict[str, Any]) -> dict[str, Any]:
    return dict(
        project,
        created_at=iso(project["created_at"]),
        allowed_origins=list(project["allowed_origins"] or []),
        recontact_days=project["recontact_days"] or 0,
    )
