"""Request and answer bodies of the client API (docs/internals.md), with their limits.

Unknown fields are ignored (pydantic's default), so older servers accept newer clients.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

MAX_BODY_BYTES = 64 * 1024
MAX_TRAITS = 100
MAX_ANSWERS = 100
INT_LIMIT = 2147483647  # traits are 32-bit on the client (DESIGN.md §2)

ClientId = Annotated[
    str, StringConstraints(strict=True, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
"""An id made by the client: anonymous ids and the ids that make writes idempotent."""

ProjectId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
#: no NUL character in stored text: PostgreSQL's text refuses it, so SQLite must too
NO_NUL = r"^[^\x00]*$"
FormId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=NO_NUL)]
UserId = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=255, pattern=NO_NUL)
]
Short = Annotated[str, StringConstraints(strict=True, max_length=255, pattern=NO_NUL)]
Url = Annotated[str, StringConstraints(strict=True, max_length=2048, pattern=NO_NUL)]
Locale = Annotated[str, StringConstraints(strict=True, max_length=64, pattern=NO_NUL)]
Signature = Annotated[str, StringConstraints(strict=True, max_length=128, pattern=NO_NUL)]
TraitKey = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=255, pattern=NO_NUL)
]
EventName = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=255, pattern=NO_NUL)
]


def _utc(value: datetime) -> datetime:
    """Naive client times are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]


def parse_date(value: str) -> datetime:
    """ISO 8601 date or date-time (a trailing `Z` allowed) to aware UTC."""
    return _utc(datetime.fromisoformat(value.strip()))


def _check_trait(value: Any) -> Any:
    """Trait values are strings (<= 255), 32-bit integers or booleans; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -INT_LIMIT <= value <= INT_LIMIT:
            return value
        raise ValueError(f"integer out of range [-{INT_LIMIT}, {INT_LIMIT}]")
    if isinstance(value, str):
        if len(value) > 255:
            raise ValueError("string longer than 255 characters")
        if "\x00" in value:
            raise ValueError("string contains a NUL character")
        return value
    raise ValueError("must be a string, an integer or a boolean")


TraitValue = Annotated[Any, AfterValidator(_check_trait)]


def _check_trait_dates(traits: dict[str, Any]) -> dict[str, Any]:
    """A string on a key ending `_at` is a date and must parse (the client normalised it)."""
    if len(traits) > MAX_TRAITS:
        raise ValueError(f"at most {MAX_TRAITS} traits")
    for key, value in traits.items():
        if key.endswith("_at") and isinstance(value, str):
            try:
                parse_date(value)
            except ValueError:
                raise ValueError(f"{key}: not an ISO 8601 date") from None
    return traits


Traits = Annotated[dict[TraitKey, TraitValue], AfterValidator(_check_trait_dates)]


class Account(BaseModel):
    id: UserId
    name: Short | None = None
    traits: Traits = Field(default_factory=dict)


class User(BaseModel):
    id: UserId
    email: Short | None = None
    name: Short | None = None
    traits: Traits = Field(default_factory=dict)
    account: Account | None = None


class Page(BaseModel):
    url: Url | None = None
    title: Url | None = None
    referrer: Url | None = None


class Identified(BaseModel):
    """Who a request is about: an anonymous id, a user id, or both."""

    anonymous_id: ClientId | None = None
    signature: Signature | None = None

    def who(self) -> str | None:
        """The user id, if the request is identified."""
        return getattr(self, "user_id", None)

    @model_validator(mode="after")
    def _someone(self) -> Identified:
        if self.anonymous_id is None and self.who() is None:
            raise ValueError("anonymous_id or a user id is required")
        return self


class PingIn(Identified):
    user: User | None = None
    locale: Locale | None = None
    page: Page | None = None

    def who(self) -> str | None:
        return self.user.id if self.user is not None else None


class WriteIn(Identified):
    user_id: UserId | None = None


class EventIn(WriteIn):
    event_id: ClientId
    name: EventName
    occurred_at: Timestamp | None = None


class ViewIn(WriteIn):
    view_id: ClientId
    form_id: FormId
    shown_at: Timestamp | None = None


class DismissalIn(WriteIn):
    dismissal_id: ClientId
    form_id: FormId
    dismissed_at: Timestamp | None = None


def _at_most(n: int):
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > n:
            raise ValueError(f"at most {n} entries")
        return value

    return AfterValidator(check)


class ResponseIn(WriteIn):
    form_id: FormId
    answers: Annotated[dict[TraitKey, Any], _at_most(MAX_ANSWERS)] = Field(default_factory=dict)
    data: Annotated[dict[TraitKey, Any], _at_most(MAX_ANSWERS)] = Field(default_factory=dict)
    locale: Locale | None = None
    page_url: Url | None = None
    completed: StrictBool = False


class ContactOut(BaseModel):
    first_seen_at: str
    last_seen_at: str


class PingOut(BaseModel):
    forms: list[dict[str, Any]]
    ping_interval_s: int
    contact: ContactOut


class Accepted(BaseModel):
    id: str


class ResponseOut(BaseModel):
    id: str
    form_id: str
    completed: bool
    created_at: str
    updated_at: str
    completed_at: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail
