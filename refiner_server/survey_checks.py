"""The one validator of survey definitions (DESIGN.md §4): the admin API, `survey import`
and the dashboard all call `check_definition`, so the ping and the client can trust what is
stored.

Faults raise `DefinitionError("<path>: <what is wrong>")`, e.g.
`audience.rules[1].op: must be one of eq, neq, ...` or `questions[2].type: must be one of ...`.
The vocabulary (question types, logic operators, trigger types, appearance values) is the
client's own (`refiner_web.survey`, `refiner_web.triggers`), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any

from refiner_web import survey as client_survey
from refiner_web.answers import MAX_ANSWER_CHARS, MAX_CHOICES, MAX_QUESTIONS, TEXT_MAX, answer_chars
from refiner_web.triggers import (
    DELAY_FROM,
    PAGE_MATCHES,
    PAGE_PARTS,
    TRIGGER_TYPES,
    regex_fault,
)

from .audience import DAYS_OPS, EVENT_OPS, TRAIT_OPS, VALUELESS_OPS
from .models import parse_date

REPEATS = ("once", "each_trigger", "interval")
RULE_KINDS = ("trait", "account_trait", "event")
# What MicroPython's `re` cannot compile: counted repetition, named groups, lookarounds.
_MICROPYTHON_REGEX = re.compile(r"\{|\(\?[^:]")


SURVEY_STATUSES = ("draft", "live", "paused", "archived")
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
TEXT_FIELDS = ("title", "description", "button", "placeholder", "other_label")
VALUELESS_LOGIC = ("answered", "skipped")


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
    sid = survey.get("id")
    if not isinstance(sid, str) or not 1 <= len(sid) <= 64 or not set(sid) <= ID_CHARS:
        raise _fail("id", "a string of 1-64 characters from [A-Za-z0-9_.-] is required")
    if survey.get("name") is not None and not isinstance(survey["name"], str):
        raise _fail("name", "must be a string")
    survey.setdefault("status", "draft")
    _choice("status", survey["status"], SURVEY_STATUSES)
    questions = survey.get("questions")
    if not isinstance(questions, list) or len(questions) > MAX_QUESTIONS:
        raise _fail("questions", f"must be a list of at most {MAX_QUESTIONS}")
    ids: list[str] = []
    for i, question in enumerate(questions):
        ids.append(_question(f"questions[{i}]", _object(f"questions[{i}]", question), ids))
    if (chars := answer_chars(client_survey.clean_questions(questions))) > MAX_ANSWER_CHARS:
        why = f"answers hold at most {MAX_ANSWER_CHARS} characters in all, these {chars}"
        raise _fail("questions", why + " (lower the text questions' max_length)")
    _logic(survey.get("logic"), ids)
    if survey.get("thank_you") is not None:
        _thank_you("thank_you", _object("thank_you", survey["thank_you"]))
    if survey.get("appearance") is not None:
        _appearance("appearance", _object("appearance", survey["appearance"]))
    if survey.get("translations") is not None:
        _translations("translations", _object("translations", survey["translations"]), ids)
    check_targeting(survey)
    return survey


def _question(path: str, question: dict[str, Any], earlier: list[str]) -> str:
    """Check one question; returns its id."""
    qid = question.get("id")
    if not isinstance(qid, str) or not 1 <= len(qid) <= 64:
        raise _fail(f"{path}.id", "a string of 1-64 characters is required")
    if qid in earlier:
        raise _fail(f"{path}.id", f"duplicate question id {qid!r}")
    if qid.endswith("_other") and qid[: -len("_other")] in earlier:
        raise _fail(f"{path}.id", f"clashes with the other-text answer of {qid[:-6]!r}")
    kind = question.get("type")
    _choice(f"{path}.type", kind, client_survey.TYPES)
    for key in TEXT_FIELDS:
        if question.get(key) is not None and not isinstance(question[key], str):
            raise _fail(f"{path}.{key}", "must be a string")
    _flag(f"{path}.required", question.get("required"))
    if question.get("labels") is not None:
        labels = _object(f"{path}.labels", question["labels"])
        for key, value in labels.items():
            _choice(f"{path}.labels.{key}", key, ("low", "high"))
            if not isinstance(value, str):
                raise _fail(f"{path}.labels.{key}", "must be a string")
    if kind == "rating":
        if question.get("scale") is not None:
            _integer(f"{path}.scale", question["scale"], 3, 10)
        _optional_choice(f"{path}.style", question.get("style"), ("stars", "numbers"))
    elif kind == "csat":
        _optional_choice(f"{path}.style", question.get("style"), ("faces", "labels"))
    elif kind in ("single_choice", "multiple_choice"):
        _choices(path, question)
    elif kind == "statement" and question.get("link") is not None:
        link = _object(f"{path}.link", question["link"])
        _text(f"{path}.link.label", link.get("label"))
        if client_survey.safe_url(link.get("url")) is None:
            raise _fail(f"{path}.link.url", "must be an http(s) URL")
    if kind == "text":
        _flag(f"{path}.multiline", question.get("multiline"))
    if kind in ("text", "email") and question.get("max_length") is not None:
        _integer(f"{path}.max_length", question["max_length"], 1, TEXT_MAX)
    return qid


def _choices(path: str, question: dict[str, Any]) -> None:
    choices = question.get("choices")
    if not isinstance(choices, list) or not 1 <= len(choices) <= MAX_CHOICES:
        raise _fail(f"{path}.choices", f"must be a list of 1 to {MAX_CHOICES}")
    seen: list[str] = []
    for i, choice in enumerate(choices):
        here = f"{path}.choices[{i}]"
        cid = _object(here, choice).get("id")
        _text(f"{here}.id", cid)
        if cid in seen:
            raise _fail(f"{here}.id", f"duplicate choice id {cid!r}")
        if choice.get("label") is not None and not isinstance(choice["label"], str):
            raise _fail(f"{here}.label", "must be a string")
        seen.append(cid)
    _flag(f"{path}.other", question.get("other"))
    if question.get("other") and client_survey.OTHER in seen:
        raise _fail(f"{path}.choices", f"the id {client_survey.OTHER!r} is taken by other: true")
    if question["type"] != "multiple_choice":
        return
    count = len(seen) + (1 if question.get("other") else 0)
    low, high = question.get("min"), question.get("max")
    if low is not None:
        _integer(f"{path}.min", low, 0, count)
    if high is not None:
        _integer(f"{path}.max", high, 1, count)
    if low is not None and high is not None and low > high:
        raise _fail(f"{path}.max", "must be at least min")


def _logic(logic: Any, ids: list[str]) -> None:
    if logic is None:
        return
    if not isinstance(logic, list):
        raise _fail("logic", "must be a list")
    for i, rule in enumerate(logic):
        path = f"logic[{i}]"
        condition = _object(f"{path}.if", _object(path, rule).get("if"))
        source = condition.get("question")
        if source not in ids:
            raise _fail(f"{path}.if.question", f"no question with id {source!r}")
        op = condition.get("op")
        _choice(f"{path}.if.op", op, client_survey.OPS)
        if op not in VALUELESS_LOGIC and condition.get("value") is None:
            raise _fail(f"{path}.if.value", f"required with op {op}")
        target = rule.get("goto")
        if target != "end" and target not in ids:
            raise _fail(f"{path}.goto", f"no question with id {target!r} (or 'end')")
        if target != "end" and ids.index(target) <= ids.index(source):
            raise _fail(f"{path}.goto", "must jump forward (the client ignores backward jumps)")


def _thank_you(path: str, thank_you: dict[str, Any]) -> None:
    for key in ("title", "description", "button"):
        if thank_you.get(key) is not None and not isinstance(thank_you[key], str):
            raise _fail(f"{path}.{key}", "must be a string")
    _optional_number(f"{path}.auto_close_s", thank_you.get("auto_close_s"))


def _appearance(path: str, appearance: dict[str, Any]) -> None:
    """Each value must survive the client's own cleaning unchanged (otherwise the client
    would silently fall back to its default)."""
    for key in ("position", "theme"):
        value = appearance.get(key)
        if value is None:
            continue
        shown = client_survey.SurveyRun({"appearance": {key: value}}).appearance()[key]
        if shown != value:
            raise _fail(f"{path}.{key}", f"{value!r} is not understood by the client")
    accent = appearance.get("accent")
    if accent is not None:
        default = client_survey.DEFAULT_ACCENT  # also what the client makes of a bad colour
        if not isinstance(accent, str) or (
            client_survey.accent_colour(accent) == default and accent.lower() != default
        ):
            raise _fail(f"{path}.accent", "must be a colour #rgb or #rrggbb")


def _translations(path: str, translations: dict[str, Any], ids: list[str]) -> None:
    for locale, entry in translations.items():
        here = f"{path}.{locale}"
        entry = _object(here, entry)
        questions = entry.get("questions")
        if questions is not None:
            for qid, strings in _object(f"{here}.questions", questions).items():
                if qid not in ids:
                    raise _fail(f"{here}.questions.{qid}", f"no question with id {qid!r}")
                _object(f"{here}.questions.{qid}", strings)
        if entry.get("thank_you") is not None:
            _thank_you(f"{here}.thank_you", _object(f"{here}.thank_you", entry["thank_you"]))


def check_targeting(survey: dict[str, Any]) -> None:
    """Check `audience`, `frequency`, `schedule` and `trigger` when present (null = default)."""
    for field, check in (
        ("audience", _audience),
        ("frequency", _frequency),
        ("schedule", _schedule),
        ("trigger", _trigger),
    ):
        value = survey.get(field)
        if value is not None:
            check(field, _object(field, value))


def _fail(path: str, message: str) -> DefinitionError:
    return DefinitionError(path, message)


def _object(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    return value


def _number(path: str, value: Any, low: float = 0, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, "must be a number")
    if value < low or (high is not None and value > high):
        raise _fail(path, f"must be between {low} and {high}" if high else f"must be >= {low}")


def _optional_number(path: str, value: Any, low: float = 0) -> None:
    if value is not None:
        _number(path, value, low)


def _text(path: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise _fail(path, "must be a non-empty string")


def _choice(path: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise _fail(path, f"must be one of {', '.join(allowed)}")


def _optional_choice(path: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value is not None:
        _choice(path, value, allowed)


def _integer(path: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(path, f"must be an integer from {low} to {high}")


def _flag(path: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise _fail(path, "must be true or false")


def _audience(path: str, audience: dict[str, Any]) -> None:
    for flag in ("identified_only", "anonymous_only"):
        _flag(f"{path}.{flag}", audience.get(flag))
    if audience.get("identified_only") and audience.get("anonymous_only"):
        raise _fail(path, "identified_only and anonymous_only exclude each other")
    if audience.get("match") is not None:
        _choice(f"{path}.match", audience["match"], ("all", "any"))
    if audience.get("sample_percent") is not None:
        _number(f"{path}.sample_percent", audience["sample_percent"], 0, 100)
    rules = audience.get("rules")
    if rules is None:
        return
    if not isinstance(rules, list):
        raise _fail(f"{path}.rules", "must be a list")
    for i, rule in enumerate(rules):
        _rule(f"{path}.rules[{i}]", _object(f"{path}.rules[{i}]", rule))


def _rule(path: str, rule: dict[str, Any]) -> None:
    kinds = [k for k in RULE_KINDS if k in rule]
    if len(kinds) != 1:
        raise _fail(path, "needs exactly one of trait, account_trait, event")
    (kind,) = kinds
    _text(f"{path}.{kind}", rule[kind])
    op = rule.get("op")
    if kind == "event":
        _choice(f"{path}.op", op, EVENT_OPS)
        count = rule.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _fail(f"{path}.count", "must be an integer >= 0")
        return
    _choice(f"{path}.op", op, TRAIT_OPS)
    value = rule.get("value")
    if op in VALUELESS_OPS:
        return
    if op in DAYS_OPS:
        _number(f"{path}.value", value)
    elif op == "contains":
        _text(f"{path}.value", value)
    elif isinstance(value, dict | list) or value is None:
        raise _fail(f"{path}.value", "must be a string, a number or a boolean")


def _frequency(path: str, frequency: dict[str, Any]) -> None:
    repeat = frequency.get("repeat") or "once"
    _choice(f"{path}.repeat", repeat, REPEATS)
    if repeat == "interval" or frequency.get("interval_days") is not None:
        if frequency.get("interval_days") is None:
            raise _fail(f"{path}.interval_days", "required when repeat is interval")
        _number(f"{path}.interval_days", frequency["interval_days"])
    _optional_number(f"{path}.max_days", frequency.get("max_days"))
    _optional_number(f"{path}.dismissed_retry_days", frequency.get("dismissed_retry_days"))


def _schedule(path: str, schedule: dict[str, Any]) -> None:
    bounds = {}
    for key in ("start_at", "end_at"):
        value = schedule.get(key)
        if value is None:
            continue
        try:
            bounds[key] = parse_date(value)
        except (TypeError, ValueError, AttributeError):
            raise _fail(f"{path}.{key}", "must be an ISO 8601 date or date-time") from None
    if len(bounds) == 2 and bounds["start_at"] >= bounds["end_at"]:
        raise _fail(f"{path}.end_at", "must be after start_at")


def _trigger(path: str, trigger: dict[str, Any]) -> None:
    kind = trigger.get("type")
    _choice(f"{path}.type", kind, TRIGGER_TYPES)
    if trigger.get("delay_s") is not None or kind == "delay":
        _number(f"{path}.delay_s", trigger.get("delay_s"))
    if kind == "delay" and trigger.get("from") is not None:
        _choice(f"{path}.from", trigger["from"], DELAY_FROM)
    if kind == "event":
        _text(f"{path}.event", trigger.get("event"))
    if kind == "scroll" and trigger.get("percent") is not None:
        _number(f"{path}.percent", trigger["percent"], 0, 100)
    if trigger.get("pages") is not None:
        pages = _object(f"{path}.pages", trigger["pages"])
        for side in ("include", "exclude"):
            rules = pages.get(side) or []
            if not isinstance(rules, list):
                raise _fail(f"{path}.pages.{side}", "must be a list")
            for i, rule in enumerate(rules):
                _page_rule(f"{path}.pages.{side}[{i}]", _object(f"{path}.pages.{side}[{i}]", rule))


def _page_rule(path: str, rule: dict[str, Any]) -> None:
    _choice(f"{path}.match", rule.get("match"), PAGE_MATCHES)
    _text(f"{path}.value", rule.get("value"))
    if rule.get("on") is not None:
        _choice(f"{path}.on", rule["on"], PAGE_PARTS)
    if rule["match"] == "regex":
        try:
            re.compile(rule["value"])
        except re.error as exc:
            raise _fail(f"{path}.value", f"invalid regex ({exc})") from None
        if regex_fault(rule["value"]) is not None:
            raise _fail(f"{path}.value", regex_fault(rule["value"]))
        if _MICROPYTHON_REGEX.search(re.sub(r"\\.", "", rule["value"])):
            raise _fail(
                f"{path}.value",
                "the MicroPython client cannot run {m,n}, named groups or lookarounds",
            )
