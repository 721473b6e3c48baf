"""`/api/v1/server`: identify-user and track-event from the site's backend, as Refiner's
REST API offers them, with a server key of the project (`Authorization: Bearer`).

The same store calls as the client API (`ClientStore.identify`, `ClientStore.event`),
vouched by the key instead of a signature; not CORS-open (server to server).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from refiner_server.client.models import ErrorOut, EventIn
from refiner_server.deps import Store
from refiner_server.server_api.auth import BearerProject
from refiner_server.server_api.identity import identify_body, validated
from refiner_server.server_api.models import IdentifyUserIn, TrackEventIn

PREFIX = "/api/v1/server"

router = APIRouter(
    prefix=PREFIX,
    tags=["server API"],
    responses={
        401: {"model": ErrorOut, "description": "missing, invalid or revoked server key"},
        409: {"model": ErrorOut, "description": "the event id belongs to another user"},
    },
)


class Identified(BaseModel):
    id: str
    #: traits dropped by the rules, one note each (`trait plan dropped: ...`)
    dropped: list[str]


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
    return {"id": body.id, "dropped": dropped}


@router.post("/track-event", status_code=202, response_model=Tracked, summary="Track an event")
async def track_event(body: TrackEventIn, project: BearerProject, store: Store) -> Any:
    """Record an event of the user `id` (created when new), once per `event_id`."""
    event = {
        "user_id": body.id,
        "event_id": body.event_id or secrets.token_hex(16),
        "name": body.event,
        "occurred_at": body.occurred_at and body.occurred_at.isoformat(),
    }
    stored = await store.call(store.event, project, validated(EventIn, event), True)
    return {"id": event["event_id"], "stored": stored}
