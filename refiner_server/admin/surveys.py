"""Admin routes of surveys: the templates, create (blank or from a template), read, update
(a new version when the definition changes), launch/pause/resume/archive, duplicate,
delete, versions with their differences and restore, and the summary. Reads need a
viewer, changes an editor, deletion (its answers go with it) an owner; every change goes to
the audit log, and each version records who made it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import (
    SurveyChange,
    SurveyListItem,
    SurveyOut,
    SurveyVersion,
    TemplateOut,
)
from refiner_server.client.models import ErrorOut
from refiner_server.client.rules import INT_LIMIT, FormPath, ProjectPath, Timestamp
from refiner_server.deps import AdminEngine
from refiner_server.http.errors import ApiError
from refiner_server.surveys import diff, templates
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

VersionPath = Annotated[int, Path(ge=1, le=INT_LIMIT, description="a version number")]

router = APIRouter(tags=["admin: surveys"])


class FromTemplate(BaseModel):
    """A new draft from a template."""

    template: Literal[*templates.ORDER] = Field(description="a key of GET /templates")
    locale: str = Field(
        "en", max_length=35, description="its words' language; English when it has none in it"
    )
    id: str | None = Field(None, description="the survey's id (default: the first free one)")
    name: str | None = Field(None, max_length=255, description="default: the template's name")


class NewId(BaseModel):
    id: str | None = Field(None, description="the copy's id (default: <id>-copy, -copy-2, ...)")


@router.get("/templates", response_model=list[TemplateOut], summary="The survey templates")
def templates_list() -> list[dict[str, Any]]:
    return templates.catalogue()


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
        made = survey_store.create_survey(engine, project_id, definition, who.label)
    _changed(engine, who, project_id, made, "survey.created")
    return made


@router.post(
    # beside the surveys, not under them: `surveys/{survey_id}` would take it for a survey
    "/projects/{project_id}/from-template",
    response_model=SurveyOut,
    status_code=201,
    summary="Create a draft survey from a template, in a language",
)
def survey_from_template(
    project_id: ProjectPath, body: FromTemplate, engine: AdminEngine, who: ApiEditor
) -> dict[str, Any]:
    with refusals():
        made = survey_store.create_from_template(
            engine, project_id, body.template, body.locale, body.id, body.name, who.label
        )
    _changed(engine, who, project_id, made, "survey.created", template=body.template)
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
    responses={412: {"model": ErrorOut, "description": "the survey is past base_version"}},
)
def survey_update(
    project_id: ProjectPath,
    survey_id: FormPath,
    definition: Definition,
    engine: AdminEngine,
    who: ApiEditor,
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
        before = survey_store.get_survey(engine, project_id, survey_id)["version"]
        saved = survey_store.update_survey(
            engine, project_id, survey_id, definition, who.label, base
        )
    _changed(engine, who, project_id, saved, "survey.updated", previous_version=before)
    return saved


@router.post(
    BASE + "/{survey_id}/duplicate",
    response_model=SurveyOut,
    status_code=201,
    summary="Copy a survey as a new draft",
)
def survey_duplicate(
    project_id: ProjectPath,
    survey_id: FormPath,
    engine: AdminEngine,
    who: ApiEditor,
    body: Annotated[NewId | None, Body()] = None,
) -> dict[str, Any]:
    with refusals():
        made = survey_store.duplicate_survey(
            engine, project_id, survey_id, body.id if body else None, who.label
        )
    _changed(engine, who, project_id, made, "survey.duplicated", source=survey_id)
    return made


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
    BASE + "/{survey_id}/versions/{version}/changes",
    response_model=list[SurveyChange],
    summary="What changed from one version (`since`, default the one before) to another",
)
def survey_changes(
    project_id: ProjectPath,
    survey_id: FormPath,
    version: VersionPath,
    engine: AdminEngine,
    _who: ApiViewer,
    since: Annotated[int | None, Query(ge=1, le=INT_LIMIT, description="the older version")] = None,
) -> list[dict[str, Any]]:
    with refusals():
        new = survey_store.get_version(engine, project_id, survey_id, version)
        if since is None and version == 1:
            return []
        old = survey_store.get_version(
            engine, project_id, survey_id, version - 1 if since is None else since
        )
    return diff.changes(old["definition"], new["definition"])


@router.post(
    BASE + "/{survey_id}/versions/{version}/restore",
    response_model=SurveyOut,
    summary="Make an old version's content current again, as a new version",
)
def survey_restore(
    project_id: ProjectPath,
    survey_id: FormPath,
    version: VersionPath,
    engine: AdminEngine,
    who: ApiEditor,
) -> dict[str, Any]:
    with refusals():
        restored = survey_store.restore_version(engine, project_id, survey_id, version, who.label)
    _changed(engine, who, project_id, restored, "survey.restored", restored_version=version)
    return restored


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
