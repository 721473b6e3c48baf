"""What changed between two versions of a survey definition, field by field, in words an
owner reads: questions added, removed, moved or edited (title, choices, any other field),
jumps added or removed, and each changed setting of the trigger, audience, frequency,
schedule, appearance, thank-you screen and translations.

Pure: two definitions in, a list of changes out. The dashboard's version history shows
`summary` per version and `changes` between any two.
"""

from __future__ import annotations

import json
from typing import Any

#: sections compared setting by setting, in the order an owner reads them
SECTIONS = ("thank_you", "trigger", "audience", "frequency", "schedule", "appearance")
#: top-level keys not compared: the id is the survey's, the status is not part of a version
IGNORED = ("id", "status")
AREAS = {
    "name": "name",
    "questions": "questions",
    "logic": "logic",
    "thank_you": "thank-you screen",
    "trigger": "trigger",
    "audience": "audience",
    "frequency": "frequency",
    "schedule": "schedule",
    "appearance": "appearance",
    "translations": "translations",
    "other": "other fields",
}
OP_WORDS = {
    "eq": "is",
    "neq": "is not",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "contains": "contains",
}


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each difference from `old` to `new` as `{"area", "kind", "path", "before", "after",
    "text"}`; `kind` is added, removed, moved or changed. Empty when they are one version."""
    out: list[dict[str, Any]] = []
    if old.get("name") != new.get("name"):
        was, now = old.get("name"), new.get("name")
        text = "Name: " + _wording("name", "changed", was, now)
        out.append(_change("name", "changed", "name", was, now, text))
    out += _questions(_list(old.get("questions")), _list(new.get("questions")))
    out += _logic(_list(old.get("logic")), _list(new.get("logic")))
    for section in SECTIONS:
        out += _settings(section, section, _dict(old.get(section)), _dict(new.get(section)))
    out += _translations(_dict(old.get("translations")), _dict(new.get("translations")))
    known = set(AREAS) | set(IGNORED)
    for key in sorted((set(old) | set(new)) - known):
        out += _settings("other", "", {key: old.get(key)}, {key: new.get(key)})
    return out


def summary(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """One line for a version's row: what it changed from the one before."""
    if old is None:
        return "Created with %s" % _count(len(_list(new.get("questions"))), "question")
    found = changes(old, new)
    if not found:
        return "No change to the content"
    if len(found) == 1:
        return found[0]["text"]
    areas = []
    for change in found:
        if AREAS.get(change["area"], change["area"]) not in areas:
            areas.append(AREAS.get(change["area"], change["area"]))
    return "%s: %s" % (_count(len(found), "change"), ", ".join(areas))


def _questions(old: list[Any], new: list[Any]) -> list[dict[str, Any]]:
    before = {q["id"]: q for q in old if isinstance(q, dict) and isinstance(q.get("id"), str)}
    after = {q["id"]: q for q in new if isinstance(q, dict) and isinstance(q.get("id"), str)}
    out = []
    for i, qid in enumerate(after):
        if qid not in before:
            title = _title(after[qid])
            text = "Question %s added at position %d%s" % (_q(qid), i + 1, title)
            out.append(_change("questions", "added", f"questions.{qid}", None, after[qid], text))
    for qid in before:
        if qid not in after:
            text = "Question %s removed%s" % (_q(qid), _title(before[qid]))
            out.append(_change("questions", "removed", f"questions.{qid}", before[qid], None, text))
    kept_old = [qid for qid in before if qid in after]
    kept_new = [qid for qid in after if qid in before]
    moved = set(kept_old) - set(_steady(kept_old, kept_new))
    where = {qid: (list(before).index(qid) + 1, list(after).index(qid) + 1) for qid in moved}
    shown = [qid for qid in kept_new if qid in moved and where[qid][0] != where[qid][1]]
    for qid in shown or [qid for qid in kept_new if qid in moved]:
        was, now = where[qid]
        text = "Question %s moved from position %d to %d" % (_q(qid), was, now)
        out.append(_change("questions", "moved", f"questions.{qid}", was, now, text))
    for qid in kept_new:
        out += _question(qid, before[qid], after[qid])
    return out


def _steady(old: list[str], new: list[str]) -> list[str]:
    """The longest run of ids that keep their order from `old` to `new` (a longest
    increasing subsequence of old positions); the others are what moved."""
    rank = {qid: i for i, qid in enumerate(old)}
    best: list[list[str]] = []
    for qid in new:
        longest = max((run for run in best if rank[run[-1]] < rank[qid]), key=len, default=[])
        best.append(longest + [qid])
    return max(best, key=len, default=[])


def _question(qid: str, old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    base = f"questions.{qid}"
    for key in _keys(old, new, first=("type", "title")):
        if key == "id" or old.get(key) == new.get(key):
            continue
        if key == "choices":
            out += _choices(qid, _list(old.get(key)), _list(new.get(key)))
            continue
        kind = "added" if key not in old else "removed" if key not in new else "changed"
        text = "Question %s: %s" % (_q(qid), _wording(key, kind, old.get(key), new.get(key)))
        out.append(_change("questions", kind, f"{base}.{key}", old.get(key), new.get(key), text))
    return out


def _choices(qid: str, old: list[Any], new: list[Any]) -> list[dict[str, Any]]:
    before = {c["id"]: c for c in old if isinstance(c, dict) and "id" in c}
    after = {c["id"]: c for c in new if isinstance(c, dict) and "id" in c}
    base = f"questions.{qid}.choices"
    where = "Question %s: choice %s" % (_q(qid), "%s")
    out = []
    for cid, choice in after.items():
        if cid not in before:
            text = (where % _q(cid)) + " added" + _label(choice)
            out.append(_change("questions", "added", f"{base}.{cid}", None, choice, text))
    for cid, choice in before.items():
        if cid not in after:
            text = (where % _q(cid)) + " removed" + _label(choice)
            out.append(_change("questions", "removed", f"{base}.{cid}", choice, None, text))
    for cid in after:
        if cid in before and before[cid].get("label") != after[cid].get("label"):
            was, now = before[cid].get("label"), after[cid].get("label")
            text = (where % _q(cid)) + " renamed from %s to %s" % (_show(was), _show(now))
            out.append(_change("questions", "changed", f"{base}.{cid}.label", was, now, text))
    kept_old = [cid for cid in before if cid in after]
    kept_new = [cid for cid in after if cid in before]
    if kept_old != kept_new:
        text = "Question %s: choices reordered" % _q(qid)
        out.append(_change("questions", "moved", base, kept_old, kept_new, text))
    return out


def _logic(old: list[Any], new: list[Any]) -> list[dict[str, Any]]:
    before, after = [_canon(r) for r in old], [_canon(r) for r in new]
    out = []
    for rule, key in zip(new, after, strict=True):
        if key not in before:
            text = "Jump added: " + _jump(rule)
            out.append(_change("logic", "added", "logic", None, rule, text))
    for rule, key in zip(old, before, strict=True):
        if key not in after:
            text = "Jump removed: " + _jump(rule)
            out.append(_change("logic", "removed", "logic", rule, None, text))
    kept_old = [k for k in before if k in after]
    kept_new = [k for k in after if k in before]
    if kept_old != kept_new:
        out.append(_change("logic", "moved", "logic", None, None, "Jumps reordered"))
    return out


def _translations(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for lang in _keys(old, new):
        path = f"translations.{lang}"
        if lang not in old:
            text = "Translation %s added" % _q(lang)
            out.append(_change("translations", "added", path, None, new[lang], text))
        elif lang not in new:
            text = "Translation %s removed" % _q(lang)
            out.append(_change("translations", "removed", path, old[lang], None, text))
        else:
            name = "translation %s" % _q(lang)
            out += _settings("translations", path, _dict(old[lang]), _dict(new[lang]), name)
    return out


def _settings(
    area: str, path: str, old: dict[str, Any], new: dict[str, Any], name: str | None = None
) -> list[dict[str, Any]]:
    """Leaf by leaf (lists are leaves) of two objects of one section."""
    flat_old, flat_new = _flat(old), _flat(new)
    label = (name or AREAS.get(area, area)).capitalize()
    out = []
    for key in _keys(flat_old, flat_new):
        was, now = flat_old.get(key), flat_new.get(key)
        if was == now:
            continue
        kind = "added" if key not in flat_old else "removed" if key not in flat_new else "changed"
        text = "%s: %s" % (label, _wording(key, kind, was, now))
        out.append(_change(area, kind, ".".join(p for p in (path, key) if p), was, now, text))
    return out


def _flat(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flat(value, name))
        elif value is not None:
            out[name] = value
    return out


def _wording(key: str, kind: str, was: Any, now: Any) -> str:
    if kind == "added":
        return "%s set to %s" % (key, _show(now))
    if kind == "removed":
        return "%s removed (was %s)" % (key, _show(was))
    return "%s changed from %s to %s" % (key, _show(was), _show(now))


def _jump(rule: Any) -> str:
    if not isinstance(rule, dict) or not isinstance(rule.get("if"), dict):
        return _show(rule)
    cond = rule["if"]
    op = cond.get("op")
    words = (
        "is %s" % op
        if op in ("answered", "skipped")
        else "%s %s"
        % (
            OP_WORDS.get(op, op),
            _show(cond.get("value")),
        )
    )
    goto = rule.get("goto")
    target = "the end" if goto == "end" else _q(goto)
    return "if %s %s, go to %s" % (_q(cond.get("question")), words, target)


def _change(area: str, kind: str, path: str, before: Any, after: Any, text: str) -> dict[str, Any]:
    return {
        "area": area,
        "kind": kind,
        "path": path,
        "before": before,
        "after": after,
        "text": text,
    }


def _keys(old: dict[str, Any], new: dict[str, Any], first: tuple[str, ...] = ()) -> list[str]:
    """The keys of both, those in `first` first, then the old's order, then the new's."""
    seen = [k for k in first if k in old or k in new]
    for key in list(old) + list(new):
        if key not in seen:
            seen.append(key)
    return seen


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return "“%s”" % (value if len(value) <= 80 else value[:79] + "…")
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def _q(name: Any) -> str:
    return "‘%s’" % name


def _title(question: dict[str, Any]) -> str:
    title = question.get("title")
    return " (%s)" % _show(title) if isinstance(title, str) and title else ""


def _label(choice: dict[str, Any]) -> str:
    label = choice.get("label")
    return " (%s)" % _show(label) if isinstance(label, str) and label else ""


def _count(n: int, word: str) -> str:
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
