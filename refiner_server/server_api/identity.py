"""The client's own rules (`refiner_web.commands`) applied to what a backend sends: an
identify is parsed exactly as `identifyUser` parses its object, and what the rules drop
is noted, not refused; ids of other forms mapped to the client API's."""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from refiner_server.client.models import PingIn
from refiner_server.client.rules import ID_PATTERN
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
    contact merges into the user's). The id was checked at the door (`models.Id`); a bad
    trait is dropped and noted in `dropped`."""
    user = commands.ping_user(commands.parse_identify([fields], dropped.append))
    return validated(PingIn, {"user": user, "anonymous_id": anonymous_id})


def validated(model: type[M], data: dict[str, Any]) -> M:
    """`data` as a client-API body; 422 with the client API's message otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", validation_message(exc.errors())) from None


def client_id(value: Any) -> str:
    """An id of the client API's form (8-64 of `[A-Za-z0-9_-]`) for a caller's id: itself
    when it has that form, else the hex SHA-256 of its text, so the same id always maps to
    the same one (a retry stays a retry)."""
    text = str(value)
    if MIN_ID <= len(text) <= MAX_ID and _CLIENT_ID.match(text):
        return text
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
