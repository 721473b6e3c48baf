"""Admin API of a project's team, for its owners (and server-wide tokens): the audit log
(`GET .../audit`: who changed what, newest first, one survey's changes or any subject's),
the members and their roles, and invitations by link (the token is in the answer once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from refiner_server.client.rules import INT_LIMIT, NO_NUL, ProjectPath
from refiner_server.deps import AdminEngine
from refiner_server.http.errors import ApiError
from refiner_server.projects import get_project
from refiner_server.surveys.store import NotFound
from refiner_server.team import invitations, people
from refiner_server.team.access import ApiOwner
from refiner_server.team.audit import MOST, entries
from refiner_server.team.users import LastOwner, members

router = APIRouter(tags=["admin: team"])
BASE = "/projects/{project_id}"
Role = Literal["owner", "editor", "viewer"]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]


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
    BASE + "/audit",
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


class Member(BaseModel):
    id: str
    email: str
    role: Role
    created_at: str = Field(description="when they joined the project")


class RoleIn(BaseModel):
    role: Role


class InvitationIn(BaseModel):
    email: str = Field(min_length=3, max_length=255, pattern=NO_NUL)
    role: Role


class Invitation(BaseModel):
    id: str
    project_id: str
    email: str
    role: Role
    invited_by: str
    created_at: str
    expires_at: str


class InvitationMade(Invitation):
    path: str = Field(
        description="the link's path on this server (`/admin/join/rfi_...`): "
        "shown only in this answer; it works once, until `expires_at`"
    )


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except LastOwner as exc:
        raise ApiError(409, "last_owner", str(exc)) from None
    except ValueError as exc:
        raise ApiError(422, "invalid_member", str(exc)) from None


@router.get(BASE + "/members", response_model=list[Member], summary="People and their roles")
def members_list(project_id: ProjectPath, engine: AdminEngine, _who: ApiOwner) -> list[dict]:
    with refusals():
        get_project(engine, project_id)
    return members(engine, project_id)


@router.patch(
    BASE + "/members/{user_id}",
    status_code=204,
    summary="Change a person's role (409 for the last owner)",
)
def member_role(
    project_id: ProjectPath, user_id: IdPath, body: RoleIn, engine: AdminEngine, who: ApiOwner
) -> Response:
    with refusals():
        people.change_role(engine, who, project_id, user_id, body.role)
    return Response(status_code=204)


@router.delete(
    BASE + "/members/{user_id}",
    status_code=204,
    summary="Take a person out of the project (409 for the last owner)",
)
def member_remove(
    project_id: ProjectPath, user_id: IdPath, engine: AdminEngine, who: ApiOwner
) -> Response:
    with refusals():
        people.remove(engine, who, project_id, user_id)
    return Response(status_code=204)


@router.get(BASE + "/invitations", response_model=list[Invitation], summary="Open invitations")
def invitations_list(
    request: Request, project_id: ProjectPath, engine: AdminEngine, _who: ApiOwner
) -> list[dict]:
    with refusals():
        get_project(engine, project_id)
    return invitations.pending(engine, project_id, request.app.state.clock.now())


@router.post(
    BASE + "/invitations",
    response_model=InvitationMade,
    status_code=201,
    summary="Invite an email with a role: the link, once",
)
def invitation_create(
    request: Request,
    project_id: ProjectPath,
    body: InvitationIn,
    engine: AdminEngine,
    who: ApiOwner,
) -> dict[str, Any]:
    now = request.app.state.clock.now()
    with refusals():
        made, raw = people.invite(engine, who, project_id, body.email, body.role, now)
    return dict(made, path="/admin/join/" + raw)


@router.delete(
    BASE + "/invitations/{invitation_id}", status_code=204, summary="Withdraw an invitation"
)
def invitation_revoke(
    request: Request,
    project_id: ProjectPath,
    invitation_id: IdPath,
    engine: AdminEngine,
    who: ApiOwner,
) -> Response:
    with refusals():
        people.withdraw(engine, who, project_id, invitation_id, request.app.state.clock.now())
    return Response(status_code=204)
