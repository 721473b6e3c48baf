"""Admin routes of surveys: create, read, update (a new version when the definition
changes), launch/pause/resume/archive, delete, versions and the summary. Reads need a
viewer, changes an editor, deletion (its answers go with it) an owner; every change goes to
the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from sqlalchemy.engine import Engine

from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import SurveyListItem, SurveyOut, SurveyVersion
from refiner_server.client.rules import FormPath, ProjectPath, Timestamp
from refiner_server.deps import AdminEngine
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.reports import survey_summary
from refiner_server.team.access import ApiEditor, ApiOwner, ApiViewer
from refiner_server.team.audit import record
from refiner_server.team.principal import Principal

BASE = "/projects/{project_id}/surveys"
#: the status each action leads to
ACTIONS = {"launch": "live", "resume": "live", "pause": "paused", "archive": "archived"}
DONE = {"launch": "launched", "resume": "resumed", "pause": "paused", "archive": "archived"}
Definition = Annotated[
    dict[str, Any],
    Body(description="a survey definition (DESIGN.md §4); faults answer 422 naming the path"),
]

router = APIRouter(tags=["admin: surveys"])


@router.get(BASE, response_model=list[SurveyListItem], summary="List surveys with counts")
def surveys_list(
    project_id: ProjectPath, engine: AdminEngine, _who: ApiViewer
) -> list[dict[str, Any]]:
    with refusals():
        return survey_store.list_surveys(engine, project_id)


@router.post(BASE, response_model=SurveyOut, status_code=201, summary="Create a survey")
def survey_create(
    project_id: ProjectPath, definition: Definition, engine: AdminEngine, who: ApiEditor
) -> dict[str, Any]:
    with refusals():
        made = survey_store.create_survey(engine, project_id, definition)
    _changed(engine, who, project_id, made, "survey.created")
    return made


@router.get(BASE + "/{survey_id}", response_model=SurveyOut, summary="Read a survey")
def survey_read(
    project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine, _who: ApiViewer
) -> dict[str, Any]:
    with refusals():
        return survey_store.get_survey(engine, project_id, survey_id)


@router.put(
    BASE + "/{survey_id}",
    response_model=SurveyOut,
    summary="Replace a survey's definition (a new version when it changed)",
)
def survey_update(
    project_id: ProjectPath,
    survey_id: FormPath,
    definition: Definition,
    engine: AdminEngine,
    who: ApiEditor,
) -> dict[str, Any]:
    with refusals():
        before = survey_store.get_survey(engine, project_id, survey_id)["version"]
        saved = survey_store.update_survey(engine, project_id, survey_id, definition)
    _changed(engine, who, project_id, saved, "survey.updated", previous_version=before)
    return saved


class StatusChange:
    """`POST .../launch` and its siblings: one route each, whose handler is bound to its
    status, never a `{action}` parameter, which would take `summary` and `versions` too (a
    POST there was a 422, not a 405)."""

    def __init__(self, action: str) -> None:
        self.status = ACTIONS[action]
        self.done = "survey." + DONE[action]

    def handle(
        self, project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine, who: ApiEditor
    ) -> dict[str, Any]:
        with refusals():
            changed = survey_store.set_status(engine, project_id, survey_id, self.status)
        _changed(engine, who, project_id, changed, self.done)
        return changed


for _action, _status in ACTIONS.items():
    router.add_api_route(
        BASE + "/{survey_id}/" + _action,
        StatusChange(_action).handle,
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
def survey_delete(
    project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine, who: ApiOwner
) -> Response:
    with refusals():
        survey_store.delete_survey(engine, project_id, survey_id)
    record(
        engine,
        project_id=project_id,
        actor=who,
        action="survey.deleted",
        subject="survey:" + survey_id,
    )
    return Response(status_code=204)


@router.get(
    BASE + "/{survey_id}/versions",
    response_model=list[SurveyVersion],
    summary="Every version of a survey, oldest first",
)
def survey_versions(
    project_id: ProjectPath, survey_id: FormPath, engine: AdminEngine, _who: ApiViewer
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
    _who: ApiViewer,
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


def _changed(
    engine: Engine,
    who: Principal,
    project_id: str,
    survey: dict[str, Any],
    action: str,
    **more: Any,
) -> None:
    """The audit row of a change that left `survey` (the store's answer) as it is."""
    detail = {"version": survey["version"], "status": survey["status"], **more}
    record(
        engine,
        project_id=project_id,
        actor=who,
        action=action,
        subject="survey:" + survey["id"],
        detail=detail,
    )
