"""Admin routes of surveys: create, read, update (a new version when the definition
changes), launch/pause/resume/archive, delete, versions and the summary."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Response

from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import SurveyListItem, SurveyOut, SurveyVersion
from refiner_server.client.models import ErrorOut
from refiner_server.client.rules import FormPath, ProjectPath, Timestamp
from refiner_server.deps import AdminEngine
from refiner_server.http.errors import ApiError
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.reports import survey_summary

BASE = "/projects/{project_id}/surveys"
#: the status each action leads to
ACTIONS = {"launch": "live", "resume": "live", "pause": "paused", "archive": "archived"}
Definition = Annotated[
    dict[str, Any],
    Body(description="a survey definition (DESIGN.md §4); faults answer 422 naming the path"),
]

router = APIRouter(tags=["admin: surveys"])


@router.get(BASE, response_model=list[SurveyListItem], summary="List surveys with counts")
def surveys_list(project_id: ProjectPath, engine: AdminEngine) -> list[dict[str, Any]]:
    with refusals():
        return survey_store.list_surveys(engine, project_id)


@router.post(BASE, response_model=SurveyOut, status_code=201, summary="Create a survey")
def survey_create(
    project_id: ProjectPath, definition: Definition, engine: AdminEngine
) -> dict[str, Any]:
    with refusals():
        return survey_store.create_survey(engine, project_id, definition)


@router.get(BASE + "/{survey_id}", response_model=SurveyOut, summary="Read a survey")
def survey_read(
    project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine
) -> dict[str, Any]:
    with refusals():
        return survey_store.get_survey(engine, project_id, survey_id)


@router.put(
    BASE + "/{survey_id}",
    response_model=SurveyOut,
    summary="Replace a survey's definition (a new version when it changed)",
    responses={412: {"model": ErrorOut, "description": "the survey is past base_version"}},
)
def survey_update(
    project_id: ProjectPath,
    survey_id: FormPath,
    definition: Definition,
    engine: AdminEngine,
    base_version: Annotated[
        int | None,
        Query(ge=1, description="the version this edit started from: 412 if it is no longer"),
    ] = None,
    if_match: Annotated[
        str | None,
        Header(description='the same as base_version, as an entity tag: "3" or W/"3"'),
    ] = None,
) -> dict[str, Any]:
    base = base_version if if_match is None else _version_tag(if_match)
    with refusals():
        return survey_store.update_survey(engine, project_id, survey_id, definition, base)


def _version_tag(value: str) -> int:
    """The version an `If-Match` names (`"3"`, `W/"3"` or `3`); 422 for anything else
    (`*` too: it would guard nothing a PUT to an existing survey does not already)."""
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise ApiError(422, "invalid_if_match", f"If-Match: {value!r} is not a survey version")
    return int(tag)


class StatusChange:
    """`POST .../launch` and its siblings: one route each, whose handler is bound to its
    status, never a `{action}` parameter, which would take `summary` and `versions` too (a
    POST there was a 422, not a 405)."""

    def __init__(self, status: str) -> None:
        self.status = status

    def handle(
        self, project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine
    ) -> dict[str, Any]:
        with refusals():
            return survey_store.set_status(engine, project_id, survey_id, self.status)


for _action, _status in ACTIONS.items():
    router.add_api_route(
        BASE + "/{survey_id}/" + _action,
        StatusChange(_status).handle,
        methods=["POST"],
        response_model=SurveyOut,
        summary=f"{_action.capitalize()} a survey (status {_status})",
        operation_id=f"survey_{_action}",
    )


@router.delete(
    BASE + "/{survey_id}",
    status_code=204,
    summary="Delete a survey with its versions, views, dismissals and responses",
)
def survey_delete(project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine) -> Response:
    with refusals():
        survey_store.delete_survey(engine, project_id, survey_id)
    return Response(status_code=204)


@router.get(
    BASE + "/{survey_id}/versions",
    response_model=list[SurveyVersion],
    summary="Every version of a survey, oldest first",
)
def survey_versions(
    project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine
) -> list[dict[str, Any]]:
    with refusals():
        return survey_store.list_versions(engine, project_id, survey_id)


@router.get(
    BASE + "/{survey_id}/summary",
    response_model=dict[str, Any],
    summary="NPS, rating and CSAT averages and distributions, choice counts, response "
    "rate, over time",
)
def survey_summary_read(
    project_id: ProjectPath,
    survey_id: FormPath,
    engine: AdminEngine,
    since: Annotated[Timestamp | None, Query(description="created at or after")] = None,
    until: Annotated[Timestamp | None, Query(description="created before")] = None,
    bucket: Literal["day", "week"] = "day",
) -> dict[str, Any]:
    with refusals():
        return survey_summary(
            engine,
            project_id,
            survey_id,
            since=since,
            until=until,
            bucket=bucket,
        )
