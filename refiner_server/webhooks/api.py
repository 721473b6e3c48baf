"""Admin API of webhooks under `/api/v1/admin/projects/{project_id}/webhooks` (bearer
token): endpoints, their secret, the delivery log, redelivery and test sends.

The engine and the server's webhook settings reach the handlers through `deps`
(`AdminEngine`, `WebhookConfig`); the token gate is `deps.admin_token`, as for the rest of
the admin API, and every route needs an owner of the project (`team.access.ApiOwner`:
endpoints hold secrets); changes go to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, StrictBool
from sqlalchemy.engine import Engine

from refiner_server.client.models import ErrorOut
from refiner_server.client.rules import INT_LIMIT, NO_NUL, ProjectPath
from refiner_server.db import iso
from refiner_server.deps import AdminEngine, WebhookConfig, admin_token
from refiner_server.http.errors import ApiError
from refiner_server.projects import get_project
from refiner_server.surveys.store import NotFound
from refiner_server.team.access import ApiOwner
from refiner_server.team.audit import record
from refiner_server.team.principal import Principal
from refiner_server.webhooks import endpoints as store
from refiner_server.webhooks.payloads import EVENTS

router = APIRouter(
    prefix="/api/v1/admin/projects/{project_id}/webhooks",
    tags=["admin: webhooks"],
    dependencies=[Depends(admin_token)],
    responses={
        401: {"model": ErrorOut, "description": "missing, invalid or revoked bearer token"},
        404: {"model": ErrorOut, "description": "unknown project, endpoint or delivery"},
        422: {"model": ErrorOut, "description": "invalid input; the message names the field"},
    },
)

Event = Literal["response.completed", "response.updated", "survey.dismissed", "contact.identified"]
assert set(Event.__args__) == set(EVENTS)  # one list of events
EndpointPath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
DeliveryPath = Annotated[int, Path(ge=1, le=INT_LIMIT)]
Url = Annotated[str, Field(min_length=1, max_length=2048, pattern=NO_NUL)]
Description = Annotated[str, Field(max_length=255, pattern=NO_NUL)]


class EndpointIn(BaseModel):
    url: Url = Field(
        examples=["https://hooks.example.com/refiner"],
        description="https, a public host (unless the server allows private targets)",
    )
    events: list[Event] | None = Field(
        default=None, min_length=1, description="default: every event the format takes"
    )
    format: Literal["standard", "slack"] = Field(
        default="standard",
        description="slack: a Slack incoming-webhook URL; it takes response.completed only",
    )
    description: Description = ""


class EndpointPatch(BaseModel):
    """Only the fields given change; `enabled: true` after a disable sends what waited."""

    url: Url | None = None
    events: list[Event] | None = Field(default=None, min_length=1)
    description: Description | None = None
    enabled: StrictBool | None = None


class EndpointOut(BaseModel):
    id: str
    project_id: str
    url: str
    format: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(description="why the server disabled it, if it did")
    disabled_at: str | None
    created_at: str
    updated_at: str
    pending: int = Field(description="messages waiting (in order)")
    delivered: int
    failed: int = Field(description="messages given up after 24 h of failures")


class SecretOut(BaseModel):
    secret: str = Field(description="`whsec_...`: verifies the `webhook-signature` header")
    previous_secret: str | None = Field(description="still signing too, until previous_until")
    previous_until: str | None


class CreatedOut(EndpointOut):
    secret: str = Field(description="shown here and at GET .../secret")


class DeliveryOut(BaseModel):
    id: int
    message_id: str = Field(description="the `webhook-id` header, the same on every attempt")
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: str
    next_attempt_at: str | None
    finished_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    response_excerpt: str | None = Field(description="the first 512 bytes of the answer")


class DeliveryBody(DeliveryOut):
    body: str = Field(description="the exact body sent")


class QueuedOut(BaseModel):
    queued: int


class TestOut(BaseModel):
    message_id: str


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except store.InvalidEndpoint as exc:
        raise ApiError(422, "invalid_webhook", str(exc)) from None


@router.get("", response_model=list[EndpointOut], summary="List webhook endpoints")
def endpoints_list(
    project_id: ProjectPath, engine: AdminEngine, _who: ApiOwner
) -> list[dict[str, Any]]:
    with refusals():
        get_project(engine, project_id)
        return [store.public(e) for e in store.list_endpoints(engine, project_id)]


@router.post(
    "", response_model=CreatedOut, status_code=201, summary="Add an endpoint (with a new secret)"
)
def endpoint_create(
    project_id: ProjectPath,
    body: EndpointIn,
    engine: AdminEngine,
    config: WebhookConfig,
    who: ApiOwner,
) -> dict[str, Any]:
    with refusals():
        made = store.create_endpoint(
            engine,
            project_id,
            body.url,
            body.events,
            body.format,
            body.description,
            allow_private=config.allow_private,
        )
    detail = {"url": made["url"], "events": made["events"], "format": made["format"]}
    _record(engine, who, project_id, made["id"], "webhook.created", detail)
    return dict(store.public(made), secret=made["secret"])


@router.get("/{endpoint_id}", response_model=EndpointOut, summary="Read an endpoint")
def endpoint_read(
    project_id: ProjectPath, endpoint_id: EndpointPath, engine: AdminEngine, _who: ApiOwner
) -> dict[str, Any]:
    with refusals():
        return store.public(store.get_endpoint(engine, project_id, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointOut, summary="Change or re-enable")
def endpoint_update(
    project_id: ProjectPath,
    endpoint_id: EndpointPath,
    body: EndpointPatch,
    engine: AdminEngine,
    config: WebhookConfig,
    who: ApiOwner,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    with refusals():
        changed = store.public(
            store.update_endpoint(
                engine, project_id, endpoint_id, allow_private=config.allow_private, **changes
            )
        )
    _record(engine, who, project_id, endpoint_id, "webhook.updated", changes)
    return changed


@router.delete("/{endpoint_id}", status_code=204, summary="Delete an endpoint and its log")
def endpoint_delete(
    project_id: ProjectPath, endpoint_id: EndpointPath, engine: AdminEngine, who: ApiOwner
) -> Response:
    with refusals():
        store.delete_endpoint(engine, project_id, endpoint_id)
    _record(engine, who, project_id, endpoint_id, "webhook.deleted")
    return Response(status_code=204)


@router.get("/{endpoint_id}/secret", response_model=SecretOut, summary="Read the secret")
def endpoint_secret(
    project_id: ProjectPath, endpoint_id: EndpointPath, engine: AdminEngine, _who: ApiOwner
) -> dict[str, Any]:
    with refusals():
        return _secret(store.get_endpoint(engine, project_id, endpoint_id))


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=SecretOut,
    summary="New secret; the previous one signs beside it for 24 h",
)
def endpoint_rotate(
    project_id: ProjectPath, endpoint_id: EndpointPath, engine: AdminEngine, who: ApiOwner
) -> dict[str, Any]:
    with refusals():
        rotated = _secret(store.rotate_secret(engine, project_id, endpoint_id))
    _record(engine, who, project_id, endpoint_id, "webhook.secret_rotated")
    return rotated


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="The delivery log, newest first",
)
def deliveries_list(
    project_id: ProjectPath,
    endpoint_id: EndpointPath,
    engine: AdminEngine,
    _who: ApiOwner,
    status: Literal["pending", "delivered", "failed"] | None = None,
    before: Annotated[
        int | None, Query(ge=1, le=INT_LIMIT, description="the last id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    with refusals():
        rows = store.deliveries(engine, project_id, endpoint_id, status, before, limit)
    return [_delivery(r) for r in rows]


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}",
    response_model=DeliveryBody,
    summary="One delivery, with its body",
)
def delivery_read(
    project_id: ProjectPath,
    endpoint_id: EndpointPath,
    delivery_id: DeliveryPath,
    engine: AdminEngine,
    _who: ApiOwner,
) -> dict[str, Any]:
    with refusals():
        return _delivery(store.delivery(engine, project_id, endpoint_id, delivery_id))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=QueuedOut,
    status_code=202,
    summary="Send a delivered or failed message again (same webhook-id)",
)
def delivery_redeliver(
    project_id: ProjectPath,
    endpoint_id: EndpointPath,
    delivery_id: DeliveryPath,
    engine: AdminEngine,
    _who: ApiOwner,
) -> dict[str, int]:
    with refusals():
        store.delivery(engine, project_id, endpoint_id, delivery_id)
        return {"queued": store.redeliver(engine, project_id, endpoint_id, delivery_id)}


@router.post(
    "/{endpoint_id}/redeliver-failed",
    response_model=QueuedOut,
    status_code=202,
    summary="Send every failed message again, in order",
)
def endpoint_redeliver_failed(
    project_id: ProjectPath, endpoint_id: EndpointPath, engine: AdminEngine, _who: ApiOwner
) -> dict[str, int]:
    with refusals():
        return {"queued": store.redeliver(engine, project_id, endpoint_id)}


@router.post(
    "/{endpoint_id}/test",
    response_model=TestOut,
    status_code=202,
    summary="Queue a `webhook.test` message",
)
def endpoint_test(
    project_id: ProjectPath, endpoint_id: EndpointPath, engine: AdminEngine, _who: ApiOwner
) -> dict[str, str]:
    with refusals():
        return {"message_id": store.send_test(engine, project_id, endpoint_id)}


def _record(
    engine: Engine,
    who: Principal,
    project_id: str,
    endpoint_id: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    record(
        engine,
        project_id=project_id,
        actor=who,
        action=action,
        subject="webhook:" + endpoint_id,
        detail=detail,
    )


def _secret(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {
        "secret": endpoint["secret"],
        "previous_secret": endpoint["previous_secret"],
        "previous_until": iso(endpoint["previous_until"]),
    }


def _delivery(row: dict[str, Any]) -> dict[str, Any]:
    times = ("created_at", "next_attempt_at", "finished_at", "last_attempt_at")
    out = dict(row, **{k: iso(row[k]) for k in times})
    if out["status"] != "pending":
        out["next_attempt_at"] = None
    return out
