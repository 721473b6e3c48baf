"""The client's own rules (`refiner_web.commands`) applied to what a backend sends: an
identify is parsed exactly as `identifyUser` parses its object, an event name as
`trackEvent` does, and what the rules drop is noted, not refused."""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from refiner_server.client.models import ID_PATTERN, PingIn
from refiner_server.http.errors import ApiError, validation_message
from refiner_web import commands

M = TypeVar("M", bound=BaseModel)
_CLIENT_ID = re.compile(ID_PATTERN)
MIN_ID, MAX_ID = 8, 64


def identify_body(
    fields: dict[str, Any], dropped: list[str], anonymous_id: str | None = None
) -> PingIn:
    """The ping body that stores `fields` (`identifyUser`'s object: `id`, `email`, `name`,
    `locale`, `account`, and traits by name), from `anonymous_id` too when given (its
    contact merges into the user's). 422 when the call cannot run (no id, a bad id); a bad
    trait is dropped and noted in `dropped`."""
    if fields.get("id") in (None, ""):
        raise ApiError(422, "invalid_user", "id: required (contacts are kept by user id)")
    try:
        identity = commands.parse_identify([fields], dropped.append)
    except commands.CommandError as exc:
        raise ApiError(422, "invalid_user", str(exc)) from None
    account = identity["account"]
    user = {
        "id": identity["id"],
        "email": identity["email"],
        "name": identity["name"],
        "traits": dict(identity["traits"]),
        "account": None
        if account is None
        else {"id": account["id"], "name": account["name"], "traits": dict(account["traits"])},
    }
    return validated(PingIn, {"user": user, "anonymous_id": anonymous_id})


def validated(model: type[M], data: dict[str, Any]) -> M:
    """`data` as a client-API body; 422 with the client API's message otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", validation_message(exc.errors())) from None


def event_name(name: Any) -> str:
    """An event name by `trackEvent`'s rules; 422 otherwise."""
    try:
        return commands.parse_event_name([name], lambda _text: None)
    except commands.CommandError as exc:
        raise ApiError(422, "invalid_event", f"event: {exc}") from None


def client_id(value: Any) -> str:
    """An id of the client API's form (8-64 of `[A-Za-z0-9_-]`) for a caller's id: itself
    when it has that form, else the hex SHA-256 of its text, so the same id always maps to
    the same one (a retry stays a retry)."""
    text = str(value)
    if MIN_ID <= len(text) <= MAX_ID and _CLIENT_ID.match(text):
        return text
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def user_id(value: Any) -> str | None:
    """A user id as the client takes one (a whole number becomes its digits); None for
    none."""
    if value is None or value == "":
        return None
    try:
        return commands.identifier(value, "userId")
    except commands.CommandError as exc:
        raise ApiError(422, "invalid_user", str(exc)) from None


def writer(user: Any, anonymous_id: Any) -> dict[str, Any]:
    """`WriteIn` fields of a user id and an anonymous id as a backend sends them."""
    fields = {"user_id": user_id(user), "anonymous_id": None}
    if anonymous_id is not None and anonymous_id != "":
        fields["anonymous_id"] = client_id(anonymous_id)
    if fields["user_id"] is None and fields["anonymous_id"] is None:
        raise ApiError(422, "invalid_user", "a user id or an anonymous id is required")
    return fields
