"""Admin route of one-time links: mint one for a person and a survey
(docs/channels.md#one-time-links)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from refiner_server.admin.refusals import refusals
from refiner_server.channels import links
from refiner_server.client.rules import FormPath, ProjectPath, UserId
from refiner_server.deps import AdminEngine
from refiner_server.http.errors import ApiError
from refiner_server.team.access import ApiEditor


class LinkIn(BaseModel):
    user_id: UserId = Field(description="the person's user id, as identifyUser names them")
    days: float = Field(
        links.DEFAULT_DAYS, gt=0, le=links.MAX_DAYS, description="days until the link expires"
    )


class LinkOut(BaseModel):
    token: str
    path: str = Field(description="the link page's path with the token; prefix your server")
    user_id: str
    expires_at: str


router = APIRouter(tags=["admin: surveys"])


@router.post(
    "/projects/{project_id}/surveys/{survey_id}/links",
    response_model=LinkOut,
    status_code=201,
    summary="Mint a one-time link for one person",
)
def link_create(
    project_id: ProjectPath,
    survey_id: FormPath,
    body: LinkIn,
    engine: AdminEngine,
    _who: ApiEditor,
) -> dict[str, Any]:
    """A signed link that files the answers under `user_id` and answers once; the survey's
    `channels.link` must not be `off`. An editor's: whoever may change the survey may ask
    people to answer it."""
    with refusals():
        try:
            return links.mint(engine, project_id, survey_id, body.user_id, body.days)
        except links.LinkOff as exc:
            raise ApiError(409, "link_off", str(exc)) from None
        except ValueError as exc:
            raise ApiError(422, "invalid_link", str(exc)) from None
