"""`/api/v1/server`: identify-user and track-event from the site's backend, as Refiner's
REST API offers them, with a server key of the project (`Authorization: Bearer`).

The same store calls as the client API (`ClientStore.identify`, `ClientStore.event`),
vouched by the key instead of a signature; not CORS-open (server to server).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from refiner_server.client.models import ClientId, ErrorOut, EventIn
from refiner_server.server_api.auth import BearerProject, Store
from refiner_server.server_api.identity import event_name, identify_body, validated, writer

PREFIX = "/api/v1/server"

router = APIRouter(
    prefix=PREFIX,
    tags=["server API"],
    responses={
        401: {"model": ErrorOut, "description": "missing, invalid or revoked server key"},
        409: {"model": ErrorOut, "description": "the event id belongs to another user"},
        422: {"model": ErrorOut, "description": "the call cannot run; the message says why"},
    },
)


class IdentifyUserIn(BaseModel):
    """`identifyUser`'s object: every other field is a trait, by the client's rules."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "id": "user-42",
                "email": "ada@example.com",
                "plan": "pro",
                "signed_up_at": "2026-03-01T12:00:00Z",
                "account": {"id": "acme", "name": "Acme", "seats": 12},
            }
        },
    )

    id: str | int | None = Field(
        None,
        description="the user id, required (a whole number becomes its digits); unlike "
        "Refiner's, an email alone does not name a contact here",
    )
    email: str | None = None
    name: str | None = None
    locale: str | None = Field(None, description="stored as the trait `locale`")
    account: dict[str, Any] | None = Field(
        None, description="`{id, name, ...traits}`: groups the user into one account"
    )


class Identified(BaseModel):
    id: str
    #: traits dropped by the rules, one note each (`trait plan dropped: ...`)
    dropped: list[str]


class TrackEventIn(BaseModel):
    id: str | int = Field(description="the user id")
    event: str = Field(description="the event name (1-255 characters)")
    event_id: ClientId | None = Field(
        None, description="makes the call idempotent: a retry with the same id stores nothing"
    )
    occurred_at: str | None = Field(
        None,
        description="RFC 3339 date-time with a time zone; default: when it arrives",
        json_schema_extra={"format": "date-time"},
    )


class Tracked(BaseModel):
    id: str = Field(description="the event id (made up when the call had none)")
    stored: bool = Field(description="false: an event of this id was stored before (a retry)")


@router.post("/identify-user", response_model=Identified, summary="Identify a user")
async def identify_user(body: IdentifyUserIn, project: BearerProject, store: Store) -> Any:
    """Create or update the contact of `id`: email, name, traits, account and its traits,
    as `identifyUser` would. A trait that breaks the rules is dropped and listed in
    `dropped`, the rest are stored. Sending the same call again changes nothing."""
    dropped: list[str] = []
    ping = identify_body(body.model_dump(exclude_unset=True), dropped)
    await store.call(store.identify, project, ping)
    return {"id": ping.user.id, "dropped": dropped}


@router.post("/track-event", status_code=202, response_model=Tracked, summary="Track an event")
async def track_event(body: TrackEventIn, project: BearerProject, store: Store) -> Any:
    """Record an event of the user `id` (created when new), once per `event_id`."""
    fields = {
        "event_id": body.event_id or secrets.token_hex(16),
        "name": event_name(body.event),
        "occurred_at": body.occurred_at,
    }
    event = validated(EventIn, {**writer(body.id, None), **fields})
    stored = await store.call(store.event, project, event, True)
    return {"id": event.event_id, "stored": stored}
