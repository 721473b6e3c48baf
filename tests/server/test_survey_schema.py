"""docs/surveys.md, the JSON Schema (`survey_schema`) and the validator (`survey_checks`)
agree: the doc's fields and defaults are the schema's, its examples pass both, and around
every example each field, broken in many ways, is refused by the schema only when the
validator refuses it too; where the validator alone refuses, it says one of the things no
schema can (`VALIDATOR_ONLY`)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from refiner_server.client.audience import EVENT_OPS, TRAIT_OPS
from refiner_server.surveys import fields as survey_fields
from refiner_server.surveys.checks import DefinitionError, check_definition
from refiner_server.surveys.fields import REPEATS, SURVEY_STATUSES
from refiner_server.surveys.schema import SCHEMA_PATH, VALIDATOR_ONLY, survey_schema
from refiner_web import appearance, definition
from refiner_web.triggers import DELAY_FROM, PAGE_MATCHES, PAGE_PARTS, TRIGGER_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "surveys.md"
SCHEMA = survey_schema()
VALIDATOR = jsonschema_rs.Draft202012Validator(SCHEMA)
DEMO = Path(__file__).resolve().parents[2] / "refiner_server" / "demo_survey.json"
#: what each field is replaced by: wrong types, empties, both sides of every bound, and
#: every word of the validator's vocabularies (a word the schema lacks shows)
BROKEN = [
    *[None, "", "x", "a" * 65, True, False, [], [{}], {}, {"x": 1}],
    *[-1, 0, 1, 1.5, 2, 3, 9, 10, 11, 64, 65, 99, 100, 101, 10000, 10001],
    *["#fff", "#12345", "https://example.com", "javascript:x", "2026-01-01", "(?P<x>a)"],
    *sorted(
        {
            *definition.TYPES,
            *definition.OPS,
            *appearance.POSITIONS,
            *appearance.THEMES,
            *TRIGGER_TYPES,
            *DELAY_FROM,
            *PAGE_MATCHES,
            *PAGE_PARTS,
            *TRAIT_OPS,
            *EVENT_OPS,
            *REPEATS,
            *SURVEY_STATUSES,
            "stars",
            "numbers",
            "faces",
            "labels",
            "all",
            "any",
            "end",
        }
    ),
]


def doc_tables() -> dict[str, list[list[str]]]:
    """`<!-- schema: NAME -->` and the table under it: NAME -> rows of cells."""
    tables: dict[str, list[list[str]]] = {}
    name = None
    for line in DOC.read_text("utf-8").splitlines():
        marker = re.fullmatch(r"<!-- schema: (\w+) -->", line)
        if marker:
            name = marker.group(1)
            tables[name] = []
        elif name and line.startswith("| `"):
            tables[name].append([cell.strip() for cell in line.strip("|").split(" | ")])
        elif name and tables[name] and not line.startswith("|"):
            name = None
    return tables


def doc_examples() -> list[Any]:
    return [
        json.loads(block)
        for block in re.findall(r"```json\n(.*?)```", DOC.read_text("utf-8"), re.S)
    ]


def schema_object(name: str) -> dict[str, Any]:
    """`survey` or a `$defs` name."""
    return SCHEMA if name == "survey" else SCHEMA["$defs"][name]


def validator_takes(definition: Any) -> tuple[bool, str]:
    try:
        check_definition(copy.deepcopy(definition))
    except DefinitionError as exc:
        return False, str(exc)
    return True, ""


@pytest.mark.parametrize("name", sorted(doc_tables()))
def test_the_doc_lists_every_field_with_the_schemas_defaults(name: str) -> None:
    rows = doc_tables()[name]
    node = schema_object(name)
    assert [row[0].strip("`") for row in rows] == list(node["properties"]), name
    required = [row[0].strip("`") for row in rows if row[2] == "required"]
    assert required == node.get("required", []), name
    for row in rows:
        field = node["properties"][row[0].strip("`")]
        if "default" in field:
            assert row[2] == "`%s`" % json.dumps(field["default"]), (name, row)
        assert len(row) == 5 and all(row), row  # type, default, example and meaning


def test_the_doc_covers_every_object_of_the_schema() -> None:
    inline = {"pages", "labels", "choice", "link"}  # in the type column of trigger, question
    assert set(doc_tables()) == {"survey"} | set(SCHEMA["$defs"]) - inline


def examples() -> list[Any]:
    return [*doc_examples(), json.loads(DEMO.read_text("utf-8"))]


@pytest.mark.parametrize("definition", examples(), ids=lambda d: d["id"])
def test_examples_pass_both(definition: Any) -> None:
    assert validator_takes(definition) == (True, "")
    assert VALIDATOR.is_valid(definition), list(VALIDATOR.iter_errors(definition))


def mutants(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, definition) for every field replaced by each BROKEN value, dropped, or given
    an unknown neighbour."""
    if isinstance(value, dict):
        items = list(value.items())
        yield path + ("+unknown",), {**value, "unknown_key": 1}
        for key, child in items:
            yield path + (key, "-"), {k: v for k, v in items if k != key}
            for sub_path, sub in mutants(child, path + (key,)):
                yield sub_path, {**value, key: sub}
    elif isinstance(value, list):
        for i, child in enumerate(value):
            for sub_path, sub in mutants(child, path + (i,)):
                yield sub_path, [*value[:i], sub, *value[i + 1 :]]
    for broken in BROKEN:
        if broken != value or type(broken) is not type(value):
            yield path + (repr(broken),), broken


@pytest.mark.parametrize("definition", examples(), ids=lambda d: d["id"])
def test_schema_and_validator_agree_on_every_broken_field(definition: Any) -> None:
    disagreements = []
    count = 0
    for path, mutant in mutants(definition):
        count += 1
        taken, fault = validator_takes(mutant)
        valid = VALIDATOR.is_valid(mutant)
        if taken and not valid:
            disagreements.append(("schema refuses what the validator takes", path))
        elif valid and not taken and not any(rule in fault for rule in VALIDATOR_ONLY):
            disagreements.append(("schema misses", path, fault))
    assert disagreements == [], f"{len(disagreements)} of {count}: {disagreements[:10]}"


@pytest.mark.parametrize(
    ("name", "question", "fault"),
    [
        (
            "max_length",
            {"type": "text", "max_length": 11},
            "questions[0].max_length: must be an integer from 1 to 10",
        ),
        (
            "choices",
            {"type": "single_choice", "choices": [{"id": str(i)} for i in range(11)]},
            "questions[0].choices: must be a list of 1 to 10",
        ),
    ],
)
def test_a_bound_in_the_table_reaches_the_validator_and_the_schema(
    monkeypatch, name: str, question: dict, fault: str
) -> None:
    """The one table is the source of both: tighten a bound there, and both refuse."""
    shape = survey_fields.SHAPES["question"]
    tighter = tuple(dataclasses.replace(f, high=10) if f.name == name else f for f in shape.fields)
    monkeypatch.setitem(
        survey_fields.SHAPES, "question", dataclasses.replace(shape, fields=tighter)
    )
    definition = {"id": "s", "questions": [{"id": "q", **question}]}
    assert validator_takes(definition) == (False, fault)
    assert not jsonschema_rs.Draft202012Validator(survey_schema()).is_valid(definition)
    monkeypatch.undo()
    assert validator_takes(definition) == (True, "")
    assert jsonschema_rs.Draft202012Validator(survey_schema()).is_valid(definition)


def test_the_server_serves_the_schema(client) -> None:
    r = client.get(SCHEMA_PATH)
    assert r.status_code == 200 and r.json() == SCHEMA
