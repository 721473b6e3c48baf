"""The editor's faults: the one validator's (`check_definition`, what the admin API and
`survey import` refuse with), each with its path and the form field it concerns.

The validator stops at its first fault; the JSON Schema's walk (`schema_faults`, worded by
the validator where it can) adds the others, so an owner sees every field at fault at once.
A definition the validator takes has no faults here, whatever the schema says."""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

from refiner_server.dashboard.editor_form import field_name
from refiner_server.surveys.checks import DefinitionError, check_definition
from refiner_server.surveys.schema import schema_faults


class Fault(NamedTuple):
    path: str  # the validator's, as the API's 422 says it
    field: str  # the form's field or group of fields (its element id)
    message: str


def faults(definition: dict[str, Any]) -> list[Fault]:
    """Every fault of `definition`, the validator's own first."""
    try:
        check_definition(copy.deepcopy(definition))
    except DefinitionError as exc:
        lines = [str(exc), *schema_faults(definition)]
    else:
        return []
    out: list[Fault] = []
    for line in dict.fromkeys(lines):
        path, _, message = line.partition(": ")
        out.append(Fault(path, field_name(path, definition), message))
    return out


def by_field(found: list[Fault]) -> dict[str, str]:
    """The first fault of each field, as the form shows them."""
    out: dict[str, str] = {}
    for fault in found:
        out.setdefault(fault.field, fault.message)
    return out
