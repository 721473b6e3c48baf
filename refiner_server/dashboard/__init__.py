"""The owners' dashboard at `/admin`: server-rendered HTML, no JavaScript at all.

Pages are Jinja2 templates with autoescape (every value from the database is text), charts
are inline SVG (`charts.py`), the one stylesheet is served from this package. Every
response under `/admin` carries a CSP that forbids scripts outright, so even a markup bug
could not run anything. Reads and writes go through the admin helpers (`survey_store`,
`exports`, `reports`) on the admin engine, in the threadpool.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refiner_server.dashboard import session, views
from refiner_server.dashboard.latest import latest_responses
from refiner_server.projects import list_projects
from refiner_server.surveys import store as survey_store
from refiner_server.surveys.exports import attachment, responses_csv
from refiner_server.surveys.reports import BUCKETS, survey_summary
from refiner_server.tokens import verify_token
from refiner_server.webhooks.endpoints import disabled_endpoints

HERE = Path(__file__).parent
CSS = HERE / "admin.css"
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
#: statuses an owner can switch between here (launch and archive are the API's)
TOGGLE = {"live": "paused", "paused": "live"}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def survey_url(project_id: str, survey_id: str, tail: str = "") -> str:
    return f"/admin/projects/{quote(project_id, safe='')}/surveys/{quote(survey_id, safe='')}{tail}"


templates.globals.update(survey_url=survey_url, fmt=views.fmt, text=views.text)


class AdminHeaders:
    """The CSP and friends on every `/admin` response (pages, redirects, errors, CSV);
    pages are never cached, they hold answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != session.PATH and not path.startswith(session.PATH + "/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}  # e.g. nosniff set elsewhere
                headers += [h for h in HEADERS if h[0] not in present]
                if path != "/admin/admin.css":
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**context), status_code=status)


def to_login(request: Request) -> RedirectResponse:
    """Back to the sign-in form, remembering where the owner wanted to go."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse("/admin/login?" + urlencode({"next": target}), status_code=303)
    if session.COOKIE in request.cookies:
        session.sign_out(response)  # a revoked or unknown token
    return response


def refused() -> HTMLResponse:
    return page(
        "error.html",
        403,
        title="Refused",
        message="This request did not come from the dashboard itself, so nothing was changed.",
        token=None,
    )


async def form_fields(request: Request) -> dict[str, str]:
    """The first value of each field of an urlencoded form body."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def routes(engine: Engine) -> APIRouter:
    router = APIRouter(prefix=session.PATH, include_in_schema=False)

    @router.get("/admin.css")
    def stylesheet() -> Response:
        return Response(
            CSS.read_bytes(),
            media_type="text/css; charset=utf-8",
            headers={"cache-control": "no-cache"},
        )

    @router.get("/login")
    def login_form(request: Request, next: str | None = None) -> Response:
        if session.signed_in(engine, request) is not None:
            return RedirectResponse(session.safe_next(next), status_code=303)
        return page("login.html", title="Sign in", next=session.safe_next(next), token=None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        if not session.same_origin(request):
            return refused()
        fields = await form_fields(request)
        raw = fields.get("token", "").strip()
        target = session.safe_next(fields.get("next"))
        if await run_in_threadpool(verify_token, engine, raw) is None:
            error = "That token is not valid or has been revoked."
            return page("login.html", 401, title="Sign in", next=target, error=error, token=None)
        response = RedirectResponse(target, status_code=303)
        session.sign_in(request, response, raw)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        if not session.same_origin(request):
            return refused()
        response = RedirectResponse("/admin/login", status_code=303)
        session.sign_out(response)
        return response

    @router.get("")
    def index(request: Request) -> Response:
        token = session.signed_in(engine, request)
        if token is None:
            return to_login(request)
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
        request: Request,
        project_id: str,
        survey_id: str,
        bucket: str = "day",
        since: str | None = None,
        until: str | None = None,
        done: str | None = None,
    ) -> Response:
        token = session.signed_in(engine, request)
        if token is None:
            return to_login(request)
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
        done = done if done in TOGGLE else None
        notice = None if done is None else "Survey paused" if done == "paused" else "Survey resumed"
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
    async def change_status(request: Request, project_id: str, survey_id: str) -> Response:
        if not session.same_origin(request):
            return refused()
        token = await run_in_threadpool(session.signed_in, engine, request)
        if token is None:
            return to_login(request)
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
    def download(request: Request, project_id: str, survey_id: str) -> Response:
        token = session.signed_in(engine, request)
        if token is None:
            return to_login(request)
        try:
            survey_store.get_survey(engine, project_id, survey_id)
        except survey_store.NotFound as exc:
            return page("error.html", 404, title="Not found", message=str(exc), token=token)
        return StreamingResponse(
            responses_csv(engine, project_id, survey_id=survey_id),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": attachment(project_id, survey_id, "csv")},
        )

    return router


def install(app: FastAPI) -> None:
    """Mount the dashboard on the admin engine (`app.state.admin_engine`)."""
    app.include_router(routes(app.state.admin_engine))
    app.add_middleware(AdminHeaders)
