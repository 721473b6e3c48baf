"""The dashboard's routes under `/admin`: the surveys of the projects one belongs to, one
survey's page with its charts, latest answers and versions, launch/pause/resume/archive, and
its responses as CSV (the rest of a survey's life is `library`; sign-in and sign-out are
`team.signin`'s).

A page needs someone signed in (`deps.Owner`; without one the app redirects to the sign-in
form) with a role in its project (`team.access`: viewer to read, editor to pause); a form
that changes something comes from our own pages too. Reads and writes go through the admin
helpers (`survey_store`, `exports`, `reports`) on the admin engine, in the threadpool.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from refiner_server.dashboard import session, views
from refiner_server.dashboard.latest import latest_responses
from refiner_server.dashboard.pages import HERE, form_fields, page, parse_day, survey_url
from refiner_server.deps import AdminEngine, Owner
from refiner_server.projects import list_projects
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.exports import attachment, responses_csv
from refiner_server.surveys.reports import BUCKETS, survey_summary
from refiner_server.team.access import PageViewer, PostingEditor
from refiner_server.team.audit import recorded
from refiner_server.webhooks.endpoints import disabled_endpoints

CSS = HERE / "admin.css"
#: from each status, where an owner can take a survey here, and the button's verb
TRANSITIONS = {
    "draft": (("live", "Launch"), ("archived", "Archive")),
    "live": (("paused", "Pause"), ("archived", "Archive")),
    "paused": (("live", "Resume"), ("archived", "Archive")),
    "archived": (("paused", "Unarchive"),),
}
#: what the audit log calls each change
DONE = {
    "launch": "launched",
    "pause": "paused",
    "resume": "resumed",
    "archive": "archived",
    "unarchive": "unarchived",
}
#: what the page after a change says (`?done=`)
NOTICES = {
    "launch": "Survey launched",
    "pause": "Survey paused",
    "resume": "Survey resumed",
    "archive": "Survey archived",
    "unarchive": "Survey unarchived (paused)",
    "created": "Survey created as a draft",
    "duplicated": "Copy created as a draft",
    "restored": "Version restored as a new version",
    "saved": "Survey saved",
}

router = APIRouter(prefix=session.PATH, include_in_schema=False)


@router.get("/admin.css")
def stylesheet() -> Response:
    return Response(
        CSS.read_bytes(),
        media_type="text/css; charset=utf-8",
        headers={"cache-control": "no-cache"},
    )


@router.get("")
def index(token: Owner, engine: AdminEngine, deleted: str | None = None) -> Response:
    projects = [
        dict(
            p,
            role=token.role_in(p["id"]),
            surveys=survey_store.list_surveys(engine, p["id"]),
            webhooks_disabled=disabled_endpoints(engine, p["id"]),
        )
        for p in token.visible(list_projects(engine))
    ]
    notice = None if deleted is None else "Survey deleted: %s" % deleted
    title = "Surveys" if notice is None else "%s · Surveys" % notice
    return page("index.html", title=title, projects=projects, token=token, notice=notice)


@router.get("/projects/{project_id}/surveys/{survey_id}")
def survey_page(
    token: PageViewer,
    engine: AdminEngine,
    project_id: str,
    survey_id: str,
    bucket: str = "day",
    since: str | None = None,
    until: str | None = None,
    done: str | None = None,
) -> Response:
    bucket = bucket if bucket in BUCKETS else "day"
    first, last = parse_day(since), parse_day(until)
    start = datetime.combine(first, time(), UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), UTC) if last else None
    try:
        summary = survey_summary(
            engine, project_id, survey_id, since=start, until=end, bucket=bucket
        )
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    survey = survey_store.get_survey(engine, project_id, survey_id)
    definition = survey["definition"]
    titles = {q["id"]: q.get("title") or q["id"] for q in definition.get("questions") or []}
    series = summary["over_time"]
    notice = NOTICES.get(done or "")
    # A status message present at load is not announced; a page's title is, at once.
    return page(
        "survey.html",
        title=summary["name"] if notice is None else "%s: %s" % (notice, summary["name"]),
        token=token,
        project_id=project_id,
        summary=summary,
        definition=definition,
        version=survey["version"],
        closing=survey["closing"],
        overview=views.overview(summary),
        questions=[
            views.question(i, q, series, bucket) for i, q in enumerate(summary["questions"])
        ],
        latest=[
            dict(
                r,
                rows=views.answer_rows(r["answers"], titles),
                hidden=views.hidden_rows(r["data"]),
            )
            for r in latest_responses(engine, project_id, survey_id)
        ],
        role=token.role_in(project_id),
        transitions=(
            TRANSITIONS.get(summary["status"], ()) if token.may(project_id, "editor") else ()
        ),
        survey=survey,
        history=survey_store.version_history(engine, project_id, survey_id),
        period={"bucket": bucket, "since": first, "until": last},
        notice=notice,
    )


@router.post("/projects/{project_id}/surveys/{survey_id}/status")
async def change_status(
    request: Request, token: PostingEditor, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    status = (await form_fields(request)).get("status", "")
    try:
        current = await run_in_threadpool(survey_store.get_survey, engine, project_id, survey_id)
        verbs = dict(TRANSITIONS.get(current["status"], ()))
        if status not in verbs:
            message = "A %s survey can be made %s here." % (
                current["status"],
                " or ".join(verbs) or "nothing else",
            )
            return page("error.html", 422, title="Not changed", message=message, token=token)
        await run_in_threadpool(survey_store.set_status, engine, project_id, survey_id, status)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    verb = verbs[status].lower()
    await recorded(
        engine,
        project_id=project_id,
        actor=token,
        action="survey." + DONE[verb],
        subject="survey:" + survey_id,
    )
    target = survey_url(project_id, survey_id) + "?" + urlencode({"done": verb})
    return RedirectResponse(target, status_code=303)


@router.get("/projects/{project_id}/surveys/{survey_id}/responses.csv")
def download(token: PageViewer, engine: AdminEngine, project_id: str, survey_id: str) -> Response:
    try:
        survey_store.get_survey(engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    return StreamingResponse(
        responses_csv(engine, project_id, survey_id=survey_id),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": attachment(project_id, survey_id, "csv")},
    )
