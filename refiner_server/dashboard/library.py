"""The dashboard's pages for a survey's life: a new survey (blank or from a template, in a
language), duplicate, delete behind a confirmation that counts what goes with it, a
comparison of two versions, and restoring an old one. Launch, pause, resume and archive are
`routes.change_status`.

Every change is a form posted from our own pages by someone with the role it needs
(`team.access`: an editor, an owner to delete), made in their name (each version records
it, the audit log too), and answered with a redirect to the page that shows the result.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, not_found, page, survey_url
from refiner_server.deps import AdminEngine
from refiner_server.projects import get_project
from refiner_server.surveys import diff, templates
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.checks import DefinitionError
from refiner_server.team.access import (
    PageEditor,
    PageOwner,
    PageViewer,
    PostingEditor,
    PostingOwner,
)
from refiner_server.team.audit import recorded
from refiner_server.team.principal import Principal

#: the languages the client ships its own words in (refiner_web.strings), by name
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "ar": "العربية"}
BLANK = "blank"

router = APIRouter(prefix=session.PATH, include_in_schema=False)


def new_url(project_id: str) -> str:
    return f"/admin/projects/{quote(project_id, safe='')}/new-survey"


def done(project_id: str, survey_id: str, what: str) -> RedirectResponse:
    target = survey_url(project_id, survey_id) + "?" + urlencode({"done": what})
    return RedirectResponse(target, status_code=303)


async def audit(
    engine: Any, who: Principal, project_id: str, survey_id: str, action: str, **detail: Any
) -> None:
    """The audit row of a change made here."""
    await recorded(
        engine,
        project_id=project_id,
        actor=who,
        action=action,
        subject="survey:" + survey_id,
        detail=detail or None,
    )


@router.get("/projects/{project_id}/new-survey")
def new_survey_form(token: PageEditor, engine: AdminEngine, project_id: str) -> Response:
    try:
        project = get_project(engine, project_id)
    except LookupError as exc:
        return not_found(token, exc)
    return new_survey_page(token, project, {"template": "nps", "locale": "en"})


def new_survey_page(
    token: Principal,
    project: dict[str, Any],
    fields: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        "new_survey.html",
        status,
        title="New survey" if error is None else "Not created: New survey",
        token=token,
        project=project,
        action=new_url(project["id"]),
        templates=templates.catalogue(),
        languages=LANGUAGES,
        blank=BLANK,
        fields=fields,
        error=error,
    )


@router.post("/projects/{project_id}/new-survey")
async def new_survey(
    request: Request, token: PostingEditor, engine: AdminEngine, project_id: str
) -> Response:
    fields = await form_fields(request)
    template = fields.get("template", BLANK)
    locale = fields.get("locale", "en")
    name = fields.get("name", "").strip()
    survey_id = fields.get("id", "").strip() or None
    try:
        project = await run_in_threadpool(get_project, engine, project_id)
    except LookupError as exc:
        return not_found(token, exc)
    try:
        if template == BLANK:
            made = await run_in_threadpool(
                blank_survey, engine, project_id, survey_id, name, token.label
            )
        elif template in templates.ORDER and locale in LANGUAGES:
            made = await run_in_threadpool(
                survey_store.create_from_template,
                engine,
                project_id,
                template,
                locale,
                survey_id,
                name,
                token.label,
            )
        else:
            raise DefinitionError("template", "choose one of the templates and a language")
    except (DefinitionError, survey_store.Conflict) as exc:
        return new_survey_page(token, project, fields, str(exc), 422)
    await audit(engine, token, project_id, made["id"], "survey.created", template=template)
    return done(project_id, made["id"], "created")


def blank_survey(
    engine: Engine, project_id: str, survey_id: str | None, name: str, author: str
) -> dict[str, Any]:
    """A draft with no questions yet, for the editor to fill."""
    definition = {
        "id": survey_id or survey_store.free_id(engine, project_id, "survey"),
        "name": name or "Untitled survey",
        "status": "draft",
        "questions": [],
    }
    return survey_store.create_survey(engine, project_id, definition, author, "blank")


@router.post("/projects/{project_id}/surveys/{survey_id}/duplicate")
async def duplicate(
    token: PostingEditor, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    try:
        made = await run_in_threadpool(
            survey_store.duplicate_survey, engine, project_id, survey_id, None, token.label
        )
    except survey_store.NotFound as exc:
        return not_found(token, exc)
    await audit(engine, token, project_id, made["id"], "survey.duplicated", source=survey_id)
    return done(project_id, made["id"], "duplicated")


@router.get("/projects/{project_id}/surveys/{survey_id}/delete")
def delete_form(token: PageOwner, engine: AdminEngine, project_id: str, survey_id: str) -> Response:
    try:
        survey = survey_store.get_survey(engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return not_found(token, exc)
    return page(
        "delete.html",
        title="Delete %s?" % survey["name"],
        token=token,
        project_id=project_id,
        survey=survey,
        counts=survey_store.what_goes_with(engine, project_id, survey_id),
    )


@router.post("/projects/{project_id}/surveys/{survey_id}/delete")
async def delete(
    token: PostingOwner, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    try:
        survey = await run_in_threadpool(survey_store.get_survey, engine, project_id, survey_id)
        await run_in_threadpool(survey_store.delete_survey, engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return not_found(token, exc)
    await audit(engine, token, project_id, survey_id, "survey.deleted")
    return RedirectResponse("/admin?" + urlencode({"deleted": survey["name"]}), status_code=303)


@router.get("/projects/{project_id}/surveys/{survey_id}/versions/compare")
def compare(
    token: PageViewer,
    engine: AdminEngine,
    project_id: str,
    survey_id: str,
    a: int | None = None,
    b: int | None = None,
) -> Response:
    """What changed from version `a` to version `b` (defaults: the last two)."""
    try:
        survey = survey_store.get_survey(engine, project_id, survey_id)
        history = survey_store.version_history(engine, project_id, survey_id)
        newest = survey["version"]
        b = b if b is not None else newest
        a = a if a is not None else max(b - 1, 1)
        old = survey_store.get_version(engine, project_id, survey_id, a)
        new = survey_store.get_version(engine, project_id, survey_id, b)
    except survey_store.NotFound as exc:
        return not_found(token, exc)
    return page(
        "compare.html",
        title="Version %d against %d: %s" % (b, a, survey["name"]),
        token=token,
        project_id=project_id,
        survey=survey,
        history=history,
        a=old,
        b=new,
        changes=diff.changes(old["definition"], new["definition"]),
    )


@router.post("/projects/{project_id}/surveys/{survey_id}/versions/{version}/restore")
async def restore(
    token: PostingEditor, engine: AdminEngine, project_id: str, survey_id: str, version: int
) -> Response:
    try:
        await run_in_threadpool(
            survey_store.restore_version, engine, project_id, survey_id, version, token.label
        )
    except survey_store.NotFound as exc:
        return not_found(token, exc)
    await audit(engine, token, project_id, survey_id, "survey.restored", restored_version=version)
    return done(project_id, survey_id, "restored")
