"""`/api/segment/v1/...`: a source that speaks Segment's HTTP tracking API, so a site that
sends its data through Segment's or RudderStack's libraries (or a webhook destination)
can point them at this server (`host=https://SERVER/api/segment`).

The write key is a server key of the project, sent as the HTTP Basic user name, as the
libraries do. `identify` sets the user's traits, `group` puts the user into an account
with the group's traits, `track` records an event, `page` and `screen` mark the contact
seen; `batch` carries any of them, `webhook` takes one of any type. The rules are the
client's (`models`, `identity`): a trait that breaks them is dropped, and in a batch a
message that cannot be stored costs itself, not the batch; every drop is noted in the
answer's `dropped`. A `messageId` makes a track idempotent (the libraries retry); identify
and group store nothing new when repeated.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from refiner_server.client.limits import MAX_OTHER_BYTES
from refiner_server.client.models import ErrorOut, EventIn, WriteIn
from refiner_server.client.store import ClientStore
from refiner_server.deps import Store
from refiner_server.http.errors import ApiError, validation_message
from refiner_server.server_api.auth import WriteKeyProject
from refiner_server.server_api.identity import client_id, identify_body, validated
from refiner_server.server_api.models import (
    Accepted,
    AnyMessage,
    Batch,
    Group,
    Identify,
    Page,
    Track,
)

PREFIX = "/api/segment/v1"
MESSAGE: TypeAdapter[Identify | Group | Track | Page] = TypeAdapter(AnyMessage)


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
        409: {"model": ErrorOut, "description": "the messageId is an event of another user"},
    },
)


def _ids(message: Track | Page) -> dict[str, Any]:
    """`WriteIn` fields: the user id, and the anonymous id in the client API's form."""
    anonymous = message.anonymousId
    return {"user_id": message.userId, "anonymous_id": anonymous and client_id(anonymous)}


async def store_message(
    store: ClientStore, project: str, message: Identify | Group | Track | Page
) -> list[str]:
    """Store one message; the notes of what the client's rules dropped from it."""
    dropped: list[str] = []
    if isinstance(message, (Identify, Group)):
        anonymous = message.anonymousId and client_id(message.anonymousId)
        traits = message.traits or {}
        if isinstance(message, Identify):
            context = (message.context or {}).get("traits")
            fields = {**(context if isinstance(context, dict) else {}), **traits}
        else:
            fields = {"account": {**traits, "id": message.groupId}}
        fields["id"] = message.userId
        await store.call(store.identify, project, identify_body(fields, dropped, anonymous))
    elif isinstance(message, Track):
        occurred = message.timestamp and message.timestamp.isoformat()
        event = {
            "event_id": client_id(message.messageId or secrets.token_hex(16)),
            "name": message.event,
            "occurred_at": occurred,
        }
        await store.call(store.event, project, validated(EventIn, {**_ids(message), **event}), True)
    else:
        await store.call(store.seen, project, validated(WriteIn, _ids(message)))
    return dropped


async def _answer(store: ClientStore, project: str, message: Any) -> dict[str, Any]:
    return {"success": True, "dropped": await store_message(store, project, message)}


@router.post("/identify", response_model=Accepted, summary="Segment identify")
async def identify(body: Identify, project: WriteKeyProject, store: Store) -> Any:
    """The user's traits (and `email`, `name`), by the client's rules."""
    return await _answer(store, project, body)


@router.post("/group", response_model=Accepted, summary="Segment group")
async def group(body: Group, project: WriteKeyProject, store: Store) -> Any:
    """The user's account `groupId`, with the group's traits."""
    return await _answer(store, project, body)


@router.post("/track", response_model=Accepted, summary="Segment track")
async def track(body: Track, project: WriteKeyProject, store: Store) -> Any:
    """An event, once per `messageId`; `properties` are not stored."""
    return await _answer(store, project, body)


@router.post("/page", response_model=Accepted, summary="Segment page")
@router.post("/screen", response_model=Accepted, summary="Segment screen")
async def page(body: Page, project: WriteKeyProject, store: Store) -> Any:
    """The contact was seen now; nothing else is stored."""
    return await _answer(store, project, body)


@router.post("/webhook", response_model=Accepted, summary="One message of any type")
async def webhook(body: AnyMessage, project: WriteKeyProject, store: Store) -> Any:
    """One message stored as its `type` says: the URL of a webhook destination (Segment's
    Webhooks, RudderStack's Webhook), which sends every type to one place."""
    return await _answer(store, project, body)


@router.post("/batch", response_model=Accepted, summary="Segment batch")
async def batch(body: Batch, project: WriteKeyProject, store: Store) -> Any:
    """Messages of any type, each stored by its own rules; one that cannot be stored is
    noted in `dropped` and the others go on (a 4xx would make the library drop them all)."""
    dropped: list[str] = []
    for i, item in enumerate(body.batch):
        where = f"batch[{i}] {str(item.get('type'))[:20]}"
        try:
            notes = await store_message(store, project, MESSAGE.validate_python(item))
        except ValidationError as exc:
            dropped.append(f"{where}: {validation_message(exc.errors())}")
        except ApiError as exc:
            dropped.append(f"{where}: {exc.message}")
        else:
            dropped += [f"{where}: {note}" for note in notes]
    return {"success": True, "dropped": dropped}
