"""Dashboard pages of webhooks: a project's endpoints (add one), and one endpoint with its
delivery log and its actions (test send, redeliver, enable, rotate the secret, delete).

Server-rendered like the rest of `/admin` (no script): a page needs an owner of the project
signed in (`team.access.PageOwner`), every POST comes from our own pages too
(`PostingOwner`), answers with a redirect to the page it changed, and a change of an
endpoint goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, page
from refiner_server.db import iso
from refiner_server.deps import AdminEngine, WebhookConfig
from refiner_server.projects import get_project
from refiner_server.surveys.store import NotFound
from refiner_server.team.access import PageOwner, PostingOwner
from refiner_server.team.audit import recorded
from refiner_server.team.principal import Principal
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


@router.get("")
def endpoints_page(
    token: PageOwner, engine: AdminEngine, project_id: str, done: str | None = None
) -> Response:
    try:
        project = get_project(engine, project_id)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    return _list(engine, token, project, notice=DONE.get(done or ""))


def _list(
    engine: Engine,
    token: Principal,
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
        endpoints=store.list_endpoints(engine, project["id"]),
        events=EVENTS,
        slack_events=slack.EVENTS,
        hooks_url=hooks_url,
        endpoint_url=endpoint_url,
        error=error,
        form=form or {},
        notice=notice,
    )


@router.post("")
async def create(
    request: Request,
    token: PostingOwner,
    engine: AdminEngine,
    config: WebhookConfig,
    project_id: str,
) -> Response:
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
                allow_private=config.allow_private,
            )
        )
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    except store.InvalidEndpoint as exc:
        project = await run_in_threadpool(get_project, engine, project_id)
        return _list(engine, token, project, 422, error=str(exc), form=fields)
    await recorded(
        engine,
        project_id=project_id,
        actor=token,
        action="webhook.created",
        subject="webhook:" + made["id"],
        detail={"url": made["url"], "events": made["events"], "format": made["format"]},
    )
    return _redirect(endpoint_url(project_id, made["id"]), "created")


@router.get("/{endpoint_id}")
def endpoint_page(
    token: PageOwner,
    engine: AdminEngine,
    project_id: str,
    endpoint_id: str,
    status: str | None = None,
    done: str | None = None,
) -> Response:
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


async def _failed(
    token: Principal, act: Callable[..., Any], *args: Any, audit: str = "", **kw: Any
) -> Response | None:
    """Run `act(engine, project_id, endpoint_id, ...)` (`args`) in the threadpool; the 404
    page when it finds no such endpoint, else None, and the change in the audit log under
    the action `audit` when one is given."""
    try:
        await run_in_threadpool(act, *args, **kw)
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    if audit:
        engine, project_id, endpoint_id = args[:3]
        await recorded(
            engine,
            project_id=project_id,
            actor=token,
            action=audit,
            subject="webhook:" + endpoint_id,
            detail=kw,
        )
    return None


def _redirect(url: str, done: str) -> RedirectResponse:
    return RedirectResponse(url + "?" + urlencode({"done": done}), status_code=303)


@router.post("/{endpoint_id}/test")
async def test_send(
    token: PostingOwner, engine: AdminEngine, project_id: str, endpoint_id: str
) -> Response:
    failed = await _failed(token, store.send_test, engine, project_id, endpoint_id)
    return failed or _redirect(endpoint_url(project_id, endpoint_id), "test")


@router.post("/{endpoint_id}/redeliver-failed")
async def redeliver_failed(
    token: PostingOwner, engine: AdminEngine, project_id: str, endpoint_id: str
) -> Response:
    failed = await _failed(token, store.redeliver, engine, project_id, endpoint_id)
    return failed or _redirect(endpoint_url(project_id, endpoint_id), "redelivered")


@router.post("/{endpoint_id}/redeliver")
async def redeliver(
    request: Request, token: PostingOwner, engine: AdminEngine, project_id: str, endpoint_id: str
) -> Response:
    try:
        delivery = int((await form_fields(request)).get("delivery", ""))
    except ValueError:
        message = "The delivery to send again is a number."
        return page("error.html", 404, title="Not found", message=message, token=token)
    failed = await _failed(token, store.redeliver, engine, project_id, endpoint_id, delivery)
    return failed or _redirect(endpoint_url(project_id, endpoint_id), "redelivered")


@router.post("/{endpoint_id}/enabled")
async def enabled(
    request: Request, token: PostingOwner, engine: AdminEngine, project_id: str, endpoint_id: str
) -> Response:
    enable = (await form_fields(request)).get("enabled") == "1"
    act = store.update_endpoint
    failed = await _failed(
        token, act, engine, project_id, endpoint_id, audit="webhook.updated", enabled=enable
    )
    done = "enabled" if enable else "disabled"
    return failed or _redirect(endpoint_url(project_id, endpoint_id), done)


@router.post("/{endpoint_id}/rotate")
async def rotate(
    token: PostingOwner, engine: AdminEngine, project_id: str, endpoint_id: str
) -> Response:
    failed = await _failed(
        token, store.rotate_secret, engine, project_id, endpoint_id, audit="webhook.secret_rotated"
    )
    return failed or _redirect(endpoint_url(project_id, endpoint_id), "rotated")


@router.post("/{endpoint_id}/delete")
async def delete(
    token: PostingOwner, engine: AdminEngine, project_id: str, endpoint_id: str
) -> Response:
    failed = await _failed(
        token, store.delete_endpoint, engine, project_id, endpoint_id, audit="webhook.deleted"
    )
    return failed or RedirectResponse(hooks_url(project_id), status_code=303)
