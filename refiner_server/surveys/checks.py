"""The one validator of survey definitions (docs/surveys.md): the admin API, `survey import`
and the dashboard all call `check_definition`, so the ping and the client can trust what is
stored.

It walks the field tables of `survey_fields` (the same tables the JSON Schema is generated
from), then checks what no table can say: unique ids, references between questions, jumps
that go forward, `min` against `max`, dates in order.

Faults raise `DefinitionError("<path>: <what is wrong>")`, e.g.
`audience.rules[1].op: must be one of eq, neq, ...` or `questions[2].type: must be one of ...`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from refiner_server.client.rules import parse_date
from refiner_server.surveys.fields import CHOICE_TYPES, SHAPES
from refiner_server.surveys.kinds import Field, fault
from refiner_web.answers import MAX_ANSWER_CHARS, OTHER, answer_chars
from refiner_web.definition import clean_questions


class DefinitionError(ValueError):
    """A fault in a survey definition at `path` (`questions[1].choices`); str() is
    `"<path>: <message>"`, what the API's 422 and the CLI print."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def check_definition(definition: Any) -> dict[str, Any]:
    """Check every part of a definition; returns it with `status` defaulted to draft."""
    survey = _object("survey", definition)
    walk("", survey, "survey")
    ids = _questions(survey["questions"])
    by_id = {q["id"]: q for q in survey["questions"]}
    if (chars := answer_chars(clean_questions(survey["questions"]))) > MAX_ANSWER_CHARS:
        why = f"answers hold at most {MAX_ANSWER_CHARS} characters in all, these {chars}"
        raise _fail("questions", why + " (lower the text questions' max_length)")
    for i, rule in enumerate(survey.get("logic") or []):
        _jump(f"logic[{i}]", rule, ids)
        _row(f"logic[{i}].if.row", rule["if"], by_id[rule["if"]["question"]])
    for locale, entry in (survey.get("translations") or {}).items():
        for qid in entry.get("questions") or {}:
            if qid not in ids:
                raise _fail(
                    f"translations.{locale}.questions.{qid}", f"no question with id {qid!r}"
                )
    schedule = survey.get("schedule") or {}
    if schedule.get("start_at") is not None and schedule.get("end_at") is not None:
        if parse_date(schedule["start_at"]) >= parse_date(schedule["end_at"]):
            raise _fail("schedule.end_at", "must be after start_at")
    return survey


def walk(path: str, obj: dict[str, Any], shape_name: str) -> None:
    """Check `obj` against the table of its shape, and what it holds, depth first."""
    shape = SHAPES[shape_name]
    if shape.closed:
        names = shape.names()
        for key in obj:
            if key not in names:
                raise _fail(_at(path, key), f"must be one of {', '.join(names)}")
    if shape.one_of and len([key for key in shape.one_of if key in obj]) != 1:
        raise _fail(path, f"needs exactly one of {', '.join(shape.one_of)}")
    for field in shape.fields:
        if field.when is None or field.when.holds(obj):
            _field(_at(path, field.name), field, obj)
    if shape.not_together and all(obj.get(key) for key in shape.not_together):
        raise _fail(path, f"{' and '.join(shape.not_together)} exclude each other")


def fault_at(survey: Any, where: list[str | int]) -> str | None:
    """The validator's fault at `where` (keys and indexes from the top), checking only the
    field there (or the object, when `where` ends at one): how `survey import` words each
    place the schema refuses. None when the validator finds nothing there."""
    rest, path, shape = list(where), "", "survey"
    try:
        obj = _object("survey", survey)
        while rest:
            key = rest.pop(0)
            fields = [
                f
                for f in SHAPES[shape].fields
                if f.name == key and (f.when is None or f.when.holds(obj))
            ]
            if not fields:
                break
            if not rest or fields[0].of is None:
                for field in fields:
                    _field(_at(path, str(key)), field, obj)
                return None
            path, shape, value = _at(path, str(key)), fields[0].of, obj[key]
            if fields[0].kind != "object":
                index = rest.pop(0)
                path += f"[{index}]" if isinstance(index, int) else f".{index}"
                value = value[index]
            obj = _object(path, value)
        walk(path, obj, shape)
    except DefinitionError as exc:
        return str(exc)
    return None


def _field(path: str, field: Field, obj: dict[str, Any]) -> None:
    if field.filled and field.name not in obj:
        obj[field.name] = field.default
    value = obj.get(field.name)
    if not field.is_required(obj) and (
        field.name not in obj or (value is None and field.null_ok) or (field.falsy_ok and not value)
    ):
        return
    if value is None and field.missing:
        raise _fail(path, field.missing.format_map(defaultdict(lambda: None, obj)))
    if field.kind == "object":
        walk(path, _object(path, value), field.of)
    elif field.kind == "map":
        for key, item in _object(path, value).items():
            item = _object(f"{path}.{key}", item)
            if field.of:
                walk(f"{path}.{key}", item, field.of)
    elif field.kind == "list":
        low, high = field.low or 0, field.high
        if not isinstance(value, list) or len(value) < low or len(value) > (high or len(value)):
            raise _fail(path, _list_fault(low, high))
        for i, item in enumerate(value):
            walk(f"{path}[{i}]", _object(f"{path}[{i}]", item), field.of)
    else:
        problem = fault(field, value, obj)
        if problem is not None:
            raise _fail(path, problem)


def _list_fault(low: int, high: int | None) -> str:
    if high is not None:
        return f"must be a list of {low} to {high}" if low else f"must be a list of at most {high}"
    return "must be a non-empty list" if low else "must be a list"


def _questions(questions: list[dict[str, Any]]) -> list[str]:
    """Ids unique (and none another's other-text answer), choices too; returns the ids."""
    ids: list[str] = []
    for i, question in enumerate(questions):
        path, qid = f"questions[{i}]", question["id"]
        if qid in ids:
            raise _fail(f"{path}.id", f"duplicate question id {qid!r}")
        if qid.endswith("_other") and qid[: -len("_other")] in ids:
            raise _fail(f"{path}.id", f"clashes with the other-text answer of {qid[:-6]!r}")
        ids.append(qid)
        if question["type"] in (*CHOICE_TYPES, "ranking"):
            _choices(path, question)
        elif question["type"] == "matrix":
            for key in ("rows", "columns"):
                _unique(f"{path}.{key}", question.get(key) or [], key[:-1])
        elif question["type"] == "date" and question.get("min") and question.get("max"):
            if question["min"] > question["max"]:
                raise _fail(f"{path}.min", "must not be after max")
    return ids


def _unique(path: str, options: list[dict[str, Any]], noun: str) -> list[str]:
    """The ids of `options`, refused when one comes twice."""
    seen: list[str] = []
    for i, option in enumerate(options):
        if option["id"] in seen:
            raise _fail(f"{path}[{i}].id", f"duplicate {noun} id {option['id']!r}")
        seen.append(option["id"])
    return seen


def _choices(path: str, question: dict[str, Any]) -> None:
    seen = _unique(f"{path}.choices", question["choices"], "choice")
    if question.get("other") and OTHER in seen:
        raise _fail(f"{path}.choices", f"the id {OTHER!r} is taken by other: true")
    low, high = question.get("min"), question.get("max")
    if question["type"] == "multiple_choice" and low is not None and high is not None:
        if low > high:
            raise _fail(f"{path}.max", "must be at least min")


def _jump(path: str, rule: dict[str, Any], ids: list[str]) -> None:
    source, target = rule["if"]["question"], rule["goto"]
    if source not in ids:
        raise _fail(f"{path}.if.question", f"no question with id {source!r}")
    if target != "end" and target not in ids:
        raise _fail(f"{path}.goto", f"no question with id {target!r} (or 'end')")
    if target != "end" and ids.index(target) <= ids.index(source):
        raise _fail(f"{path}.goto", "must jump forward (the client ignores backward jumps)")


def _row(path: str, condition: dict[str, Any], question: dict[str, Any]) -> None:
    """A condition's `row` names a row of the matrix it asks about."""
    row = condition.get("row")
    if row is None:
        return
    rows = [r["id"] for r in question.get("rows") or []] if question["type"] == "matrix" else []
    if row not in rows:
        raise _fail(path, f"no row with id {row!r} in question {question['id']!r}")


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fail(path: str, message: str) -> DefinitionError:
    return DefinitionError(path, message)


def _object(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    return value
