"""The survey editor at `/admin/projects/{p}/surveys/{s}/edit`: a server-rendered form that
edits every part of a definition, saved with a POST, that works without script; the page's
Python (`editor_live.py`, on this project's MicroPython build) adds live checks, drag to
reorder, the warning before leaving with unsaved changes and the preview feed.

One POST route serves the form: its `_move` button (or the `_drag` a drag fills in) is an
edit of the draft's structure (`editor_moves`), shown again unsaved; `save` checks the
draft with the one validator and writes a new version only when it holds and the survey is
still at the version the page started from (`_base`); otherwise the page shows what the
other person saved beside the draft, and nothing is lost. `.../edit/check` answers the
faults of a draft by path and form field, with the draft itself for the preview.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from refiner_server.client.audience import DAYS_OPS, EVENT_OPS, TRAIT_OPS, VALUELESS_OPS
from refiner_server.dashboard import session
from refiner_server.dashboard.editor_checks import Fault, by_field, faults
from refiner_server.dashboard.editor_form import definition_of, fields_of
from refiner_server.dashboard.editor_moves import apply_move
from refiner_server.dashboard.pages import HERE, form_fields, page, survey_url
from refiner_server.deps import AdminEngine, Owner, StaticDir
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.fields import RULE_KINDS, SHAPES
from refiner_server.team.access import PageEditor, PostingEditor
from refiner_server.team.audit import recorded
from refiner_server.team.principal import Principal

#: the editor's page may run this project's MicroPython (WebAssembly) and frame the preview
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SCRIPT, LIVE = HERE / "editor.js", HERE / "editor_live.py"


def _values(shape: str, name: str) -> tuple[str, ...]:
    """The allowed values of a field of the validator's tables."""
    return next(f.values for f in SHAPES[shape].fields if f.name == name and f.values)


#: the words of each choice the form offers, from the validator's own vocabulary
VOCABULARY = {
    "types": _values("question", "type"),
    "logic_ops": _values("condition", "op"),
    "valueless_logic": ("answered", "skipped"),
    "trait_ops": TRAIT_OPS,
    "event_ops": EVENT_OPS,
    "valueless_ops": VALUELESS_OPS,
    "days_ops": DAYS_OPS,
    "rule_kinds": RULE_KINDS,
    "trigger_types": _values("trigger", "type"),
    "delay_from": _values("trigger", "from"),
    "page_matches": _values("page_rule", "match"),
    "page_parts": _values("page_rule", "on"),
    "positions": _values("appearance", "position"),
    "themes": _values("appearance", "theme"),
    "repeats": _values("frequency", "repeat"),
    "choice_types": ("single_choice", "multiple_choice"),
    "scale_types": ("nps", "rating", "csat", "emoji"),
}

router = APIRouter(prefix=session.PATH, include_in_schema=False)
EDIT = "/projects/{project_id}/surveys/{survey_id}/edit"


@router.get("/editor.js")
def editor_script() -> Response:
    return Response(
        SCRIPT.read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers={"cache-control": "no-cache"},
    )


@router.get("/editor_live.py")
def editor_code(_token: Owner) -> Response:
    return Response(
        LIVE.read_bytes(),
        media_type="text/x-python; charset=utf-8",
        headers={"cache-control": "no-cache"},
    )


@router.get(EDIT)
def edit_form(
    token: PageEditor, engine: AdminEngine, static_dir: StaticDir, project_id: str, survey_id: str
) -> Response:
    try:
        survey = survey_store.get_survey(engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    return _editor(token, static_dir, project_id, survey, survey["definition"], survey["version"])


@router.post(EDIT)
async def edit(
    request: Request,
    token: PostingEditor,
    engine: AdminEngine,
    static_dir: StaticDir,
    project_id: str,
    survey_id: str,
) -> Response:
    fields = await form_fields(request)
    try:
        survey = await run_in_threadpool(survey_store.get_survey, engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    base = int(fields["_base"]) if fields.get("_base", "").isdigit() else survey["version"]
    draft = _draft(fields, survey)
    move = fields.get("_drag") or fields.get("_move") or "save"
    if move != "save":
        if move == "add-translation":
            move += ":" + fields.get("_new_locale", "")
        draft = apply_move(draft, move)
        return _editor(token, static_dir, project_id, survey, draft, base, changed=True)
    found = faults(draft)
    if found:
        return _editor(token, static_dir, project_id, survey, draft, base, 422, found)
    try:
        await run_in_threadpool(
            survey_store.update_survey, engine, project_id, survey_id, draft, token.label, base
        )
    except survey_store.VersionConflict as exc:
        return _editor(
            token,
            static_dir,
            project_id,
            exc.current,
            draft,
            exc.current["version"],
            409,
            conflict=exc.current,
        )
    await recorded(
        engine,
        project_id=project_id,
        actor=token,
        action="survey.updated",
        subject="survey:" + survey_id,
        detail={"previous_version": base},
    )
    target = survey_url(project_id, survey_id) + "?" + urlencode({"done": "saved"})
    return RedirectResponse(target, status_code=303)


@router.post(EDIT + "/check")
async def check(
    request: Request, _token: PostingEditor, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    """The faults of the posted draft by path and field, and the draft (for the preview)."""
    fields = await form_fields(request)
    try:
        survey = await run_in_threadpool(survey_store.get_survey, engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return JSONResponse({"error": {"code": "not_found", "message": str(exc)}}, 404)
    draft = _draft(fields, survey)
    return JSONResponse(
        {"faults": [f._asdict() for f in faults(draft)], "definition": draft},
        headers={"cache-control": "no-store"},
    )


def _draft(fields: dict[str, str], survey: dict[str, Any]) -> dict[str, Any]:
    """The posted definition, with the survey's id, the status stored now, and the stored
    top-level keys the validator does not know (a `$schema`, a tool's notes), which the form
    does not show but a save must not drop."""
    known = SHAPES["survey"].names()
    kept = {k: v for k, v in survey["definition"].items() if k not in known}
    return {**kept, "id": survey["id"], "status": survey["status"], **definition_of(fields)}


def _editor(
    token: Principal,
    static_dir: Path | None,
    project_id: str,
    survey: dict[str, Any],
    draft: dict[str, Any],
    base: int,
    status: int = 200,
    found: list[Fault] | None = None,
    conflict: dict[str, Any] | None = None,
    changed: bool = False,
) -> Response:
    mine = fields_of(draft)
    differences = []
    if conflict is not None:
        theirs = fields_of(conflict["definition"])
        differences = [
            (name, theirs.get(name, ""), mine.get(name, ""))
            for name in dict.fromkeys([*theirs, *mine])
            if theirs.get(name, "") != mine.get(name, "")
        ]
    title = "Edit " + (draft.get("name") or survey["id"])
    if status == 422:
        title = "Not saved, %d to fix: %s" % (len(found or []), title)
    elif conflict is not None:
        title = "Not saved, changed by someone else: " + title
    response = page(
        "edit.html",
        status,
        title=title,
        token=token,
        project_id=project_id,
        survey=survey,
        d=draft,
        f=mine,
        errors=by_field(found or []),
        faults=found or [],
        base=base,
        conflict=conflict,
        differences=differences,
        changed=changed or status != 200,
        v=VOCABULARY,
        runtime=_runtime(static_dir),
        locales=list(draft.get("translations") or {}),
    )
    response.headers["content-security-policy"] = CSP
    return response


def _runtime(static_dir: Path | None) -> str | None:
    """This build's MicroPython module (None before `build.py` ran: the form works alone)."""
    if static_dir is None or not (static_dir / "manifest.json").is_file():
        return None
    manifest = json.loads((static_dir / "manifest.json").read_text("utf-8"))
    return manifest["base"] + manifest["micropython"]
