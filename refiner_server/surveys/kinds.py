"""The vocabulary of the survey tables (`survey_fields`): a `Field` of a `Shape`, the
conditions under which it applies (`Is`, `Has`, `Not`), and its kind, which is at once a
check (the validator's fault, or None) and a JSON Schema (`KINDS`, the one place a kind's
meaning lives)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refiner_server.client.rules import parse_date
from refiner_web import appearance, channels, definition
from refiner_web.answers import is_day
from refiner_web.triggers import regex_fault

#: what MicroPython's `re` cannot compile: counted repetition, named groups, lookarounds
_MICROPYTHON_REGEX = re.compile(r"\{|\(\?[^:]")


class Is:
    """Holds when the object's `field` is one of `values`."""

    def __init__(self, field: str, *values: str) -> None:
        self.field, self.values = field, values

    def holds(self, obj: dict[str, Any]) -> bool:
        return obj.get(self.field) in self.values

    def schema(self) -> dict[str, Any]:
        return {"properties": {self.field: {"enum": list(self.values)}}, "required": [self.field]}


class Has:
    """Holds when the object has the key (even with null)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def holds(self, obj: dict[str, Any]) -> bool:
        return self.key in obj

    def schema(self) -> dict[str, Any]:
        return {"required": [self.key]}


class Not:
    def __init__(self, condition: Is | Has) -> None:
        self.condition = condition

    def holds(self, obj: dict[str, Any]) -> bool:
        return not self.condition.holds(obj)

    def schema(self) -> dict[str, Any]:
        return {"not": self.condition.schema()}


class Either:
    """Holds when any of `conditions` does."""

    def __init__(self, *conditions: Is | Has) -> None:
        self.conditions = conditions

    def holds(self, obj: dict[str, Any]) -> bool:
        return any(c.holds(obj) for c in self.conditions)

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [c.schema() for c in self.conditions]}


Condition = Is | Has | Not | Either
Bound = float | Callable[[dict[str, Any]], int] | None


@dataclass(frozen=True)
class Field:
    """One field of an object. A name may have several entries with different `when`s
    (a rating's `style` and a csat's); the first carries the description and default."""

    name: str
    kind: str  # a key of KINDS, or "object", "list", "map" of the shape `of`
    doc: str = ""
    default: Any = None
    required: bool | Condition = False
    when: Condition | None = None  # the field is checked (and known) only when this holds
    low: Bound = None  # numbers: the value; strings and lists: the length
    high: Bound = None  # a callable bound reads the object (the schema cannot say it)
    values: tuple[str, ...] = ()  # kind "enum"
    of: str | None = None  # the shape of an object, of a list's items, of a map's values
    chars: frozenset[str] | None = None  # kind "string": the characters allowed
    message: str | None = None  # the fault, instead of the kind's ({value!r} is the value)
    missing: str | None = None  # the fault when required and absent (keys: the object's)
    null_ok: bool = True  # null means the default; False: a present null is a fault
    falsy_ok: bool = False  # any false value (0, "", [], {}) means the default
    filled: bool = False  # the validator stores the default when the field is missing

    def is_required(self, obj: dict[str, Any]) -> bool:
        return self.required if isinstance(self.required, bool) else self.required.holds(obj)


@dataclass(frozen=True)
class Shape:
    """An object: its fields in the documented order, and the rules that tie its keys."""

    fields: tuple[Field, ...]
    closed: bool = False  # keys other than the fields' are faults
    one_of: tuple[str, ...] = ()  # exactly one of these keys is present
    not_together: tuple[str, ...] = ()  # these flags are not all true

    def names(self) -> list[str]:
        return list(dict.fromkeys(f.name for f in self.fields))

    def always_required(self) -> list[str]:
        """Names required whatever the rest holds: an entry without `when`, or two that
        cover a condition and its negation (an audience rule's `op`)."""
        out = []
        for name in self.names():
            entries = [f for f in self.fields if f.name == name]
            if not all(f.required is True and not f.filled for f in entries):
                continue
            whens = [f.when for f in entries]
            if None in whens or any(isinstance(w, Not) and w.condition in whens for w in whens):
                out.append(name)
        return out


# -- kinds: what a value of each is, as a check (the fault, or None) and as a schema ------


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _bound(bound: Bound, obj: dict[str, Any]) -> Any:
    return bound(obj) if callable(bound) else bound


def _string(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    """A plain string, or with `low` (an id) one of that many characters (from `chars`)."""
    if f.low is None:
        return None if isinstance(value, str) else "must be a string"
    if isinstance(value, str) and f.low <= len(value) <= f.high:
        if f.chars is None or set(value) <= f.chars:
            return None
    return f"a string of {f.low}-{f.high} characters is required"


def _text(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


def _flag(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _number(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    if not _is_number(value):
        return "must be a number"
    if value < f.low or (f.high is not None and value > f.high):
        return f"must be between {f.low} and {f.high}" if f.high else f"must be >= {f.low}"
    return None


def _integer(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    low, high = _bound(f.low, obj), _bound(f.high, obj)
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= low and (high is None or value <= high):
            return None
    return (
        f"must be an integer from {low} to {high}"
        if high is not None
        else f"must be an integer >= {low}"
    )


def _enum(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    return None if value in f.values else f"must be one of {', '.join(f.values)}"


def _scalar(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    bad = isinstance(value, (dict, list)) or value is None
    return "must be a string, a number or a boolean" if bad else None


def _words(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    """A non-empty list of non-empty strings, each one of `values` when the field has them."""
    if isinstance(value, list) and value and all(isinstance(w, str) and w for w in value):
        if not f.values or all(w in f.values for w in value):
            return None
    if f.values:
        return f"must be a non-empty list of {', '.join(f.values)}"
    return "must be a non-empty list of non-empty strings"


def _words_schema(f: Field) -> dict[str, Any]:
    item = {"enum": list(f.values)} if f.values else {"type": "string", "minLength": 1}
    return {"type": "array", "minItems": 1, "items": item}


def _any(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    return None


def _url(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    return None if definition.safe_url(value) is not None else "must be an http(s) URL"


def _colour(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    """What the client's own cleaning keeps (otherwise it would fall back to its default)."""
    default = appearance.DEFAULT_ACCENT
    if isinstance(value, str) and (
        appearance.accent_colour(value) != default or value.lower() == default
    ):
        return None
    return "must be a colour #rgb or #rrggbb"


def _date(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    try:
        parse_date(value)
    except (TypeError, ValueError, AttributeError):
        return "must be an ISO 8601 date or date-time"
    return None


def _day(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    return None if is_day(value) else "must be a date YYYY-MM-DD"


def _regex(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    """A regex both clients can run: the dialect of `refiner_web.triggers`."""
    try:
        re.compile(value)
    except re.error as exc:
        return f"invalid regex ({exc})"
    fault = regex_fault(value)
    if fault is not None:
        return fault
    if _MICROPYTHON_REGEX.search(re.sub(r"\\.", "", value)):
        return "the MicroPython client cannot run {m,n}, named groups or lookarounds"
    return None


def _names(f: Field, value: Any, obj: dict[str, Any]) -> str | None:
    """Hidden-field names: a list of distinct names a link's query string can carry."""
    if (
        isinstance(value, list)
        and len(value) <= channels.MAX_HIDDEN_FIELDS
        and all(channels.is_field_name(name) for name in value)
        and len(set(value)) == len(value)
    ):
        return None
    return (
        f"must be a list of at most {channels.MAX_HIDDEN_FIELDS} distinct names of "
        f"1-{channels.MAX_FIELD_NAME} characters from [A-Za-z0-9_.-]"
    )


def _names_schema(f: Field) -> dict[str, Any]:
    most = channels.MAX_FIELD_NAME
    return {
        "type": "array",
        "maxItems": channels.MAX_HIDDEN_FIELDS,
        "uniqueItems": True,
        "items": {"type": "string", "pattern": f"^[A-Za-z0-9_.-]{{1,{most}}}$"},
    }


def _string_schema(f: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if f.chars is not None:
        chars = "".join(sorted(f.chars - {"-"})) + ("-" if "-" in f.chars else "")
        return {**schema, "pattern": f"^[{chars}]{{{f.low or 0},{f.high}}}$"}
    if f.low:
        schema["minLength"] = f.low
    if f.high is not None:
        schema["maxLength"] = f.high
    return schema


def _range_schema(kind: str, f: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind, "minimum": f.low}
    if f.high is not None and not callable(f.high):
        schema["maximum"] = f.high
    return schema


#: kind -> (check, schema): the one place a kind's meaning lives
KINDS: dict[str, tuple[Callable[[Field, Any, dict], str | None], Callable[[Field], dict]]] = {
    "string": (_string, _string_schema),
    "text": (_text, lambda f: {"type": "string", "minLength": 1}),
    "flag": (_flag, lambda f: {"type": "boolean"}),
    "number": (_number, lambda f: _range_schema("number", f)),
    "integer": (_integer, lambda f: _range_schema("integer", f)),
    "enum": (_enum, lambda f: {"enum": list(f.values)}),
    "scalar": (_scalar, lambda f: {"type": ["string", "number", "boolean"]}),
    "any": (_any, lambda f: {}),
    "words": (_words, _words_schema),
    # the schema says what it can; the check is the validator's
    "url": (_url, lambda f: {"type": "string"}),
    "colour": (
        _colour,
        lambda f: {"type": "string", "pattern": "^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"},
    ),
    "date": (_date, lambda f: {"type": "string"}),
    "day": (_day, lambda f: {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
    "regex": (_regex, lambda f: {"type": "string", "minLength": 1}),
    "names": (_names, _names_schema),
}


def fault(field: Field, value: Any, obj: dict[str, Any]) -> str | None:
    """What is wrong with `value` as `field` of `obj` (a leaf kind), in the validator's words."""
    found = KINDS[field.kind][0](field, value, obj)
    if found is None:
        return None
    return field.message.format(value=value) if field.message else found
