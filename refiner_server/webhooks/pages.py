"""Dashboard pages of webhooks: a project's endpoints (add one), and one endpoint with its
delivery log and its actions (test send, redeliver, enable, rotate the secret, delete).

Server-rendered like the rest of `/admin` (no script); every POST is checked to come from
our own pages (`session.same_origin`) and answers with a redirect to the page it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from refiner_server.dashboard import form_fields, page, refused, session, to_login
from refiner_server.db import iso
from refiner_server.projects import get_project
from refiner_server.surveys.store import NotFound
from refiner_server.webhooks import endpoints as store
from refiner_server.webhooks import slack
from refiner_server.webhooks.payloads import EVENTS

router = APIRouter(prefix=session.PATH + "/projects/{project_id}/webhooks", include_in_schema=False)

#: what `?done=` of a redirect announces
DONE = {
    "created": "Endpoint added",
    "test": "Test message queued",
    "redelivered": "Queued again",
    "enabled": "Endpoint enabled: what waited is being sent",
    "disabled": "Endpoint disabled: messages wait until it is enabled",
    "rotated": "New secret: the previous one signs too for 24 hours",
}


def hooks_url(project_id: str, tail: str = "") -> str:
    return f"{session.PATH}/projects/{quote(project_id, safe='')}/webhooks{tail}"


def endpoint_url(project_id: str, endpoint_id: str, tail: str = "") -> str:
    return hooks_url(project_id, "/" + quote(endpoint_id, safe="") + tail)


def _engine(request: Request) -> Engine:
    return request.app.state.admin_engine


@router.get("")
def endpoints_page(request: Request, project_id: str, done: str | None = None) -> Response:
    engine = _engine(request)
    token = session.signed_in(engine, request)
    if token is None:
        return to_login(request)
    try:
        project = get_project(engine, project_id)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    return _list(request, token, project, notice=DONE.get(done or ""))


def _list(
    request: Request,
    token: dict[str, Any],
    project: dict[str, Any],
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    name = project["name"] or project["id"]
    return page(
        "webhooks.html",
        status,
        title=("Not added: " if error else "") + f"Webhooks of {name}",
        token=token,
        project=project,
        endpoints=store.list_endpoints(_engine(request), project["id"]),
        events=EVENTS,
        slack_events=slack.EVENTS,
        hooks_url=hooks_url,
        endpoint_url=endpoint_url,
        error=error,
        form=form or {},
        notice=notice,
    )


@router.post("")
async def create(request: Request, project_id: str) -> Response:
    engine = _engine(request)
    if not session.same_origin(request):
        return refused()
    token = await run_in_threadpool(session.signed_in, engine, request)
    if token is None:
        return to_login(request)
    fields = await form_fields(request)
    body = parse_qs((await request.body()).decode("utf-8", "replace"))
    chosen = [e for e in EVENTS if e in body.get("event", [])]  # checkboxes: many values
    try:
        made = await run_in_threadpool(
            lambda: store.create_endpoint(
                engine,
                project_id,
                fields.get("url", "").strip(),
                chosen or None,
                fields.get("format", "standard"),
                fields.get("description", "").strip()[:255],
                allow_private=request.app.state.webhooks.allow_private,
            )
        )
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    except store.InvalidEndpoint as exc:
        project = await run_in_threadpool(get_project, engine, project_id)
        return _list(request, token, project, 422, error=str(exc), form=fields)
    return _redirect(endpoint_url(project_id, made["id"]), "created")


@router.get("/{endpoint_id}")
def endpoint_page(
    request: Request,
    project_id: str,
    endpoint_id: str,
    status: str | None = None,
    done: str | None = None,
) -> Response:
    engine = _engine(request)
    token = session.signed_in(engine, request)
    if token is None:
        return to_login(request)
    status = status if status in store.STATUSES else None
    try:
        endpoint = store.get_endpoint(engine, project_id, endpoint_id)
        log = store.deliveries(engine, project_id, endpoint_id, status, limit=100)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    notice = DONE.get(done or "")
    title = endpoint["description"] or endpoint["url"]
    return page(
        "webhook.html",
        title=f"{notice}: {title}" if notice else title,
        token=token,
        project_id=project_id,
        endpoint=endpoint,
        log=log,
        shown=status,
        statuses=store.STATUSES,
        notice=notice,
        hooks_url=hooks_url,
        endpoint_url=endpoint_url,
        iso=iso,
    )


def _action(path: str, act: Callable[..., Any], done: str) -> None:
    """A POST route that runs `act(engine, project_id, endpoint_id, fields)`, then shows the
    endpoint's page announcing `done`, or what `act` returns (the list after a delete)."""

    async def handler(request: Request, project_id: str, endpoint_id: str) -> Response:
        engine = _engine(request)
        if not session.same_origin(request):
            return refused()
        token = await run_in_threadpool(session.signed_in, engine, request)
        if token is None:
            return to_login(request)
        fields = await form_fields(request)
        try:
            outcome = await run_in_threadpool(act, engine, project_id, endpoint_id, fields)
        except (NotFound, ValueError) as exc:
            return page("error.html", 404, title="Not found", message=str(exc), token=token)
        if done == "deleted":
            return RedirectResponse(hooks_url(project_id), status_code=303)
        return _redirect(endpoint_url(project_id, endpoint_id), outcome or done)

    router.add_api_route("/{endpoint_id}" + path, handler, methods=["POST"])


def _redirect(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(url + "?" + urlencode({"done": done}), status_code=303)


def _test(engine: Engine, project_id: str, endpoint_id: str, _fields: dict[str, str]) -> None:
    store.send_test(engine, project_id, endpoint_id)


def _redeliver_failed(engine: Engine, project_id: str, endpoint_id: str, _f: dict) -> None:
    store.redeliver(engine, project_id, endpoint_id)


def _redeliver(engine: Engine, project_id: str, endpoint_id: str, fields: dict) -> None:
    store.redeliver(engine, project_id, endpoint_id, int(fields.get("delivery", "0")))


def _enabled(engine: Engine, project_id: str, endpoint_id: str, fields: dict) -> str:
    enable = fields.get("enabled") == "1"
    store.update_endpoint(engine, project_id, endpoint_id, enabled=enable)
    return "enabled" if enable else "disabled"


def _rotate(engine: Engine, project_id: str, endpoint_id: str, _fields: dict) -> None:
    store.rotate_secret(engine, project_id, endpoint_id)


def _delete(engine: Engine, project_id: str, endpoint_id: str, _fields: dict) -> None:
    store.delete_endpoint(engine, project_id, endpoint_id)


_action("/test", _test, "test")
_action("/redeliver-failed", _redeliver_failed, "redelivered")
_action("/redeliver", _redeliver, "redelivered")
_action("/enabled", _enabled, "enabled")
_action("/rotate", _rotate, "rotated")
_action("/delete", _delete, "deleted")
