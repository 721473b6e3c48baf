"""The editor's structural edits of a definition: add, remove, duplicate and move the items
of its lists (questions, choices, jumps, audience rules, page rules) and its translations.

Each is one string, the value of the button that asks for it (so the form works without
script, and a drag in the browser posts the same words): `add:questions:nps`,
`add:questions[1].choices`, `remove:logic[0]`, `duplicate:questions[2]`,
`move:questions[2]:0`, `add-translation:de`, `remove-translation:de`. An edit that names
nothing there changes nothing. Ids a new item needs are made unique; references between
questions are left as they are, for the validator to point at.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from refiner_server.surveys.checks import OTHER  # the choice id an `other` option takes
from refiner_server.surveys.fields import CHOICE_TYPES, SHAPES

TYPES = next(f.values for f in SHAPES["question"].fields if f.name == "type")

#: what each list's new item starts as
NEW_ITEMS: dict[str, Any] = {
    "choices": {"id": "", "label": ""},
    "logic": {"if": {"question": "", "op": "answered"}, "goto": "end"},
    "rules": {"trait": "", "op": "eq", "value": ""},
    "include": {"match": "starts_with", "value": "/"},
    "exclude": {"match": "contains", "value": ""},
}
_ITEM = re.compile(r"^(.*)\[(\d+)\]$")


def apply_move(definition: dict[str, Any], move: str) -> dict[str, Any]:
    """`definition` with the edit `move` made (a copy; the argument is not changed)."""
    survey = copy.deepcopy(definition)
    verb, _, rest = move.partition(":")
    if verb == "add-translation":
        code = rest.strip()
        if code:
            survey.setdefault("translations", {}).setdefault(code, {})
        return survey
    if verb == "remove-translation":
        (survey.get("translations") or {}).pop(rest, None)
        return survey
    target, _, argument = rest.partition(":")
    if verb == "add":
        _add(survey, target, argument)
        return survey
    found = _item(survey, target)
    if found is None:
        return survey
    items, i = found
    if verb == "remove":
        del items[i]
    elif verb == "duplicate":
        twin = copy.deepcopy(items[i])
        if target.startswith("questions["):
            twin["id"] = _unique(f"{twin.get('id')}_copy", _question_ids(survey))
        items.insert(i + 1, twin)
    elif verb == "move" and argument.isdigit():
        items.insert(min(int(argument), len(items) - 1), items.pop(i))
    return survey


def new_question(kind: str, taken: list[str]) -> dict[str, Any]:
    """A question of type `kind` with an unused id, ready to answer: choices, a ranking's
    items and a matrix's columns have two, a matrix one row, a call to action a link."""
    question: dict[str, Any] = {"id": _unique("q1", taken), "type": kind, "title": ""}
    two = [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]
    if kind in CHOICE_TYPES or kind == "ranking":
        question["choices"] = two
    elif kind == "matrix":
        question["rows"] = [{"id": "r1", "label": "Row 1"}]
        question["columns"] = two
    elif kind == "cta":
        question["link"] = {"label": "Open", "url": "https://example.com/"}
    return question


def _add(survey: dict[str, Any], target: str, argument: str) -> None:
    if target == "questions":
        if argument in TYPES:
            survey.setdefault("questions", []).append(new_question(argument, _question_ids(survey)))
        return
    owner, _, name = target.rpartition(".")
    parent = _object(survey, owner) if owner else survey
    if parent is None or name not in NEW_ITEMS:
        return
    items = parent.setdefault(name, [])
    if not isinstance(items, list):
        return
    item = copy.deepcopy(NEW_ITEMS[name])
    if name == "choices":
        taken = [c.get("id") for c in items if isinstance(c, dict)]
        if parent.get("other"):
            taken.append(OTHER)
        item["id"] = _unique(f"c{len(items) + 1}", taken)
    items.append(item)


def _question_ids(survey: dict[str, Any]) -> list[str]:
    return [q.get("id") for q in survey.get("questions") or [] if isinstance(q, dict)]


def _unique(wanted: str, taken: list[Any]) -> str:
    """`wanted`, or it with the lowest number that makes it unused (64 characters at most)."""
    base = wanted[:56]
    if base not in taken:
        return base
    stem = re.sub(r"\d+$", "", base) or base
    n = 2
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def _item(survey: dict[str, Any], path: str) -> tuple[list[Any], int] | None:
    """The list and index a path like `questions[1].choices[0]` names."""
    match = _ITEM.match(path)
    if match is None:
        return None
    items = _at(survey, match.group(1))
    i = int(match.group(2))
    return (items, i) if isinstance(items, list) and i < len(items) else None


def _object(survey: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The object at `path`, made when a step of it is missing (an empty trigger's pages)."""
    node: Any = survey
    for part in path.split("."):
        match = _ITEM.match(part)
        if match:
            node = _at(node, part)
        elif isinstance(node, dict):
            node = node.setdefault(part, {}) if node.get(part) is None else node[part]
        else:
            return None
    return node if isinstance(node, dict) else None


def _at(node: Any, path: str) -> Any:
    for part in path.split("."):
        match = _ITEM.match(part)
        name, index = (match.group(1), int(match.group(2))) if match else (part, None)
        node = node.get(name) if isinstance(node, dict) else None
        if index is not None:
            node = node[index] if isinstance(node, list) and index < len(node) else None
    return node
