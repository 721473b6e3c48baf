"""The value rules of the client API as pydantic types: ids, times, traits, answers and
hidden fields (the client's own rules: `refiner_web.values`, `refiner_web.answers`). The
admin API takes its ids and times from here too."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypeAliasType

from refiner_web import answers as answer_rules
from refiner_web import values

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
#: a one-time link's token (refiner_server/channels/links.py, at most its MAX_TOKEN)
LinkToken = Annotated[str, StringConstraints(strict=True, max_length=1024, pattern=NO_NUL)]
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
