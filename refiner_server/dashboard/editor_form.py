"""The survey editor's form as data: a definition as the flat fields of an HTML form
(`fields_of`), the posted fields back as a definition (`definition_of`), and a validator
path as the form field it concerns (`field_name`).

Field names are the validator's paths (`questions[2].choices[0].label`), so an error lands
next to its field by name; three places differ, because a form names things by position:
a translation is `translations[k]` with its language in `.code`, its strings for question
`i` are `translations[k].questions[i]` (`.choices[j]` for the `j`th choice), and an
audience rule says which of trait, account_trait or event it reads in `.kind` with the
name in `.name`. Which fields exist, their kinds and when they apply is read from the
validator's own tables (`surveys.fields.SHAPES`), so a new field needs no new code here.

Values are text in a form: numbers as written, flags as "true", and a value that may be any
JSON (a jump's `value`, an audience rule's) as written when it is a string that reads as
nothing else, else as JSON (`9`, `true`, `"9"`), so a string "9" stays a string. What
is empty is absent, which the validator reads as the default; a value that is not what
its field wants stays as typed, for the validator to name.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from refiner_server.surveys.fields import RULE_KINDS, SHAPES
from refiner_server.surveys.kinds import Field

#: the translatable strings of a question, beside `labels`, `choices` and `link`
QUESTION_STRINGS = ("title", "description", "button", "placeholder", "other_label")
THANK_YOU_STRINGS = ("title", "description", "button")
#: the survey's fields this form does not hold: the path names the survey, and status
#: is launch/pause/resume's (a save keeps the status stored then)
NOT_EDITED = ("id", "status")
_TOKEN = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")
_INTEGER = re.compile(r"-?\d+")


def fields_of(definition: dict[str, Any]) -> dict[str, str]:
    """The form's fields for `definition`, by name, in the order they are shown."""
    out: dict[str, str] = {}
    _flatten(definition, "survey", "", out)
    questions = definition.get("questions") or []
    for k, (code, entry) in enumerate((definition.get("translations") or {}).items()):
        _translation(f"translations[{k}]", code, entry or {}, questions, out)
    return out


def definition_of(fields: dict[str, str]) -> dict[str, Any]:
    """The definition the posted `fields` describe (without `id` and `status`)."""
    raw: dict[str, Any] = {}
    for name, value in fields.items():
        keys = _keys(name)
        if keys and keys[0] not in NOT_EDITED and keys[0] != "translations":
            _put(raw, keys, value)
    survey = _coerce(raw, "survey")
    survey.setdefault("questions", [])
    translations = _translations(fields, survey["questions"])
    if translations:
        survey["translations"] = translations
    return survey


def field_name(path: str, definition: dict[str, Any]) -> str:
    """The form field (or group of fields) a validator path concerns."""
    head, _, rest = path.partition(".")
    if head != "translations" or not rest:
        return re.sub(
            r"^(audience\.rules\[\d+\])\.(?:trait|account_trait|event)$", r"\1.name", path
        )
    codes = list(definition.get("translations") or {})
    for k, code in enumerate(codes):
        if rest == code or rest.startswith(code + "."):
            tail = rest[len(code) :]
            match = re.match(r"\.questions\.(.+?)(\..*)?$", tail)
            ids = [q.get("id") for q in definition.get("questions") or []]
            if match and match.group(1) in ids:
                tail = f".questions[{ids.index(match.group(1))}]" + (match.group(2) or "")
            return f"translations[{k}]" + tail
    return "translations"


# -- definition -> fields -----------------------------------------------------------------


def _applicable(shape_name: str, obj: dict[str, Any]) -> dict[str, Field]:
    """Each name of the shape with its entry that applies to `obj` (none: not there)."""
    out: dict[str, Field] = {}
    for field in SHAPES[shape_name].fields:
        if field.name not in out and (field.when is None or field.when.holds(obj)):
            out[field.name] = field
    return out


def _flatten(obj: dict[str, Any], shape_name: str, prefix: str, out: dict[str, str]) -> None:
    if shape_name == "audience_rule":
        kind = next((k for k in RULE_KINDS if k in obj), None)
        if kind is not None:
            out[prefix + "kind"], out[prefix + "name"] = kind, _text(obj[kind])
    for name, field in _applicable(shape_name, obj).items():
        value, path = obj.get(name), prefix + name
        if (
            value is None
            or (shape_name == "audience_rule" and name in RULE_KINDS)
            or (shape_name == "survey" and name in NOT_EDITED + ("translations",))
        ):
            continue
        if field.kind == "object" and isinstance(value, dict):
            _flatten(value, field.of or "", path + ".", out)
        elif field.kind == "list" and isinstance(value, list):
            for i, item in enumerate(value):
                _flatten(
                    item if isinstance(item, dict) else {}, field.of or "", f"{path}[{i}].", out
                )
        elif field.kind not in ("object", "list", "map"):
            out[path] = _encode(field, value)


def _translation(
    prefix: str,
    code: str,
    entry: dict[str, Any],
    questions: list[dict[str, Any]],
    out: dict[str, str],
) -> None:
    out[prefix + ".code"] = code
    strings = entry.get("questions") or {}
    for i, question in enumerate(questions):
        given = strings.get(question.get("id")) or {}
        at = f"{prefix}.questions[{i}]"
        for key in QUESTION_STRINGS:
            _set_text(out, f"{at}.{key}", given.get(key))
        for end in ("low", "high"):
            _set_text(out, f"{at}.labels.{end}", (given.get("labels") or {}).get(end))
        _set_text(out, f"{at}.link.label", (given.get("link") or {}).get("label"))
        labels = given.get("choices") or {}
        for j, choice in enumerate(question.get("choices") or []):
            _set_text(out, f"{at}.choices[{j}]", labels.get(choice.get("id")))
    for key in THANK_YOU_STRINGS:
        _set_text(out, f"{prefix}.thank_you.{key}", (entry.get("thank_you") or {}).get(key))


def _set_text(out: dict[str, str], name: str, value: Any) -> None:
    if value is not None:
        out[name] = _text(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _encode(field: Field, value: Any) -> str:
    if field.kind == "flag":
        return "true" if value is True else "" if value is False else _text(value)
    if field.kind in ("scalar", "any"):
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError:
                return value  # reads as nothing else
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)  # "3.0": read back as the float it was
    return _text(value)


# -- fields -> definition -----------------------------------------------------------------


def _keys(name: str) -> list[str | int]:
    """`questions[2].choices[0].id` as ["questions", 2, "choices", 0, "id"]; [] when the
    name is not a path (the form's own buttons and hidden fields start with `_`)."""
    keys: list[str | int] = []
    at = 0
    for match in _TOKEN.finditer(name):
        if match.start() != at + (1 if keys and name[at : at + 1] == "." else 0):
            return []
        keys.append(match.group(1) if match.group(1) else int(match.group(2)))
        at = match.end()
    return keys if keys and at == len(name) and not str(keys[0]).startswith("_") else []


def _put(tree: dict[Any, Any], keys: list[str | int], value: str) -> None:
    """`value` at `keys` in a tree of dicts (a list's items by index, as keys)."""
    node = tree
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return  # a field and a group of the same name: the group is not there
        node = child
    node[keys[-1]] = value


def _coerce(raw: dict[str, Any], shape_name: str) -> dict[str, Any]:
    """The posted strings of one object as its values, by the kinds of its fields (the
    fields that apply by the posted type, op, match: the others are dropped); list items
    arrive as a dict by index."""
    raw = dict(raw)
    if shape_name == "audience_rule":
        kind, name = raw.pop("kind", ""), raw.pop("name", "")
        if kind in RULE_KINDS:
            raw = {kind: name, **raw}
    out: dict[str, Any] = {}
    for name, field in _applicable(shape_name, raw).items():
        if name not in raw:
            continue
        value = _value(field, raw[name])
        if value is not None:
            out[name] = value
    return out


def _value(field: Field, raw: Any) -> Any:
    """One field's value, or None for absent."""
    if field.kind == "object":
        value = _coerce(raw, field.of or "") if isinstance(raw, dict) else {}
        return value or None
    if field.kind == "list":
        items = raw if isinstance(raw, dict) else {}
        value = [
            _coerce(items[i] if isinstance(items[i], dict) else {}, field.of or "")
            for i in sorted(k for k in items if isinstance(k, int))
        ]
        return value if value or field.required is True else None
    if not isinstance(raw, str):
        return None
    if raw == "":
        return "" if field.required is True else None
    if field.kind == "flag":
        return True if raw == "true" else raw
    if field.kind in ("integer", "number"):
        return _number(raw)
    if field.kind in ("scalar", "any"):
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        return value if not isinstance(value, float) or math.isfinite(value) else raw
    return raw


def _number(text: str) -> Any:
    if _INTEGER.fullmatch(text.strip()):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _translations(fields: dict[str, str], questions: list[dict[str, Any]]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name, value in fields.items():
        keys = _keys(name)
        if len(keys) > 2 and keys[0] == "translations" and isinstance(keys[1], int):
            _put(raw, keys[1:], value)
        elif len(keys) == 3 and keys[0] == "translations" and keys[2] == "code":
            _put(raw, keys[1:], value)
    out: dict[str, Any] = {}
    for k in sorted(key for key in raw if isinstance(key, int)):
        entry = raw[k]
        code = entry.get("code", "")
        if not isinstance(code, str) or not code:
            continue
        strings: dict[str, Any] = {}
        for i, given in (entry.get("questions") or {}).items():
            if isinstance(i, int) and i < len(questions) and isinstance(given, dict):
                kept = _question_strings(given, questions[i])
                if kept:
                    strings[questions[i].get("id")] = kept
        translation: dict[str, Any] = {}
        if strings:
            translation["questions"] = strings
        thanks = {
            key: value
            for key, value in (entry.get("thank_you") or {}).items()
            if key in THANK_YOU_STRINGS and isinstance(value, str) and value
        }
        if thanks:
            translation["thank_you"] = thanks
        out[code] = translation
    return out


def _question_strings(given: dict[str, Any], question: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {
        key: given[key]
        for key in QUESTION_STRINGS
        if isinstance(given.get(key), str) and given[key]
    }
    labels = {
        end: text
        for end, text in (given.get("labels") or {}).items()
        if end in ("low", "high") and isinstance(text, str) and text
    }
    if labels:
        kept["labels"] = labels
    link = (given.get("link") or {}).get("label")
    if isinstance(link, str) and link:
        kept["link"] = {"label": link}
    choices = question.get("choices") or []
    picked = {
        choices[j].get("id"): text
        for j, text in (given.get("choices") or {}).items()
        if isinstance(j, int) and j < len(choices) and isinstance(text, str) and text
    }
    if picked:
        kept["choices"] = picked
    return kept
