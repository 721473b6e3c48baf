"""The JSON Schema of a survey definition (docs/surveys.md), generated from the field
tables of `survey_fields`, which the one validator (`survey_checks`) walks: a field, bound
or word added there reaches both. Served at `SCHEMA_PATH` and printed by
`refiner-server survey schema`, for editors; `refiner-server survey import` checks a file
against it first (`schema_faults`: every fault at once), then with the validator.

The schema accepts everything the validator accepts. What it cannot say, the validator adds
(`VALIDATOR_ONLY`): references between questions, duplicate ids, counts that depend on the
choices, date order, colours and URLs the client cleans, and regular expressions.
`tests/server/test_survey_schema.py` holds the two together both ways."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from refiner_server.http.errors import ApiError
from refiner_server.surveys.checks import DefinitionError, check_definition, fault_at
from refiner_server.surveys.fields import SHAPES
from refiner_server.surveys.kinds import KINDS, Field, Shape

SCHEMA_PATH = "/api/v1/schema/survey.json"
#: the validator itself, for the dashboard's preview frame (static/refiner.js CHECK_PATH)
CHECK_PATH = "/api/v1/schema/survey/check"
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
    "must be a date YYYY-MM-DD",  # the schema's pattern takes 2026-02-30
    "must not be after max",
    "no row with id",
    "duplicate row id",
    "duplicate column id",
    "must be after start_at",
    "invalid regex",
    "the MicroPython client cannot run",
)
#: a segment's shapes (`segments.py`), not part of a survey definition
SEGMENT_SHAPES = ("segment", "segment_rule")
#: what the validator reads as "not given" where a field is `falsy_ok`
FALSY = [None, "", False, 0, {}, []]


def _value(field: Field) -> dict[str, Any]:
    """What a present, non-null value of `field` must be."""
    ref = {"$ref": f"#/$defs/{field.of}"} if field.of else {}
    if field.kind == "object":
        return ref
    if field.kind == "map":
        return {"type": "object", "additionalProperties": ref or {"type": "object"}}
    if field.kind == "list":
        schema: dict[str, Any] = {"type": "array", "items": ref}
        if field.low:
            schema["minItems"] = field.low
        if field.high is not None:
            schema["maxItems"] = field.high
        return schema
    return KINDS[field.kind][1](field)


def _optional(field: Field, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or what the validator reads as the default: null, or any false value.
    (`if`/`else` rather than `anyOf`, so a fault inside is reported where it is.)"""
    if field.falsy_ok:
        return {"if": {"enum": FALSY}, "else": schema}
    if not field.null_ok:
        return schema
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"if": {"type": "null"}, "else": schema}


def _present(field: Field, schema: dict[str, Any]) -> dict[str, Any]:
    """Required and not null (`any` is anything but null)."""
    return {
        "required": [field.name],
        "properties": {field.name: schema or {"not": {"type": "null"}}},
    }


def _shape(shape: Shape) -> dict[str, Any]:
    properties: dict[str, dict[str, Any]] = {}
    rules: list[dict[str, Any]] = []
    for field in shape.fields:
        doc = properties.setdefault(field.name, {})
        if field.doc:
            doc["description"] = field.doc
        if field.default is not None:
            doc["default"] = field.default
        value = _value(field)
        if field.when is not None:
            then = (
                _present(field, value)
                if field.required is True
                else {"properties": {field.name: _optional(field, value)}}
            )
            rules.append({"if": field.when.schema(), "then": then})
            continue
        if field.required is True and not field.filled:
            doc.update(value)
            continue
        doc.update(_optional(field, value) if not field.filled else value)
        if not isinstance(field.required, bool):
            rules.append({"if": field.required.schema(), "then": _present(field, value)})
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = shape.always_required()
    if required:
        schema["required"] = required
    if shape.closed:
        schema["additionalProperties"] = False
    if shape.one_of:
        schema["oneOf"] = [{"required": [key]} for key in shape.one_of]
    if shape.not_together:
        schema["not"] = {
            "properties": {key: {"const": True} for key in shape.not_together},
            "required": list(shape.not_together),
        }
    if rules:
        schema["allOf"] = rules
    return schema


def survey_schema() -> dict[str, Any]:
    """The schema (draft 2020-12) of one survey definition."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "refiner-web survey definition",
        "description": "docs/surveys.md; the server's validator (survey_checks) is the judge",
        **_shape(SHAPES["survey"]),
        "$defs": {
            name: _shape(shape)
            for name, shape in SHAPES.items()
            if name != "survey" and name not in SEGMENT_SHAPES
        },
    }


@cache
def _validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(survey_schema())


def schema_faults(definition: Any) -> list[str]:
    """Every place the schema refuses `definition`, one line each (`<path>: <fault>`), in
    the validator's words (the schema's own where the validator finds nothing there)."""
    lines: list[str] = []
    for error in _validator().iter_errors(definition):
        where = list(error.instance_path)
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            where.append(error.kind.property)
        line = fault_at(definition, where) or f"{_path(where)}: {error.message}"
        if line not in lines:
            lines.append(line)
    return lines


def _path(where: list[str | int]) -> str:
    """`questions[0].type`, as the validator writes paths."""
    out = ""
    for key in where:
        out += f"[{key}]" if isinstance(key, int) else f".{key}" if out else str(key)
    return out or "survey"


#: `GET SCHEMA_PATH`: public (a survey's shape is no secret), for editors and tools
router = APIRouter()


@router.get(SCHEMA_PATH, tags=["schema"], summary="JSON Schema of a survey definition")
def survey_definition_schema() -> JSONResponse:
    return JSONResponse(_served_schema(), headers={"cache-control": "no-cache"})


@router.post(
    CHECK_PATH,
    tags=["schema"],
    summary="Check a survey definition",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "description": f"as {SCHEMA_PATH} describes"}
                }
            },
        }
    },
)
async def check_survey(request: Request) -> dict[str, bool]:
    """The validator's verdict on the definition in the body (JSON whatever the
    Content-Type: the preview frame sends text/plain, which needs no preflight): 200
    `{"ok": true}`, or 422 `invalid_definition` with the fault's path and message, the same
    as the admin API and `survey import` give. Public, like the schema: it stores nothing."""
    try:
        definition = json.loads(await request.body())
    except ValueError as exc:
        raise ApiError(400, "invalid_json", "body: not JSON") from exc
    try:
        await run_in_threadpool(check_definition, definition)  # large ones take a while
    except DefinitionError as exc:
        raise ApiError(422, "invalid_definition", str(exc)) from exc
    return {"ok": True}


@cache
def _served_schema() -> dict[str, Any]:
    """`survey_schema()`, built once per process (the tables do not change)."""
    return survey_schema()
