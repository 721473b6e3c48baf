"""The JSON Schema of a survey definition (docs/surveys.md), made from the same vocabulary
as the one validator (`survey_checks`: its statuses, id characters and repeats; the client's
question types, operators, triggers and appearance values; the audience's operators), so a
new value in any of them reaches the schema by itself. Served at `SCHEMA_PATH` and printed by
`refiner-server survey schema`, for editors; `survey_checks` stays the judge.

The schema accepts everything the validator accepts. What it cannot say, the validator adds
(`VALIDATOR_ONLY`): references between questions, duplicate ids, counts that depend on the
choices, date order, colours and URLs the client cleans, and regular expressions.
`tests/server/test_survey_schema.py` holds the two together both ways."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from refiner_web import survey as client_survey
from refiner_web.answers import MAX_CHOICES, MAX_QUESTIONS, TEXT_MAX
from refiner_web.triggers import DELAY_FROM, PAGE_MATCHES, PAGE_PARTS, TRIGGER_TYPES

from .audience import DAYS_OPS, EVENT_OPS, TRAIT_OPS, VALUELESS_OPS
from .survey_checks import (
    ID_CHARS,
    REPEATS,
    RULE_KINDS,
    SURVEY_STATUSES,
    TEXT_FIELDS,
    VALUELESS_LOGIC,
)

SCHEMA_PATH = "/api/v1/schema/survey.json"
#: the validator's faults that no schema states, by the start of their message
VALIDATOR_ONLY = (
    "duplicate question id",
    "clashes with the other-text answer",
    "duplicate choice id",
    "the id 'other' is taken",
    "no question with id",
    "must jump forward",
    ".min: must be an integer from",  # at most the options there are
    ".max: must be an integer from",
    "must be at least min",
    "must be an http(s) URL",
    "must be a colour",
    "must be an ISO 8601 date",
    "must be after start_at",
    "invalid regex",
    "the MicroPython client cannot run",
)

_STRING = {"type": "string"}
_TEXT = {"type": "string", "minLength": 1}
_FLAG = {"type": ["boolean", "null"]}
#: what the validator reads as "not given" where it writes `value or default`
FALSY = [None, "", False, 0, {}]


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null: the validator reads a null field as a missing one."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str) and set(schema) <= {"type", "minimum", "maximum"}:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _number(low: float = 0, high: float | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number", "minimum": low}
    if high is not None:
        schema["maximum"] = high
    return schema


def _integer(low: int, high: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": low}
    if high is not None:
        schema["maximum"] = high
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), **more: Any) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **more}
    if required:
        schema["required"] = list(required)
    return schema


def _when(field: str, values: tuple[str, ...], then: dict[str, Any]) -> dict[str, Any]:
    """`then` applies when `field` is one of `values` (a question's type, a trigger's type)."""
    return {
        "if": {"properties": {field: {"enum": list(values)}}, "required": [field]},
        "then": then,
    }


def _doc(description: str, default: Any = None, **schema: Any) -> dict[str, Any]:
    out = {"description": description, **schema}
    if default is not None:
        out["default"] = default
    return out


def _question() -> dict[str, Any]:
    texts = {
        key: _doc(f"the question's {key.replace('_', ' ')}", **_null(_STRING))
        for key in TEXT_FIELDS
    }
    properties = {
        "id": _doc(
            "unique in the survey; the answer's key", type="string", minLength=1, maxLength=64
        ),
        "type": _doc("what is asked", enum=list(client_survey.TYPES)),
        **texts,
        "required": _doc("an answer is needed to go on", False, **_FLAG),
        "labels": _doc(
            "words under the ends of a scale",
            **_null(_object({"low": _STRING, "high": _STRING}, additionalProperties=False)),
        ),
        "scale": _doc("rating: the number of steps", 5),
        "style": _doc("rating: stars or numbers; csat: faces or labels"),
        "choices": _doc("single_choice, multiple_choice: the options, in order"),
        "other": _doc("single_choice, multiple_choice: an 'other' option with a text box", False),
        "min": _doc("multiple_choice: the fewest options to pick"),
        "max": _doc("multiple_choice: the most options to pick"),
        "multiline": _doc("text: a text area instead of a line", False),
        "max_length": _doc("text, email: the most characters"),
        "link": _doc("statement: a link under the text"),
    }
    choice = _object({"id": _TEXT, "label": _null(_STRING)}, ("id",))
    return _object(
        properties,
        ("id", "type"),
        allOf=[
            _when(
                "type",
                ("rating",),
                _object(
                    {
                        "scale": _null(_integer(3, 10)),
                        "style": _null({"enum": ["stars", "numbers"]}),
                    }
                ),
            ),
            _when("type", ("csat",), _object({"style": _null({"enum": ["faces", "labels"]})})),
            _when(
                "type",
                ("single_choice", "multiple_choice"),
                _object(
                    {
                        "choices": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_CHOICES,
                            "items": choice,
                        },
                        "other": _FLAG,
                    },
                    ("choices",),
                ),
            ),
            _when(
                "type",
                ("multiple_choice",),
                _object(
                    {
                        "min": _null(_integer(0)),
                        "max": _null(_integer(1)),
                    }
                ),
            ),
            _when(
                "type",
                ("statement",),
                _object(
                    {
                        "link": _null(
                            _object(
                                {"label": _TEXT, "url": _STRING},  # http(s): the validator's
                                ("label", "url"),
                            )
                        ),
                    }
                ),
            ),
            _when("type", ("text",), _object({"multiline": _FLAG})),
            _when("type", ("text", "email"), _object({"max_length": _null(_integer(1, TEXT_MAX))})),
        ],
    )


def _logic_rule() -> dict[str, Any]:
    valued = [op for op in client_survey.OPS if op not in VALUELESS_LOGIC]
    condition = _object(
        {
            "question": _doc("the id of an earlier question", type="string"),
            "op": _doc("how its answer is compared", enum=list(client_survey.OPS)),
            "value": _doc("what it is compared with (not for answered, skipped)"),
        },
        ("question", "op"),
        allOf=[
            _when(
                "op",
                tuple(valued),
                {"required": ["value"], "properties": {"value": {"not": {"type": "null"}}}},
            )
        ],
    )
    return _object(
        {
            "if": _doc("the condition on one answer", **condition),
            "goto": _doc("a later question's id, or end", type="string"),
        },
        ("if", "goto"),
    )


def _thank_you() -> dict[str, Any]:
    return _object(
        {
            "title": _doc("the heading", **_null(_STRING)),
            "description": _doc("the text under it", **_null(_STRING)),
            "button": _doc("a close button's label", **_null(_STRING)),
            "auto_close_s": _doc(
                "seconds until it closes by itself",
                client_survey.DEFAULT_AUTO_CLOSE_S,
                **_null(_number()),
            ),
        }
    )


def _appearance() -> dict[str, Any]:
    return _object(
        {
            "position": _doc(
                "where the survey sits",
                client_survey.POSITIONS[0],
                enum=[*client_survey.POSITIONS, None],
            ),
            "theme": _doc(
                "light, dark, or as the visitor's system",
                client_survey.THEMES[0],
                enum=[*client_survey.THEMES, None],
            ),
            "accent": _doc(
                "the colour of buttons and selections, #rgb or #rrggbb",
                client_survey.DEFAULT_ACCENT,
                **_null({"type": "string", "pattern": "^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"}),
            ),
        }
    )


def _translation() -> dict[str, Any]:
    return _object(
        {
            "questions": _doc(
                "by question id: the strings to replace (title, description, labels, ...)",
                **_null({"type": "object", "additionalProperties": {"type": "object"}}),
            ),
            "thank_you": _doc("the thank-you strings to replace", **_null(_ref("thank_you"))),
        }
    )


def _audience() -> dict[str, Any]:
    return _object(
        {
            "identified_only": _doc("only people the page identified", False, **_FLAG),
            "anonymous_only": _doc("only people it did not", False, **_FLAG),
            "match": _doc("all rules must hold, or any", "all", enum=["all", "any", None]),
            "rules": _doc(
                "conditions on traits and events",
                **_null({"type": "array", "items": _ref("audience_rule")}),
            ),
            "sample_percent": _doc(
                "the share of the audience asked", 100, **_null(_number(0, 100))
            ),
        },
        **{
            "not": {
                "properties": {
                    "identified_only": {"const": True},
                    "anonymous_only": {"const": True},
                },
                "required": ["identified_only", "anonymous_only"],
            }
        },
    )


def _audience_rule() -> dict[str, Any]:
    kinds = {kind: _doc(f"the {kind.replace('_', ' ')}'s name", **_TEXT) for kind in RULE_KINDS}
    other_ops = [op for op in TRAIT_OPS if op not in VALUELESS_OPS + DAYS_OPS + ("contains",)]
    trait_rule = {
        "properties": {"op": {"enum": list(TRAIT_OPS)}},
        "required": ["op"],
        "allOf": [
            _when("op", DAYS_OPS, {"required": ["value"], "properties": {"value": _number()}}),
            _when("op", ("contains",), {"required": ["value"], "properties": {"value": _TEXT}}),
            _when(
                "op",
                tuple(other_ops),
                {
                    "required": ["value"],
                    "properties": {"value": {"type": ["string", "number", "boolean"]}},
                },
            ),
        ],
    }
    event_rule = {
        "properties": {"op": {"enum": list(EVENT_OPS)}, "count": _integer(0)},
        "required": ["op", "count"],
    }
    return _object(
        {
            **kinds,
            "op": _doc("trait: " + ", ".join(TRAIT_OPS) + "; event: " + ", ".join(EVENT_OPS)),
            "value": _doc("what the trait is compared with (days for *_days_ago)"),
            "count": _doc("event: how many times at least", type="integer"),
        },
        ("op",),
        oneOf=[{"required": [kind]} for kind in RULE_KINDS],
        allOf=[
            {"if": {"required": ["event"]}, "then": event_rule, "else": trait_rule},
        ],
    )


def _frequency() -> dict[str, Any]:
    return _object(
        {
            # any false value means once, as in the validator
            "repeat": _doc(
                "once, each time the trigger fires, or every interval_days",
                "once",
                enum=[*REPEATS, *FALSY, []],
            ),
            "interval_days": _doc("repeat interval: days between two showings", **_null(_number())),
            "max_days": _doc(
                "repeat interval: stop this many days after the first", **_null(_number())
            ),
            "dismissed_retry_days": _doc(
                "ask again this many days after a dismissal", **_null(_number())
            ),
        },
        allOf=[
            _when(
                "repeat",
                ("interval",),
                {"required": ["interval_days"], "properties": {"interval_days": _number()}},
            )
        ],
    )


def _schedule() -> dict[str, Any]:
    when = "an ISO 8601 date or date-time (UTC unless it says otherwise)"
    return _object(
        {
            "start_at": _doc("not shown before: " + when, **_null(_STRING)),
            "end_at": _doc("not shown from: " + when, **_null(_STRING)),
        }
    )


def _trigger() -> dict[str, Any]:
    return _object(
        {
            "type": _doc(
                "when the survey shows, once the server lets it", enum=list(TRIGGER_TYPES)
            ),
            "delay_s": _doc(
                "seconds to wait (page: on the page; delay: from `from`)", **_null(_number())
            ),
            "from": _doc("delay: counted from", DELAY_FROM[0]),
            "event": _doc("event: the trackEvent name"),
            "percent": _doc("scroll: how far down the page"),
            "pages": _doc("page rules: include and exclude", **_null(_ref("pages"))),
        },
        ("type",),
        allOf=[
            _when(
                "type",
                ("delay",),
                {
                    "required": ["delay_s"],
                    "properties": {
                        "delay_s": _number(),
                        "from": _null({"enum": list(DELAY_FROM)}),
                    },
                },
            ),
            _when("type", ("event",), {"required": ["event"], "properties": {"event": _TEXT}}),
            _when("type", ("scroll",), {"properties": {"percent": _null(_number(0, 100))}}),
        ],
    )


def _pages() -> dict[str, Any]:
    # any false value means no rules, as in the validator
    rules = {"anyOf": [{"type": "array", "items": _ref("page_rule")}, {"enum": FALSY}]}
    return _object(
        {
            "include": _doc("show only on pages that match one of these", **rules),
            "exclude": _doc("never on pages that match one of these", **rules),
        }
    )


def _page_rule() -> dict[str, Any]:
    return _object(
        {
            "match": _doc("how the value is compared", enum=list(PAGE_MATCHES)),
            "value": _doc("the text, pattern (`*` matches anything) or regex", **_TEXT),
            "on": _doc("the path or the whole URL", PAGE_PARTS[0], enum=[*PAGE_PARTS, None]),
        },
        ("match", "value"),
    )


def _survey() -> dict[str, Any]:
    id_chars = "".join(sorted(ID_CHARS)).replace("-", "") + "-"
    return _object(
        {
            "id": _doc(
                "unique in the project; [A-Za-z0-9_.-]",
                type="string",
                pattern=f"^[{id_chars}]{{1,64}}$",
            ),
            "name": _doc("for the dashboard", **_null(_STRING)),
            "status": _doc("only live surveys are served", "draft", enum=list(SURVEY_STATUSES)),
            "questions": _doc(
                "in the order asked", type="array", maxItems=MAX_QUESTIONS, items=_ref("question")
            ),
            "logic": _doc(
                "jumps, the first that holds wins",
                **_null({"type": "array", "items": _ref("logic_rule")}),
            ),
            "thank_you": _doc("the screen after the last answer", **_null(_ref("thank_you"))),
            "trigger": _doc("when it shows", {"type": "manual"}, **_null(_ref("trigger"))),
            "audience": _doc("who may see it", **_null(_ref("audience"))),
            "frequency": _doc("how often", {"repeat": "once"}, **_null(_ref("frequency"))),
            "schedule": _doc("between which dates", **_null(_ref("schedule"))),
            "appearance": _doc("where and how it looks", **_null(_ref("appearance"))),
            "translations": _doc(
                "by language code: strings that replace the definition's",
                **_null({"type": "object", "additionalProperties": _ref("translation")}),
            ),
        },
        ("id", "questions"),
    )


def survey_schema() -> dict[str, Any]:
    """The schema (draft 2020-12) of one survey definition."""
    defs = {
        "question": _question(),
        "logic_rule": _logic_rule(),
        "thank_you": _thank_you(),
        "appearance": _appearance(),
        "translation": _translation(),
        "audience": _audience(),
        "audience_rule": _audience_rule(),
        "frequency": _frequency(),
        "schedule": _schedule(),
        "trigger": _trigger(),
        "pages": _pages(),
        "page_rule": _page_rule(),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "refiner-web survey definition",
        "description": "docs/surveys.md; the server's validator (survey_checks) is the judge",
        **_survey(),
        "$defs": defs,
    }


def install(app: FastAPI) -> None:
    """`GET SCHEMA_PATH`: public (a survey's shape is no secret), for editors and tools."""
    schema = survey_schema()

    @app.get(SCHEMA_PATH, tags=["schema"], summary="JSON Schema of a survey definition")
    def survey_definition_schema() -> JSONResponse:
        return JSONResponse(schema, headers={"cache-control": "no-cache"})
