"""The dashboard's routes under `/admin`: sign in and out, the surveys, one survey's page
with its charts and latest answers, pause/resume, and its responses as CSV.

A page needs a signed-in owner (`deps.Owner`; without one the app redirects to the sign-in
form), a form that changes something comes from our own pages too (`deps.PostingOwner`).
Reads and writes go through the admin helpers (`survey_store`, `exports`, `reports`) on the
admin engine, in the threadpool.
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
from refiner_server.deps import AdminEngine, OptionalOwner, Owner, PostingOwner, SameSite
from refiner_server.projects import list_projects
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.exports import attachment, responses_csv
from refiner_server.surveys.reports import BUCKETS, survey_summary
from refiner_server.tokens import verify_token
from refiner_server.webhooks.endpoints import disabled_endpoints

CSS = HERE / "admin.css"
#: statuses an owner can switch between here (launch and archive are the API's)
TOGGLE = {"live": "paused", "paused": "live"}

router = APIRouter(prefix=session.PATH, include_in_schema=False)


@router.get("/admin.css")
def stylesheet() -> Response:
    return Response(
        CSS.read_bytes(),
        media_type="text/css; charset=utf-8",
        headers={"cache-control": "no-cache"},
    )


@router.get("/login")
def login_form(token: OptionalOwner, next: str | None = None) -> Response:
    if token is not None:
        return RedirectResponse(session.safe_next(next), status_code=303)
    return page("login.html", title="Sign in", next=session.safe_next(next), token=None)


@router.post("/login", dependencies=[SameSite])
async def login(request: Request, engine: AdminEngine) -> Response:
    fields = await form_fields(request)
    raw = fields.get("token", "").strip()
    target = session.safe_next(fields.get("next"))
    if await run_in_threadpool(verify_token, engine, raw) is None:
        error = "That token is not valid or has been revoked."
        return page("login.html", 401, title="Sign in", next=target, error=error, token=None)
    response = RedirectResponse(target, status_code=303)
    session.sign_in(request, response, raw)
    return response


@router.post("/logout", dependencies=[SameSite])
async def logout() -> Response:
    response = RedirectResponse("/admin/login", status_code=303)
    session.sign_out(response)
    return response


@router.get("")
def index(token: Owner, engine: AdminEngine) -> Response:
    projects = [
        dict(
            p,
            surveys=survey_store.list_surveys(engine, p["id"]),
            webhooks_disabled=disabled_endpoints(engine, p["id"]),
        )
        for p in list_projects(engine)
    ]
    return page("index.html", title="Surveys", projects=projects, token=token)


@router.get("/projects/{project_id}/surveys/{survey_id}")
def survey_page(
    token: Owner,
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
    notice = {"paused": "Survey paused", "live": "Survey resumed", "saved": "Survey saved"}.get(
        done or ""
    )
    # A status message present at load is not announced; a page's title is, at once.
    return page(
        "survey.html",
        title=summary["name"] if notice is None else "%s: %s" % (notice, summary["name"]),
        token=token,
        project_id=project_id,
        summary=summary,
        definition=definition,
        version=survey["version"],
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
        toggle=TOGGLE.get(summary["status"]),
        period={"bucket": bucket, "since": first, "until": last},
        notice=notice,
    )


@router.post("/projects/{project_id}/surveys/{survey_id}/status")
async def change_status(
    request: Request, token: PostingOwner, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    status = (await form_fields(request)).get("status", "")
    if status not in TOGGLE:
        message = "Only live and paused can be chosen here."
        return page("error.html", 422, title="Not changed", message=message, token=token)
    try:
        await run_in_threadpool(survey_store.set_status, engine, project_id, survey_id, status)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    target = survey_url(project_id, survey_id) + "?" + urlencode({"done": status})
    return RedirectResponse(target, status_code=303)


@router.get("/projects/{project_id}/surveys/{survey_id}/responses.csv")
def download(token: Owner, engine: AdminEngine, project_id: str, survey_id: str) -> Response:
    try:
        survey_store.get_survey(engine, project_id, survey_id)
    except survey_store.NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    return StreamingResponse(
        responses_csv(engine, project_id, survey_id=survey_id),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": attachment(project_id, survey_id, "csv")},
    )
