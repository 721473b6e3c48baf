"""The public client endpoints under `/api/v1/client/{project}` (docs/internals.md).

Async handlers that hand the sync store (`deps.Store`) to `ClientStore.call` (inline on
SQLite, the threadpool otherwise). `ping` answers pre-encoded JSON (`response_model` documents it).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from refiner_server.client.models import (
    Accepted,
    DismissalIn,
    ErrorOut,
    EventIn,
    PingIn,
    PingOut,
    ResponseIn,
    ResponseOut,
    TryoutIn,
    ViewIn,
    WriteIn,
)
from refiner_server.client.rules import ID_PATTERN, FormPath, ProjectPath
from refiner_server.deps import Store
from refiner_server.http.errors import ApiError
from refiner_server.tryouts import Refused, verify

log = logging.getLogger("refiner_server")
PREFIX = "/api/v1/client"
JSON = "application/json"

ResponsePath = Annotated[str, Path(min_length=8, max_length=64, pattern=ID_PATTERN)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": why}
    for code, why in {
        400: "invalid JSON",
        401: "signature required (identity verification)",
        403: "invalid signature",
        404: "unknown project (or form)",
        409: "conflict with the stored write",
        413: "body over the limit (64 KiB; ping 661 KiB, responses 347 KiB)",
        422: "invalid body",
    }.items()
}


def _log_dropped(project: str, what: str, dropped: list[str]) -> None:
    if dropped:
        log.warning("project %s, %s: %s", project, what, "; ".join(dropped)[:1000])


router = APIRouter(prefix=PREFIX, tags=["client"], responses=_ERRORS)


@router.post("/{project}/ping", response_model=PingOut)
async def ping(project: ProjectPath, body: PingIn, store: Store) -> Response:
    """Upsert the contact (user fields, traits, account) and list the live surveys. A
    trait that breaks the value rules is dropped (and logged), not the ping."""
    _log_dropped(project, "ping", body.dropped)
    return Response(await store.call(store.ping, project, body), media_type=JSON)


@router.post("/{project}/forms/{form_id}")
async def get_form(
    project: ProjectPath, form_id: FormPath, body: WriteIn, store: Store
) -> dict[str, Any]:
    """The client view of one live survey (for `showForm(id, true)`); 404 otherwise.
    A POST with the identity of a write: a verified project serves only signed users."""
    return await store.call(store.form, project, form_id, body)


@router.post("/{project}/tryout")
async def tryout(project: ProjectPath, body: TryoutIn, store: Store) -> dict[str, Any]:
    """The survey a try-out link names, whatever its status, marked `trial`: the client
    shows it and writes nothing (docs/dashboard.md). 403 `tryout_refused` says why not."""
    try:
        return await store.call(verify, store.engine, body.token, project, store.clock.now())
    except Refused as exc:
        raise ApiError(403, "tryout_refused", str(exc)) from exc


@router.post("/{project}/events", status_code=202, response_model=Accepted)
async def post_event(project: ProjectPath, body: EventIn, store: Store) -> dict[str, str]:
    """Record an event once per `event_id`."""
    await store.call(store.event, project, body)
    return {"id": body.event_id}


@router.post("/{project}/views", status_code=202, response_model=Accepted)
async def post_view(project: ProjectPath, body: ViewIn, store: Store) -> dict[str, str]:
    """Record that a survey was shown, once per `view_id`."""
    await store.call(store.view, project, body)
    return {"id": body.view_id}


@router.post("/{project}/dismissals", status_code=202, response_model=Accepted)
async def post_dismissal(project: ProjectPath, body: DismissalIn, store: Store) -> dict[str, str]:
    """Record a dismissal, once per `dismissal_id`."""
    await store.call(store.dismissal, project, body)
    return {"id": body.dismissal_id}


@router.put("/{project}/responses/{response_id}", response_model=ResponseOut)
async def put_response(
    project: ProjectPath, response_id: ResponsePath, body: ResponseIn, store: Store
) -> dict[str, Any]:
    """Create or update a response; `completed` is sticky and stamped once. A hidden
    field that breaks the value rules is dropped, noted in `dropped`, not the answers."""
    _log_dropped(project, "response " + response_id, body.dropped)
    stored = await store.call(store.response, project, response_id, body)
    return {**stored, "dropped": body.dropped}
