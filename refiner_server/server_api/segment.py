"""`/api/segment/v1/...`: a source that speaks Segment's HTTP tracking API, so a site that
sends its data through Segment's or RudderStack's libraries (or a webhook destination)
can point them at this server (`host=https://SERVER/api/segment`).

The write key is a server key of the project, sent as the HTTP Basic user name, as the
libraries do. `identify` sets the user's traits, `group` puts the user into an account
with the group's traits, `track` records an event, `page` and `screen` mark the contact
seen; `batch` carries any of them, `webhook` takes one of any type. The rules are the
client's (`identity`): a trait that breaks them is dropped, and in a batch a message that
cannot be stored costs itself, not the batch; every drop is noted in the answer's
`dropped`. A `messageId` makes a track idempotent (the libraries retry); identify and
group store nothing new when repeated.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from refiner_server.client.models import MAX_OTHER_BYTES, ErrorOut, EventIn, WriteIn
from refiner_server.client.store import ClientStore
from refiner_server.http.errors import ApiError, validation_message
from refiner_server.server_api.auth import Store, WriteKeyProject
from refiner_server.server_api.identity import (
    client_id,
    event_name,
    identify_body,
    validated,
    writer,
)

PREFIX = "/api/segment/v1"
#: Segment's own limit of a batch is 500 KB; the libraries send at most that
MAX_BATCH = 2500
SEEN = ("page", "screen")
TYPES = ("identify", "track", "group", *SEEN)


class GzipRequest(Request):
    """A request whose body may come gzipped (`Content-Encoding: gzip`, as RudderStack's
    libraries and Segment's with `gzip=True` send it), inflated to at most
    `MAX_OTHER_BYTES`. Refusals are HTTPExceptions: FastAPI turns any other error of
    reading the body into a bare 400."""

    async def body(self) -> bytes:
        if not hasattr(self, "_inflated"):
            raw = await super().body()
            if self.headers.get("content-encoding", "").strip().lower() == "gzip":
                inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                try:
                    raw = inflate.decompress(raw, MAX_OTHER_BYTES)
                except zlib.error:
                    raise HTTPException(400, "body: not gzip data") from None
                if inflate.unconsumed_tail or not inflate.eof:
                    raise HTTPException(413, f"body: over {MAX_OTHER_BYTES} bytes inflated")
            self._inflated = raw
        return self._inflated


class GzipRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def inflating(request: Request) -> Response:
            return await handler(GzipRequest(request.scope, request.receive))

        return inflating


router = APIRouter(
    prefix=PREFIX,
    tags=["Segment source"],
    route_class=GzipRoute,
    responses={
        401: {"model": ErrorOut, "description": "missing, invalid or revoked write key"},
        422: {
            "model": ErrorOut,
            "description": "the message cannot be stored; the message says why",
        },
    },
)


class Message(BaseModel):
    """One call of Segment's tracking API; the fields not named here are ignored."""

    model_config = ConfigDict(extra="allow")

    type: str | None = Field(None, description="in a batch: identify, track, group, page, screen")
    userId: str | int | None = None  # noqa: N815 (Segment's names)
    anonymousId: str | int | None = None  # noqa: N815
    messageId: str | None = Field(None, description="a track's event id: a retry stores nothing")  # noqa: N815
    timestamp: str | None = Field(None, json_schema_extra={"format": "date-time"})
    traits: dict[str, Any] | None = Field(
        None, description="identify: the user's; group: the account's"
    )
    context: dict[str, Any] | None = Field(
        None, description="`context.traits` count as identify traits"
    )
    event: str | None = Field(None, description="track: the event name")
    groupId: str | int | None = Field(None, description="group: the account id")  # noqa: N815
    name: str | None = None


class Batch(BaseModel):
    model_config = ConfigDict(extra="allow")

    batch: Annotated[list[dict[str, Any]], Field(max_length=MAX_BATCH)] = Field(
        description="messages, each as `Message` with its `type`"
    )


class Accepted(BaseModel):
    success: bool
    #: what was left out, one note each (`batch[2] track: event: ...`, `trait x dropped: ...`)
    dropped: list[str]


async def store_message(store: ClientStore, project: str, kind: str, message: Message) -> list[str]:
    """Store one message as `kind`; the notes of what its rules dropped. ApiError when
    the message cannot be stored at all."""
    dropped: list[str] = []
    anonymous_id = None if message.anonymousId in (None, "") else client_id(message.anonymousId)
    if kind in ("identify", "group"):
        if message.userId in (None, ""):
            raise ApiError(422, "invalid_user", f"{kind}: a userId is required")
        traits = message.traits or {}
        if kind == "identify":
            context_traits = (message.context or {}).get("traits")
            fields = {**(context_traits if isinstance(context_traits, dict) else {}), **traits}
        else:
            if message.groupId in (None, ""):
                raise ApiError(422, "invalid_account", "group: a groupId is required")
            fields = {"account": {**traits, "id": message.groupId}}
        fields["id"] = message.userId
        ping = identify_body(fields, dropped, anonymous_id)
        await store.call(store.identify, project, ping)
    elif kind == "track":
        event = validated(
            EventIn,
            {
                **writer(message.userId, message.anonymousId),
                "event_id": client_id(message.messageId or secrets.token_hex(16)),
                "name": event_name(message.event),
                "occurred_at": message.timestamp,
            },
        )
        await store.call(store.event, project, event, True)
    elif kind in SEEN:
        await store.call(
            store.seen, project, validated(WriteIn, writer(message.userId, message.anonymousId))
        )
    else:
        raise ApiError(422, "unsupported_type", f"type {kind!r}: one of {', '.join(TYPES)}")
    return dropped


def _typed(kind: str) -> Callable[..., Coroutine[Any, Any, dict[str, Any]]]:
    async def one(body: Message, project: WriteKeyProject, store: Store) -> dict[str, Any]:
        return {"success": True, "dropped": await store_message(store, project, kind, body)}

    one.__name__ = f"segment_{kind}"
    one.__doc__ = f"Segment's `{kind}` call."
    return one


for _kind in TYPES:
    router.add_api_route(
        f"/{_kind}",
        _typed(_kind),
        methods=["POST"],
        response_model=Accepted,
        summary=f"Segment {_kind}",
    )


@router.post("/webhook", response_model=Accepted, summary="One message of any type")
async def segment_webhook(body: Message, project: WriteKeyProject, store: Store) -> dict[str, Any]:
    """One message stored as its `type` says: the URL of a webhook destination (Segment's
    Webhooks, RudderStack's Webhook), which sends every type to one place."""
    return {"success": True, "dropped": await store_message(store, project, body.type or "", body)}


@router.post("/batch", response_model=Accepted, summary="Segment batch")
async def segment_batch(body: Batch, project: WriteKeyProject, store: Store) -> dict[str, Any]:
    """Messages of any type, each stored by its own rules; one that cannot be stored is
    noted in `dropped` and the others go on (a 4xx would make the library drop them all)."""
    dropped: list[str] = []
    for i, item in enumerate(body.batch):
        where = f"batch[{i}] {str(item.get('type'))[:20]}"
        try:
            message = Message.model_validate(item)
            notes = await store_message(store, project, message.type or "", message)
        except ValidationError as exc:
            dropped.append(f"{where}: {validation_message(exc.errors())}")
        except ApiError as exc:
            dropped.append(f"{where}: {exc.message}")
        else:
            dropped += [f"{where}: {note}" for note in notes]
    return {"success": True, "dropped": dropped}
