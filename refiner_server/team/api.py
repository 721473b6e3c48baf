"""Admin API of the audit log, `GET /api/v1/admin/projects/{project_id}/audit`: the
project's owners (and server-wide tokens) read who changed what, newest first, one
survey's changes or any subject's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from refiner_server.client.rules import INT_LIMIT, NO_NUL, ProjectPath
from refiner_server.deps import AdminEngine
from refiner_server.team.access import ApiOwner
from refiner_server.team.audit import MOST, entries

router = APIRouter(tags=["admin: team"])


class Actor(BaseModel):
    kind: str
    id: str
    name: str


class AuditEntry(BaseModel):
    id: int
    at: str
    project_id: str | None
    actor: Actor
    action: str
    subject: str
    detail: dict[str, Any]


@router.get(
    "/projects/{project_id}/audit",
    response_model=list[AuditEntry],
    summary="The audit log: who changed what, newest first (owners)",
)
def audit_list(
    project_id: ProjectPath,
    engine: AdminEngine,
    _who: ApiOwner,
    survey: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="one survey's changes")
    ] = None,
    subject: Annotated[
        str | None,
        Query(max_length=255, pattern=NO_NUL, description="`kind:id`, e.g. `webhook:wh-1`"),
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, le=INT_LIMIT, description="the last id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MOST)] = 100,
) -> list[dict[str, Any]]:
    chosen = "survey:" + survey if survey else subject
    return entries(engine, project_id, subject=chosen, before=before, limit=limit)
