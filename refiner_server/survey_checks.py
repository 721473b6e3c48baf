"""Shape checks of a survey's targeting fields at import, so the ping can trust them.

`check_targeting` raises `ValueError("<path>: <what is wrong>")`, e.g.
`audience.rules[1].op: must be one of eq, neq, ...`. The trigger vocabulary is the client's
own (`refiner_web.triggers`), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any

from refiner_web.triggers import DELAY_FROM, PAGE_MATCHES, PAGE_PARTS, TRIGGER_TYPES

from .audience import DAYS_OPS, EVENT_OPS, TRAIT_OPS, VALUELESS_OPS
from .models import parse_date

REPEATS = ("once", "each_trigger", "interval")
RULE_KINDS = ("trait", "account_trait", "event")
# What MicroPython's `re` cannot compile: counted repetition, named groups, lookarounds.
_MICROPYTHON_REGEX = re.compile(r"\{|\(\?[^:]")


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


def _fail(path: str, message: str) -> ValueError:
    return ValueError(f"{path}: {message}")


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
        if _MICROPYTHON_REGEX.search(re.sub(r"\\.", "", rule["value"])):
            raise _fail(
                f"{path}.value",
                "the MicroPython client cannot run {m,n}, named groups or lookarounds",
            )
