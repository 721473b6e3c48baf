"""Request and answer bodies of the client API (docs/internals.md), with their limits.

Unknown fields are ignored (pydantic's default), so older servers accept newer clients.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypeAliasType

from refiner_web import answers as answer_rules
from refiner_web import values
from refiner_web.wire import CHAR_BYTES

#: JSON values in one client-API body, counted before it is parsed (`json_values`): the
#: parse costs per value, up to ~0.4 us for an empty list or a float, whatever the bytes.
#: The largest legitimate body holds ~10,600: a response to MAX_QUESTIONS multiple-choice
#: questions with every choice and "other" picked (~104 values each), 100 hidden fields
MAX_BODY_VALUES = 12000
#: body limits, from the value rules: what the client sends within them always fits (the
#: arithmetic is in docs/security.md). A character costs at most CHAR_BYTES (the client
#: sends UTF-8, refiner_web.wire), a value at most VALUE_BYTES more (quotes, a separator, a
#: bracket) and a number at most NUMBER_BYTES (`-1.2345678901234567e-308`). Events, views,
#: dismissals: ids and names of at most 255 characters, and a page's URL, title and
#: referrer (2,048 each) in a ping; MAX_BODY_BYTES covers them.
VALUE_BYTES, NUMBER_BYTES = 4, 24
MAX_BODY_BYTES = 64 * 1024
#: 2 x 100 traits (a user's, an account's), each a name and a value of 255 characters
MAX_PING_BYTES = 2 * values.MAX_TRAITS * 2 * values.MAX_NAME * CHAR_BYTES + MAX_BODY_BYTES
#: the answers (`MAX_ANSWER_CHARS`), the hidden fields (`MAX_FIELDS_TEXT`, numbers), and
#: the punctuation of every value the body may hold
MAX_RESPONSE_BYTES = (
    (answer_rules.MAX_ANSWER_CHARS + values.MAX_FIELDS_TEXT) * CHAR_BYTES
    + values.MAX_FIELDS * NUMBER_BYTES
    + MAX_BODY_VALUES * VALUE_BYTES
    + MAX_BODY_BYTES
)
#: what else takes a body (admin API, dashboard forms): survey definitions with translations
MAX_OTHER_BYTES = 4 * 1024 * 1024


def body_limit(path: str, client_prefix: str = "/api/v1/client/") -> int:
    """The body limit of a request to `path`."""
    if not path.startswith(client_prefix):
        return MAX_OTHER_BYTES
    endpoint = path[len(client_prefix) :].split("/", 2)[1:2]
    if endpoint == ["ping"]:
        return MAX_PING_BYTES
    if endpoint == ["responses"]:
        return MAX_RESPONSE_BYTES
    return MAX_BODY_BYTES


def json_values(body: bytes) -> int:
    """An upper bound of the JSON values (object keys included) in `body`, in linear
    C-speed passes that never count text: escaped backslashes and quotes go first, then
    every `"` delimits a string, and outside strings each value is the first, the first of
    a container, after a comma, or an object's value after a colon. A body of more strings
    than MAX_BODY_VALUES answers at once, before a split into as many pieces."""
    if body.find(b"\\") >= 0:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    strings = body.count(b'"') // 2
    if strings > MAX_BODY_VALUES:
        return strings
    outside = b"".join(body.split(b'"')[::2])
    return 1 + sum(outside.count(char) for char in (b",", b":", b"[", b"{"))


MAX_TRAITS = values.MAX_TRAITS
#: answers: a question's and its "other" text, for each question of a survey
MAX_ANSWERS = 2 * answer_rules.MAX_QUESTIONS
#: inside answers: nesting (today's values are scalars or a list of choice ids), entries
#: per list or object (every choice of a question, and "other")
MAX_DEPTH, MAX_ITEMS = 8, answer_rules.MAX_CHOICES + 1
INT_LIMIT = values.MAX_INT  # traits are 32-bit on the client (DESIGN.md §2)

#: project ids, and the ids a client makes (refiner_server.projects checks the same)
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
ClientId = Annotated[
    str, StringConstraints(strict=True, min_length=8, max_length=64, pattern=ID_PATTERN)
]
"""An id made by the client: anonymous ids and the ids that make writes idempotent."""

ProjectId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
#: no NUL character in stored text: PostgreSQL's text refuses it, so SQLite must too
NO_NUL = r"^[^\x00]*$"
#: ids in paths, client and admin API: whatever a request names, every database answers
#: the same (a NUL would be a PostgreSQL error, a 404 on SQLite)
ProjectPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
FormPath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
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
    """Naive client times are taken as UTC. An instant that leaves the calendar once in UTC
    (`0001-01-01T00:00:00+05:00`) is the calendar's nearest end, not a refusal."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


#: RFC 3339 `date-time`, what the schema says: a date, a time and a time zone
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def parse_timestamp(value: Any) -> datetime:
    """An RFC 3339 date-time (the client sends `2026-03-01T12:00:00Z`) to aware UTC; a
    number, a date alone or a time without a zone is refused, as the schema says."""
    if not isinstance(value, str) or RFC3339.fullmatch(value) is None:
        raise ValueError("must be an RFC 3339 date-time with a time zone (2026-03-01T12:00:00Z)")
    try:
        return _utc(datetime.fromisoformat(value.upper()))
    except ValueError:
        raise ValueError("not a date and time of the calendar") from None


Timestamp = Annotated[
    datetime,
    PlainValidator(parse_timestamp, json_schema_input_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""Times of the client API and the admin API's filters."""


def parse_date(value: str) -> datetime:
    """ISO 8601 date or date-time (a trailing `Z` allowed) to aware UTC."""
    return _utc(datetime.fromisoformat(value.strip()))


def _check_trait(value: Any) -> Any:
    """Trait values are strings (<= 255), 32-bit integers or booleans; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # `3.0` is JSON's integer 3, as the client reads it too
    if isinstance(value, int):
        if -INT_LIMIT <= value <= INT_LIMIT:
            return value
        raise ValueError(f"integer out of range [-{INT_LIMIT}, {INT_LIMIT}]")
    if isinstance(value, str):
        return values.check_text(value, values.MAX_NAME)
    raise ValueError("must be a string, an integer or a boolean")


def _check_text(value: str) -> None:
    """Text every database can store (refiner_web.values: no NUL, no lone surrogate)."""
    values.check_text(value, len(value))


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


#: what a dropped entry costs, in the JSON schema of the maps that drop rather than refuse
NOT_REFUSED = (
    "No text holds a NUL or a lone surrogate. Any other entry is dropped with a note, not "
    "the request that carries it: one bad entry costs itself (docs/security.md)."
)
Traits = Annotated[
    dict[TraitKey, TraitValue],
    AfterValidator(_check_trait_dates),
    WithJsonSchema(
        {
            "type": "object",
            "description": f"Traits by name. Kept: at most {MAX_TRAITS}, each a name of 1-"
            f"{values.MAX_NAME} characters and a string of at most {values.MAX_NAME} "
            f"characters, an integer of [-{INT_LIMIT}, {INT_LIMIT}] or a boolean; a string "
            "on a name ending `_at` is an ISO 8601 date. " + NOT_REFUSED + " Notes of a "
            "ping are logged.",
        }
    ),
]
"""Traits by name; a string on a key ending `_at` is an ISO 8601 date."""


def stored_trait(key: str, value: Any) -> Any:
    """One trait as stored, or ValueError with the rule it breaks (the client's rules)."""
    values.check_text(key, values.MAX_NAME)
    value = _check_trait(value)
    if key.endswith("_at") and isinstance(value, str):
        try:
            parse_date(value)
        except ValueError:
            raise ValueError("not an ISO 8601 date") from None
    return value


def _keep_storable(
    owner: Any, key: str, check: Any, most: int, noun: str, dropped: list[str]
) -> Any:
    """`owner` (a raw body object) with its `key` object cut to the entries `check` takes,
    at most `most`; one note per entry dropped. One bad trait or hidden field costs itself,
    never the request that carries it (the client's rules: refiner_web.values)."""
    if not isinstance(owner, dict) or not isinstance(owner.get(key), dict):
        return owner
    kept = values.keep_valid(list(owner[key].items()), check, most, noun, dropped.append)
    return {**owner, key: dict(kept)}


class Noted(BaseModel):
    """A body whose bad traits or hidden fields were dropped at the door, with a note each."""

    _dropped: list[str] = PrivateAttr(default_factory=list)

    @property
    def dropped(self) -> list[str]:
        """What was dropped, and why (`trait plan dropped: ...`)."""
        return self._dropped

    @classmethod
    def _clean(cls, data: Any, dropped: list[str]) -> Any:
        """The raw body with what is dropped taken out, noted in `dropped`."""
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _drop_bad(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        dropped: list[str] = []
        model = handler(cls._clean(data, dropped))
        model._dropped = dropped
        return model


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

    def account_of(self) -> str | None:
        """The account id the request names, which a signature covers with the user id."""
        return getattr(self, "account_id", None)

    @model_validator(mode="after")
    def _someone(self) -> Identified:
        if self.anonymous_id is None and self.who() is None:
            raise ValueError("anonymous_id or a user id is required")
        return self


def _someone(user_field: str) -> ConfigDict:
    """The JSON schema of `Identified._someone`: a non-null `anonymous_id` or user."""
    return ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("anonymous_id", user_field)
            ]
        }
    )


class PingIn(Identified, Noted):
    model_config = _someone("user")

    @classmethod
    def _clean(cls, data: Any, dropped: list[str]) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("user"), dict):
            return data
        user = _keep_storable(data["user"], "traits", stored_trait, MAX_TRAITS, "trait", dropped)
        account = _keep_storable(
            user.get("account"), "traits", stored_trait, MAX_TRAITS, "account trait", dropped
        )
        return {**data, "user": {**user, "account": account} if "account" in user else user}

    user: User | None = None
    locale: Locale | None = None
    page: Page | None = None

    def who(self) -> str | None:
        return self.user.id if self.user is not None else None

    def account_of(self) -> str | None:
        user = self.user
        return user.account.id if user is not None and user.account is not None else None


class WriteIn(Identified):
    model_config = _someone("user_id")

    user_id: UserId | None = None
    #: the user's account, sent only so that a signature covering it can be checked
    account_id: UserId | None = None


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


class KeyRules:
    """The JSON schema of a map whose keys have a pattern (`dict[Text, V]`): pydantic writes
    the pattern as `patternProperties`, which constrains the values of the keys it matches
    and admits every other key; the rule is the keys', so it goes to `propertyNames`.
    `most`: the entries a validator (not pydantic) limits."""

    def __init__(self, most: int | None = None) -> None:
        self.most = most

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = dict(handler(schema))
        ((pattern, each),) = out.pop("patternProperties").items()
        out["propertyNames"] = {**out.get("propertyNames", {}), "pattern": pattern}
        out["additionalProperties"] = each
        if self.most is not None:
            out["maxProperties"] = self.most
        return out


Text = Annotated[str, StringConstraints(strict=True, pattern=NO_NUL)]
#: Python's parser takes `NaN` and `Infinity`, which no JSON column can hold
Finite = Annotated[float, Field(allow_inf_nan=False)]
StoredJson = TypeAliasType(  # type: ignore[misc]
    "StoredJson",
    "Annotated[list[StoredJson], Field(max_length=MAX_ITEMS)]"
    " | Annotated[dict[Text, StoredJson], Field(max_length=MAX_ITEMS), KeyRules()]"
    " | Text | bool | int | Finite | None",
)
"""A JSON value every database stores as it came: text without NUL or lone surrogates,
finite numbers, at most `MAX_ITEMS` entries per list or object, `MAX_DEPTH` levels."""


def _check_json(value: Any, path: str = "", depth: int = 0) -> Any:
    """A `StoredJson` value, checked here rather than by a pydantic union, whose errors
    would name every member it tried: the error names where inside the value it is wrong
    (`... (at [2].label)`)."""
    try:
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("numbers must be finite")
            return value
        if isinstance(value, str):
            _check_text(value)
            return value
        if not isinstance(value, (list, dict)):
            raise ValueError("must be JSON")
        if depth >= MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if len(value) > MAX_ITEMS:
            raise ValueError(f"more than {MAX_ITEMS} entries")
    except ValueError as exc:
        raise ValueError(f"{exc} (at {path})" if path else str(exc)) from None
    if isinstance(value, list):
        if all(type(item) is str for item in value):
            joined = "".join(value)  # choice ids: one check of them all (joining mends no fault)
            if values.text_fault(joined, len(joined)) is None:
                return value
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]", depth + 1)
    else:
        for key, item in value.items():
            _check_json(key, f"{path}.{key}", depth + 1)
            _check_json(item, f"{path}.{key}", depth + 1)
    return value


def _at_most(n: int) -> AfterValidator:
    def check(value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > n:
            raise ValueError(f"at most {n} entries")
        return value

    return AfterValidator(check)


Fields = Annotated[
    dict[TraitKey, Annotated[Any, PlainValidator(_check_json, json_schema_input_type=StoredJson)]],
    _at_most(MAX_ANSWERS),
    KeyRules(MAX_ANSWERS),
]
"""Answers by question id."""

HiddenFields = Annotated[
    dict[TraitKey, Annotated[Any, PlainValidator(values.check_field_value)]],
    _at_most(values.MAX_FIELDS),
    WithJsonSchema(
        {
            "type": "object",
            "description": f"Hidden fields by name. Kept: at most {values.MAX_FIELDS}, each a "
            f"name of 1-{values.MAX_NAME} characters and null, a boolean, a finite number or "
            f"a string of at most {values.MAX_TEXT} characters; {values.MAX_FIELDS_TEXT} "
            "characters of names and strings in all. " + NOT_REFUSED + " The answer lists "
            "the notes in `dropped`.",
        }
    ),
]
"""Hidden fields (`addToResponse`) by name: scalars, strings of at most MAX_TEXT."""


class ResponseIn(WriteIn, Noted):
    form_id: FormId
    answers: Fields = Field(default_factory=dict)
    data: HiddenFields = Field(default_factory=dict)

    locale: Locale | None = None
    page_url: Url | None = None
    completed: StrictBool = False

    @classmethod
    def _clean(cls, data: Any, dropped: list[str]) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            return data
        return {
            **data,
            "data": dict(values.add_fields([], list(data["data"].items()), dropped.append)),
        }


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
    #: hidden fields dropped at the door, one note each (`field x dropped: <rule>`)
    dropped: list[str] = Field(default_factory=list)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail
